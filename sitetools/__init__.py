"""Build and preview helpers behind tasks.py: a staged, all-or-nothing Pelican
build and the live-reloading preview server."""
