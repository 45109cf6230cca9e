// The search page: starts Pagefind's UI in #search and hides the no-JavaScript
// message. Loaded on /search/ only, after pagefind-ui.js (both deferred); no
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
  });
  for (const message of document.querySelectorAll("[data-search-fallback]")) {
    message.hidden = true;
  }
  const query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    ui.triggerSearch(query);
  }
})();
