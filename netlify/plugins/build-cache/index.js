// Keeps cache/ (the CACHE_PATH of `invoke publish`: typeset bodies, heading
// and reading-time memos, social images, resized images) between Netlify
// deploys, which start from a fresh checkout without it. Every entry is keyed by its inputs, the
// code that made it and the library versions (see "Build cache on Netlify" in
// the README), so an old cache can make a build faster but never different.
// CommonJS and no dependencies: Netlify loads this file as it is.

const fs = require("node:fs");

// Relative to the repository root, where Netlify runs the build and where
// tasks.py puts the cache: beside output/.
const CACHE = "cache";

module.exports = {
  // Before `invoke publish` runs.
  async onPreBuild({ utils }) {
    try {
      const restored = await utils.cache.restore(CACHE);
      console.log(
        restored
          ? `build-cache: restored ${CACHE}/ from the last successful deploy`
          : `build-cache: nothing saved yet; a cold build`,
      );
    } catch (error) {
      // A half-restored folder is worse than none: build cold instead of failing.
      fs.rmSync(CACHE, { recursive: true, force: true });
      console.log(`build-cache: could not restore ${CACHE}/ (${error.message}); a cold build`);
    }
  },

  // Saved in onSuccess, not onPostBuild. Neither runs when `invoke publish`
  // fails, but onPostBuild runs before the deploy, while another plugin's
  // onPostBuild or the deploy itself can still fail the build; onSuccess runs
  // only once the whole build and deploy succeeded, so only the cache of a
  // site that went live is kept. And a failure here cannot fail a good deploy
  // (Netlify reports it as this plugin's failure), whereas in onPostBuild a
  // cache problem would stop the site going live.
  async onSuccess({ utils }) {
    const saved = await utils.cache.save(CACHE);
    console.log(
      saved ? `build-cache: saved ${CACHE}/ for the next deploy` : `build-cache: no ${CACHE}/ to save`,
    );
  },
};
