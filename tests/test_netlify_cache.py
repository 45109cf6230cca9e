"""The local Netlify Build Plugin that keeps cache/ between deploys: declared in
netlify.toml, shaped as Netlify loads a local plugin, and run under Node with
a fake `utils.cache` through the events Netlify fires on a good deploy, a
failed build and a failed deploy."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from sitetools.netlify import load_config
from tests.conftest import DATA, ROOT, need_tool, run_invoke


@pytest.fixture(scope="module")
def plugin_dir():
    plugins = load_config().get("plugins", [])
    local = [entry for entry in plugins if entry.get("package", "").startswith("./")]
    assert len(local) == 1, f"netlify.toml should declare one local plugin, got {plugins}"
    return ROOT / local[0]["package"]


@pytest.fixture(scope="module")
def cache_relpath(tmp_path_factory):
    """Where `invoke publish` keeps its cache when it builds into netlify.toml's
    publish folder, relative to the folder that holds it (the repository root,
    where Netlify runs it): seen after a publish into a temporary folder."""
    publish = load_config()["build"]["publish"]
    root = tmp_path_factory.mktemp("netlify-root")
    done = run_invoke("publish", "--content", str(DATA / "reader"), "--output",
                      str(root / publish), timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    beside = [path for path in root.iterdir() if path.name != publish]
    assert len(beside) == 1, f"the publish left {beside} beside {publish}/"
    return beside[0].relative_to(root)


def test_netlify_toml_declares_the_cache_plugin(plugin_dir):
    assert plugin_dir == ROOT / "netlify" / "plugins" / "build-cache", plugin_dir
    assert plugin_dir.is_dir(), f"{plugin_dir} is declared in netlify.toml but missing"


def test_plugin_folder_is_a_netlify_plugin(plugin_dir):
    manifest = yaml.safe_load((plugin_dir / "manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(manifest, dict), manifest
    assert manifest.get("name"), f"manifest.yml needs a name: {manifest}"
    assert (plugin_dir / "index.js").is_file(), "Netlify loads index.js from a local plugin folder"
    assert not (plugin_dir / "package.json").exists() or "dependencies" not in json.loads(
        (plugin_dir / "package.json").read_text(encoding="utf-8")
    ), "the plugin must not need npm dependencies"


def test_cache_plugin_path_is_where_the_build_keeps_its_cache(cache_relpath):
    # The plugin's folder is the one the build writes; both sit at the root.
    assert cache_relpath == Path("cache"), cache_relpath


# The events Netlify fires, in order (@netlify/build: onPreBuild, the build
# command, onBuild, onPostBuild, the deploy, onSuccess, onEnd; onError and
# onEnd instead of the rest once the build command or the deploy fails).
HARNESS = r"""
const path = require("node:path");
const plugin = require(process.argv[2]);
const scenario = process.argv[3];
const calls = [];
let event = "";
const record = (op, p) => calls.push({ event, op, path: p === undefined ? null : path.resolve(p) });
const cache = {
  async restore(p) {
    record("restore", p);
    if (scenario === "restore-throws") throw new Error("cache archive unreadable");
    return scenario !== "nothing-saved";
  },
  async save(p) { record("save", p); return true; },
  async has(p) { record("has", p); return true; },
  async remove(p) { record("remove", p); return true; },
  async list() { record("list"); return []; },
};
const utils = {
  cache,
  build: { failBuild(m) { throw new Error(m); }, failPlugin(m) { throw new Error(m); } },
  status: { show() {} },
};
const good = ["onPreBuild", "BUILD", "onBuild", "onPostBuild", "DEPLOY", "onSuccess", "onEnd"];
const sequences = {
  success: good,
  "nothing-saved": good,
  "restore-throws": good,
  "build-fails": ["onPreBuild", "BUILD-FAILS", "onError", "onEnd"],
  "deploy-fails": [
    "onPreBuild", "BUILD", "onBuild", "onPostBuild", "DEPLOY-FAILS", "onError", "onEnd",
  ],
};
(async () => {
  for (const step of sequences[scenario]) {
    if (step === step.toUpperCase()) {
      event = step;
      record(step.toLowerCase());
      continue;
    }
    event = step;
    if (typeof plugin[step] === "function") {
      await plugin[step]({ utils, inputs: {}, netlifyConfig: {}, constants: {}, error: undefined });
    }
  }
  process.stdout.write("\n" + JSON.stringify(calls));
})().catch((error) => { console.error(error); process.exit(1); });
"""


@pytest.fixture(scope="module")
def run_events(plugin_dir, tmp_path_factory):
    """run_events(scenario) -> (the calls the plugin made, in order, with paths
    resolved from the build's folder, the build's folder). Each run has its
    own folder, standing for Netlify's checkout."""
    need_tool(shutil.which("node"), "No node on PATH: apt-get install nodejs")
    harness = tmp_path_factory.mktemp("node-harness") / "harness.js"
    harness.write_text(HARNESS, encoding="utf-8")

    def run(scenario, prepare=None):
        workdir = tmp_path_factory.mktemp(f"checkout-{scenario}")
        if prepare:
            prepare(workdir)
        result = subprocess.run(
            ["node", str(harness), str(plugin_dir / "index.js"), scenario],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{scenario}: {result.stderr}"
        calls = json.loads(result.stdout.rsplit("\n", 1)[-1])
        return calls, workdir

    return run


def ops(calls):
    return [(call["event"], call["op"]) for call in calls]


def test_cache_is_restored_before_the_build_and_saved_after_a_good_deploy(
    run_events, cache_relpath
):
    calls, workdir = run_events("success")
    cache = str(workdir / cache_relpath)
    restores = [c for c in calls if c["op"] == "restore"]
    saves = [c for c in calls if c["op"] == "save"]
    assert [(c["event"], c["path"]) for c in restores] == [("onPreBuild", cache)], calls
    assert [(c["event"], c["path"]) for c in saves] == [("onSuccess", cache)], calls
    order = [call["op"] for call in calls]
    assert order.index("restore") < order.index("build") < order.index("save"), order


@pytest.mark.parametrize("scenario", ["build-fails", "deploy-fails"])
def test_a_failed_build_or_deploy_saves_nothing(run_events, scenario):
    calls, _ = run_events(scenario)
    assert ("onPreBuild", "restore") in ops(calls), calls
    assert not [c for c in calls if c["op"] in ("save", "remove")], (
        f"{scenario}: the cache of a build that did not go live was saved: {calls}"
    )


def test_a_first_deploy_with_nothing_saved_builds_and_saves(run_events):
    calls, _ = run_events("nothing-saved")
    assert [op for _, op in ops(calls) if op in ("restore", "save")] == ["restore", "save"], calls


def test_a_restore_that_fails_leaves_no_half_cache_and_does_not_fail_the_build(
    run_events, cache_relpath
):
    def half_restored(workdir):
        (workdir / cache_relpath / "social_images").mkdir(parents=True)
        (workdir / cache_relpath / "social_images" / "post-0123456789.png").write_bytes(b"\x89PNG")

    calls, workdir = run_events("restore-throws", half_restored)
    assert not (workdir / cache_relpath).exists(), "a half-restored cache/ was left for the build"
    assert ("onSuccess", "save") in ops(calls), calls
