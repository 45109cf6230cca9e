// Preview only: reload this page when the site has been rebuilt.
(() => {
  let seen = null;
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
})();
