"""For the author: `invoke new` (newpost) and `invoke import` (importer)."""
