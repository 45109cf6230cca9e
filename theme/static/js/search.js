// The search page: starts Pagefind's UI in #search, ties the page's visible
// label to its input and hides the no-JavaScript message. Loaded on /search/ only, after pagefind-ui.js (both deferred); no
// inline script or style anywhere. /search/?q=words runs that search at once.
(() => {
  const root = document.getElementById("search");
  if (!root || typeof window.PagefindUI !== "function") {
    return; // the fallback message stays: search cannot run here
  }
  const ui = new window.PagefindUI({
    element: "#search",
    bundlePath: new URL(root.dataset.bundle, document.baseURI).href,
    showSubResults: true,
    showImages: false,
    autofocus: true,
    // The visible label names the box; a placeholder would only repeat it, in
    // the faint text Pagefind's stylesheet gives placeholders.
    translations: { placeholder: "" },
  });
  // Pagefind names its input with a title only: give it an id, point the
  // page's visible label at it, then show that label.
  const input = root.querySelector("input.pagefind-ui__search-input");
  const label = document.querySelector("[data-search-label]");
  if (input && label) {
    input.id = "search-input";
    label.htmlFor = input.id;
    label.hidden = false;
  }
  for (const message of document.querySelectorAll("[data-search-fallback]")) {
    message.hidden = true;
  }
  const query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    ui.triggerSearch(query);
  }
})();
