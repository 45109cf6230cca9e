"""The preview, for `invoke serve`: the server, its reload script and its error page."""
