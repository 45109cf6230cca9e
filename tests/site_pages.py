"""Find every page of a built site by kind, from the output alone.

The quality tests walk whatever the build wrote, so a page kind added later (a
search page, a second listing page) is checked without editing them.
"""

from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

# Kinds every build of this site must have; "search" only once the site has one.
REQUIRED_KINDS = ("front", "article", "tag", "tags", "archives", "page", "404")
ALL_KINDS = (*REQUIRED_KINDS, "search")


# The first folder of a page's path -> its kind; "page" for anything else.
_FOLDER_KINDS = {"page": "front", "posts": "article", "archives": "archives", "search": "search"}


def kind_of(relative):
    """The page kind of an HTML file, from its path under the output folder
    (None for files that are not pages a reader visits, such as drafts)."""
    parts = Path(relative).parts
    if parts == ("404.html",):
        return "404"
    folders = parts[:-1]
    if parts[-1] != "index.html" or folders[:1] == ("drafts",):
        return None
    if not folders:
        return "front"
    if folders[0] == "tags":
        return "tags" if len(folders) == 1 else "tag"
    return _FOLDER_KINDS.get(folders[0], "page")


def pages_by_kind(output):
    """{kind: [url path, ...]} for every HTML page in `output`, sorted."""
    output = Path(output)
    found = {}
    for file in sorted(output.rglob("*.html")):
        relative = file.relative_to(output).as_posix()
        kind = kind_of(relative)
        if kind is None:
            continue
        url = "/" + relative.removesuffix("index.html")
        found.setdefault(kind, []).append(url)
    return found


def file_for(output, url_path):
    """The file a static host serves for `url_path` (folders -> index.html)."""
    target = Path(output) / unquote(url_path).lstrip("/")
    if url_path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


def local_target(output, siteurl, page_url, reference):
    """The output file that `reference` (an href/src on the page at `page_url`)
    names, or None when it points at another origin. `siteurl` is the site's
    absolute root ("" for a relative build)."""
    base = (siteurl.rstrip("/") or "http://site.invalid") + page_url
    absolute = urljoin(base, reference.strip())
    parts = urlsplit(absolute)
    if parts.scheme in ("data", "blob"):
        return None
    root = urlsplit(siteurl.rstrip("/") or "http://site.invalid")
    if (parts.scheme, parts.netloc) != (root.scheme, root.netloc):
        return None
    path = parts.path
    if root.path and path.startswith(root.path):
        path = path[len(root.path) :] or "/"
    return file_for(output, path)


def is_same_origin(siteurl, page_url, reference):
    """True when `reference` resolves under `siteurl` (or is inline data)."""
    base = siteurl.rstrip("/") + page_url
    absolute = urljoin(base, reference.strip())
    parts = urlsplit(absolute)
    if parts.scheme in ("data", "blob"):
        return True
    return absolute == siteurl.rstrip("/") or absolute.startswith(siteurl.rstrip("/") + "/")
