"""Theme files copied to `assets/<name>.<hash>.<ext>`, cacheable for a year, and
`{{ asset("css/main.css") }}` for their URLs. Read from the theme itself, so
production may skip Pelican's plain copy (THEME_STATIC_PATHS = [])."""

import hashlib
import posixpath
import re
from pathlib import Path

from jinja2 import pass_context
from pelican import signals

DEFAULTS = {
    # Holds the hashed copies and nothing else, so its cache rule catches no other file.
    "output_dir": "assets",
    # Hex digits of SHA-256 in the name: 40 bits keep collisions out of reach.
    "hash_chars": 10,
}
# The files of the theme's static folder that get hashed copies.
EXTENSIONS = (".css", ".js", ".mjs", ".woff2", ".woff", ".ttf", ".otf", ".svg")

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


class AssetError(LookupError):
    """A template asked for an asset the theme does not have."""


def settings_for(settings):
    return {**DEFAULTS, **(settings.get("HASHED_ASSETS") or {})}


def hashed_name(relpath, digest):
    """ "css/main.css" + "1a2b" -> "css/main.1a2b.css"."""
    folder, name = posixpath.split(relpath)
    stem, dot, ext = name.rpartition(".")
    return posixpath.join(folder, f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}")


def rewrite_css_urls(css, css_relpath, manifest):
    """Point a stylesheet's relative url(...)s to files of `manifest` at their hashed names."""
    base = posixpath.dirname(css_relpath)

    def replace(match):
        quote, ref = match.group(1), match.group(2).strip()
        path, tail = re.match(r"([^?#]*)(.*)", ref).groups()
        target = posixpath.normpath(posixpath.join(base, path))
        if ref.startswith(("/", "#", "data:")) or "://" in ref or target not in manifest:
            return match.group(0)
        new = posixpath.relpath(manifest[target], base or ".")
        return f"url({quote}{new}{tail}{quote})"

    return _CSS_URL.sub(replace, css)


def build_manifest(files, chars=DEFAULTS["hash_chars"]):
    """{relpath: bytes} -> ({relpath: hashed relpath}, {hashed relpath: bytes}).
    Stylesheets come last: their hash covers the hashed names they refer to,
    so a font change renames the stylesheet too."""
    manifest, outputs = {}, {}
    for relpath in sorted(files, key=lambda path: (path.endswith(".css"), path)):
        data = files[relpath]
        if relpath.endswith(".css"):
            data = rewrite_css_urls(data.decode("utf-8"), relpath, manifest).encode("utf-8")
        manifest[relpath] = hashed_name(relpath, hashlib.sha256(data).hexdigest()[:chars])
        outputs[manifest[relpath]] = data
    return manifest, outputs


def manifest_for(settings):
    """The hashed names and bytes of this site's theme files."""
    root = Path(settings["THEME"]) / "static"
    files = {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix.lower() in EXTENSIONS
    }
    return build_manifest(files, int(settings_for(settings)["hash_chars"]))


def asset_url(manifest, output_dir, name, siteurl=""):
    """The URL of the hashed copy of theme file `name`."""
    if name.lstrip("/") not in manifest:
        known = ", ".join(sorted(manifest)) or "none"
        raise AssetError(
            f'asset("{name}"): no such file under the theme\'s static folder '
            f"(known: {known}); check the name in the template"
        )
    return f"{siteurl}/{output_dir}/{manifest[name.lstrip('/')]}"


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
        (folder / relpath).parent.mkdir(parents=True, exist_ok=True)
        (folder / relpath).write_bytes(data)


def register():
    # Templates need `asset()` before any of them renders.
    signals.generator_init.connect(add_asset_global)
    # The output folder is complete once Pelican finishes.
    signals.finalized.connect(write_assets)
