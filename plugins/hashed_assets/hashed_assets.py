"""Fingerprinted theme assets: each stylesheet, script and font is also written
under a name that carries a hash of its content, so it can be cached for a year.

Templates call `{{ asset("css/main.css") }}` and get the hashed URL
(`…/assets/css/main.1a2b3c4d5e.css`). A change to the file changes its name, so
a browser never keeps an old copy. Hashed copies live in their own folder
(`assets/`), which holds nothing else: a cache rule for that folder can never
catch an unhashed file. The files are read from the theme's own static folders
(`static_paths`), not from Pelican's copy of them, so a build may skip that
copy: production sets THEME_STATIC_PATHS = [] and publishes no unhashed
`theme/` folder that nothing links to; development keeps it for the preview
server's error page.

Stylesheets are hashed after their `url(...)` references to other theme files
are rewritten to those files' hashed names, so a font change renames the
stylesheet too.
"""

import hashlib
import logging
import posixpath
import re
from pathlib import Path

from jinja2 import pass_context
from pelican import signals

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Which theme static files get a hashed copy, by extension.
    "extensions": (".css", ".js", ".mjs", ".woff2", ".woff", ".ttf", ".otf", ".svg"),
    # Folder under the output root that holds the hashed copies and nothing else.
    "output_dir": "assets",
    # Hex digits of SHA-256 in the name; 10 (40 bits) keeps collisions out of reach.
    "hash_chars": 10,
    # The theme's static folders to read, relative to THEME (Pelican's default
    # THEME_STATIC_PATHS, which only says what Pelican copies as it is).
    "static_paths": ("static",),
}

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


class AssetError(LookupError):
    """A template asked for an asset the theme does not have."""


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's HASHED_ASSETS dict."""
    return {**DEFAULTS, **(settings.get("HASHED_ASSETS") or {})}


def content_hash(data, chars=DEFAULTS["hash_chars"]):
    """The first `chars` hex digits of the SHA-256 of `data` (bytes)."""
    return hashlib.sha256(data).hexdigest()[:chars]


def hashed_name(relpath, digest):
    """ "css/main.css" + "1a2b" -> "css/main.1a2b.css"."""
    folder, name = posixpath.split(relpath)
    stem, dot, ext = name.rpartition(".")
    hashed = f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"
    return posixpath.join(folder, hashed)


def rewrite_css_urls(css, css_relpath, manifest):
    """Point relative url(...) references of a stylesheet at hashed names.

    References to files outside `manifest`, absolute URLs and data: URIs are
    left alone.
    """
    base = posixpath.dirname(css_relpath)

    def replace(match):
        quote, ref = match.group(1), match.group(2).strip()
        if ref.startswith(("/", "#", "data:")) or "://" in ref:
            return match.group(0)
        path, tail = re.match(r"([^?#]*)(.*)", ref).groups()
        target = posixpath.normpath(posixpath.join(base, path))
        if target not in manifest:
            return match.group(0)
        new = posixpath.relpath(manifest[target], base or ".")
        return f"url({quote}{new}{tail}{quote})"

    return _CSS_URL.sub(replace, css)


def build_manifest(files, chars=DEFAULTS["hash_chars"]):
    """{relpath: bytes} -> ({relpath: hashed relpath}, {hashed relpath: bytes}).

    Stylesheets come last so their references to fonts and images can be
    rewritten to the hashed names first.
    """
    manifest, outputs = {}, {}
    plain = sorted(path for path in files if not path.endswith(".css"))
    sheets = sorted(path for path in files if path.endswith(".css"))
    for relpath in plain:
        data = files[relpath]
        manifest[relpath] = hashed_name(relpath, content_hash(data, chars))
        outputs[manifest[relpath]] = data
    for relpath in sheets:
        css = files[relpath].decode("utf-8")
        data = rewrite_css_urls(css, relpath, manifest).encode("utf-8")
        manifest[relpath] = hashed_name(relpath, content_hash(data, chars))
        outputs[manifest[relpath]] = data
    return manifest, outputs


def theme_static_files(settings, extensions, folders=DEFAULTS["static_paths"]):
    """{relpath under the theme's static folders: bytes} for the chosen extensions."""
    files = {}
    theme = Path(settings["THEME"])
    for folder in folders:
        root = theme / folder
        for path in sorted(root.rglob("*")) if root.is_dir() else ():
            if path.is_file() and path.suffix.lower() in extensions:
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def manifest_for(settings):
    """The hashed names and bytes for this site's theme."""
    options = settings_for(settings)
    files = theme_static_files(
        settings, tuple(options["extensions"]), tuple(options["static_paths"])
    )
    return build_manifest(files, int(options["hash_chars"]))


def asset_url(manifest, output_dir, name, siteurl=""):
    """The URL of the hashed copy of theme file `name`."""
    try:
        hashed = manifest[name.lstrip("/")]
    except KeyError:
        known = ", ".join(sorted(manifest)) or "none"
        raise AssetError(
            f'asset("{name}"): no such file under the theme\'s static folder '
            f"(known: {known}); check the name in the template"
        ) from None
    return f"{siteurl}/{output_dir}/{hashed}"


def add_asset_global(generator):
    """Give templates `asset(name)`, resolved against the page's SITEURL."""
    manifest, _ = manifest_for(generator.settings)
    output_dir = settings_for(generator.settings)["output_dir"]

    @pass_context
    def asset(context, name):
        return asset_url(manifest, output_dir, name, context.get("SITEURL", ""))

    generator.env.globals["asset"] = asset


def write_assets(pelican):
    """Write the hashed copies into the output folder being built."""
    _, outputs = manifest_for(pelican.settings)
    folder = Path(pelican.output_path) / settings_for(pelican.settings)["output_dir"]
    for relpath, data in outputs.items():
        target = folder / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    logger.debug("hashed_assets: wrote %d hashed assets into %s", len(outputs), folder)


def register():
    # Templates need `asset()` before any of them renders.
    signals.generator_init.connect(add_asset_global)
    # The output folder is complete (and is the staging folder) once Pelican finishes.
    signals.finalized.connect(write_assets)
