"""The tools behind tasks.py, in folders named for who uses them: build/ (the
staged build and the one cache), preview/ (the server), authoring/ (new posts,
import), quality/ (check, audit, bench), content/ (what plugins share to read
the author's content), and netlify.py (the deploy's headers and URLs)."""
