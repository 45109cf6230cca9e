"""Files placed into a build's output from elsewhere (a cache, the last output)."""

import os
import shutil


def link_or_copy(source, dest):
    """Put `source` at `dest`: a hard link, which costs nothing, or a copy when
    the two are on different file systems. Makes `dest`'s folder."""
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)
