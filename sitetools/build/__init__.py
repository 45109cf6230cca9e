"""The build, for `invoke build` and `invoke publish` (and Netlify): the staged
build (builder), the one cache, work on every CPU, the progress line."""
