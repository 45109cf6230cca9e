// Preview only: reload this page when the site has been rebuilt. On the
// search page (#search), while the work a build leaves for after it (the
// search index) still runs, say so in one line, and reload once it is done.
(() => {
  let seen = null;
  let note = null;
  // The server writes the page open here first when the next save is built.
  const events = new EventSource(
    "/__preview/events?page=" + encodeURIComponent(location.pathname),
  );
  // Too many open pages: the server dropped this one; don't reconnect.
  events.addEventListener("close", () => events.close());
  events.addEventListener("build", (event) => {
    if (seen !== null && event.data !== seen) {
      location.reload();
    }
    seen = event.data;
  });
  events.addEventListener("deferred", (event) => {
    const search = document.getElementById("search");
    if (!search) {
      return;
    }
    if (event.data === "running" && note === null) {
      note = document.createElement("p");
      note.setAttribute("role", "status");
      note.dataset.previewNote = "search";
      note.textContent =
        "The search index is older than your last save; this page reloads once it is rebuilt.";
      // Above the search box's label, so that the label stays with its box.
      (document.querySelector("[data-search-label]") || search).before(note);
    } else if (event.data === "done" && note !== null) {
      location.reload();
    }
  });
})();
