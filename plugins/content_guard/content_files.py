"""Which files under the content folder may be read at all.

Pelican follows every symbolic link under PATH and opens whatever it finds: a
link out of the repository publishes its target, a link to a folder above it
loops, a named pipe blocks the build. `scan_content` walks PATH first without
opening a file and reports each link or special file it will not follow. Inside
the repository a link may reach what the repository holds, never its `.git/`
and never a file git ignores (a `.env.local`, the build's cache): neither is content.
"""

import fnmatch
import os
import stat
import subprocess
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


# What a file that is neither a regular file nor a folder is.
_SPECIAL = {stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket"}
_SPECIAL |= dict.fromkeys((stat.S_IFCHR, stat.S_IFBLK), "a device")


def git_ignored(paths, roots, listed=None):
    """The `paths` (absolute, each inside one of `roots`) that git ignores, from
    one `git ls-files` of the ignored paths under the deepest root that holds a
    path (`listed`: root -> those, kept between calls). A root that is not in a
    git repository, or no git, ignores nothing: the rest still holds."""
    listed = {} if listed is None else listed
    found = set()
    for path in map(Path, paths):
        if not (holders := [root for root in roots if path.is_relative_to(root)]):
            continue
        root = max(holders, key=lambda root: len(root.parts))
        if root not in listed:
            command = ["git", "-C", str(root), "ls-files", "-z", "--others", "--ignored"]
            command += ["--exclude-standard", "--directory"]  # an ignored folder as one line
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=60, check=True
                )
            except (OSError, subprocess.SubprocessError):  # no git, or not a repository
                done = None
            listed[root] = {name.rstrip("/") for name in (done.stdout if done else "").split("\0")}
        relative = path.relative_to(root)  # it, or a folder above it, is listed
        if {str(p) for p in (relative, *relative.parents[:-1])} & listed[root]:
            found.add(str(path))
    return found


def _resolve(entry, path, chain):
    """(real path, mode, None) of a folder entry, or (None, None, problem)."""
    try:
        real = (
            Path(path).resolve(strict=True) if entry.is_symlink() else Path(chain[-1], entry.name)
        )
        return real, os.stat(real).st_mode, None
    except FileNotFoundError:
        message = (
            "a symbolic link to a file that does not exist; remove the link or restore the file"
        )
    except RuntimeError:  # a chain of links that comes back to itself
        message = "a symbolic link that points back to itself; remove it"
    except OSError as error:
        message = f"cannot be read ({error.strerror}); fix its permissions"
    return None, None, ("file", message)


def _refusal(entry, real, is_folder, chain, through_link, *, inside, listed):
    """(field, "what; fix") for an entry the walk must not follow, or None."""
    what = "folder" if is_folder else "file"
    how = f"a symbolic link to a {what}" if entry.is_symlink() else f"a {what} in a linked folder"
    # The roots that hold where a link leads (a link is through_link too); not asked of the rest.
    holders = [root for root in inside if real.is_relative_to(root)] if through_link else []
    if entry.is_symlink() and not holders:
        message = f"{how} outside the repository; copy the {what} in instead of linking it"
    elif entry.name == ".git" or (
        through_link and any(".git" in real.relative_to(root).parts for root in holders)
    ):
        message = "reaches into .git/, the repository's own data (its remote, its "
        message += "credentials), which is never content; remove the link"
    elif is_folder and any(step.is_relative_to(real) for step in chain):
        message = "a symbolic link back to a folder it is reached from, so the folders "
        message += "repeat without end; remove the link"
    elif through_link and git_ignored([real], inside, listed):
        message = f"{how} git ignores ({real.name}), which the repository does not hold, so it "
        message += "is not content; copy in what should be published, and commit it"
    else:
        return None
    return what, message


def scan_content(top, inside, ignores, named=()):
    """Walk `top`: a link may point into the folders `inside`; names matching
    `ignores` are skipped, except the `named` folders Pelican reads anyway (a
    hidden folder in STATIC_PATHS) and the folders that lead to them."""
    top = os.path.normpath(top)
    named = [Path(os.path.normpath(os.path.join(top, path))) for path in named]
    named = {str(p) for path in named for p in (path, *path.parents) if p.is_relative_to(top)}
    named.discard(top)
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

    # Where links may lead, and git's ignored paths there (by root, asked once a link leads there).
    roots = {"inside": inside, "listed": {}}

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
            real, mode, problem = _resolve(entry, path, chain)
            if problem:
                report(location, *problem)
                continue
            is_folder = stat.S_ISDIR(mode)
            through_link = linked or entry.is_symlink()
            if problem := _refusal(entry, real, is_folder, chain, through_link, **roots):
                report(location, *problem)
            elif is_folder:
                visit(path, [*chain, real], through_link)
            elif not stat.S_ISREG(mode):
                special = _SPECIAL.get(stat.S_IFMT(mode), "not a regular file")
                report(location, "file", f"{special}, not a file; remove it from the content")
            else:
                scan.files.add(path)

    visit(top, [Path(top).resolve()], False)
    return scan
