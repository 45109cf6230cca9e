"""Which files under the content folder may be read at all.

Pelican follows every symbolic link under PATH and opens whatever it finds: a
link out of the repository publishes its target, a link to a folder above it
loops, a named pipe blocks the build. `scan_content` walks PATH first without
opening a file and reports each link or special file it will not follow.
"""

import fnmatch
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

# plugins/content_guard/content_files.py -> the repository's root folder.
REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass
class Scan:
    """`problems` as (path, field, message); the folders and regular files that
    may be read, by their paths as reached from PATH."""

    problems: list = field(default_factory=list)
    folders: set = field(default_factory=set)
    files: set = field(default_factory=set)

    def readable(self, path):
        """Whether Pelican may open `path` (a file or folder under PATH)."""
        path = os.path.normpath(path)
        return path in self.files or path in self.folders


def _special(mode):
    """What a file that is neither a regular file nor a folder is, or None."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kinds = {stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device"}
    kinds[stat.S_IFBLK] = "a device"
    return kinds.get(stat.S_IFMT(mode), "not a regular file")


def _inside(path, roots):
    return any(path.is_relative_to(root) for root in roots)


def _link_target(path):
    """(resolved target, None) or (None, problem) for a symbolic link."""
    try:
        return Path(path).resolve(strict=True), None
    except FileNotFoundError:
        return None, (
            "file",
            "a symbolic link to a file that does not exist; remove the link or restore the file",
        )
    except (RuntimeError, OSError):  # a chain of links that comes back to itself
        return None, ("file", "a symbolic link that points back to itself; remove it")


def scan_content(top, inside, ignores, named=()):
    """Walk `top`: a link may point into the folders `inside`; names matching
    `ignores` are skipped, except the `named` folders Pelican reads anyway (a
    hidden folder in STATIC_PATHS) and the folders that lead to them."""
    top = os.path.normpath(top)
    named = {os.path.normpath(os.path.join(top, path)) for path in named}
    named = {parent for path in named for parent in _and_parents(path, top)}
    inside = [Path(root).resolve() for root in inside]
    scan = Scan()
    if not os.path.isdir(top):
        return scan

    reported = set()

    def report(path, *problem):
        # A file reached through a linked folder is named where it really is,
        # and named once however many ways lead to it.
        if path not in reported:
            reported.add(path)
            scan.problems.append((path, *problem))

    def visit(folder, chain, linked):
        scan.folders.add(folder)
        where = str(chain[-1]) if linked else folder
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            report(where, "folder", f"cannot be read ({error.strerror}); fix its permissions")
            return
        for entry in entries:
            path = os.path.join(folder, entry.name)
            if path not in named and any(fnmatch.fnmatch(entry.name, p) for p in ignores):
                continue
            location = os.path.join(where, entry.name)
            try:
                if entry.is_symlink():
                    real, problem = _link_target(path)
                    if problem:
                        report(location, *problem)
                        continue
                else:
                    real = Path(chain[-1], entry.name)
                mode = os.stat(real).st_mode
            except OSError as error:
                report(location, "file", f"cannot be read ({error.strerror}); fix its permissions")
                continue
            is_folder = stat.S_ISDIR(mode)
            if entry.is_symlink() and not _inside(real, inside):
                what = "folder" if is_folder else "file"
                report(
                    location,
                    what,
                    f"a symbolic link to a {what} outside the repository; copy the "
                    f"{what} in instead of linking it",
                )
            elif is_folder and any(_inside(Path(step), [real]) for step in chain):
                report(
                    location,
                    "folder",
                    "a symbolic link back to a folder it is reached from, so the "
                    "folders repeat without end; remove the link",
                )
            elif is_folder:
                visit(path, [*chain, real], linked or entry.is_symlink())
            elif special := _special(mode):
                report(location, "file", f"{special}, not a file; remove it from the content")
            else:
                scan.files.add(path)

    visit(top, [Path(top).resolve()], False)
    return scan


def _and_parents(path, top):
    """`path` and the folders above it, up to `top`."""
    while path.startswith(top + os.sep):
        yield path
        path = os.path.dirname(path)


def named_folders(settings):
    """The folders Pelican is told to read."""
    return [
        path
        for key in ("ARTICLE_PATHS", "PAGE_PATHS", "STATIC_PATHS")
        for path in settings.get(key, ())
        if path
    ]


def allowed_roots(settings):
    """Where content may come from: the repository, and the content folder
    itself (which may live elsewhere, given with `invoke build --content`)."""
    return [REPOSITORY, Path(settings["PATH"])]
