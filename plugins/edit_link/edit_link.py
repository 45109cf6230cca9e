"""An "Edit this post" link: `article.edit_url`, the post's source file in the
repository, or None when the site sets no `REPO_URL`.

The URL is `EDIT_LINK["url_template"]` filled with `repo_url` (REPO_URL without
a trailing slash) and `path` (the source file relative to the content folder,
PATH, with forward slashes: "posts/my-post.md").
"""

import logging
import os
from urllib.parse import quote, urlsplit

from pelican import signals

from sitetools.contents import contents_of

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Where a source file is shown for editing; the content folder is content/
    # at the repository's root, on the main branch.
    "url_template": "{repo_url}/blob/main/content/{path}",
}


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's EDIT_LINK dict."""
    return {**DEFAULTS, **(settings.get("EDIT_LINK") or {})}


def repo_url_problem(repo_url):
    """Why REPO_URL is unusable, or None. Unset (None or "") is fine: no link."""
    if not repo_url:
        return None
    parts = urlsplit(str(repo_url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return (
            f"REPO_URL must be the repository's web address, such as "
            f"https://github.com/<owner>/<repo>, got {repo_url!r}: fix it in the settings file"
        )
    return None


def template_problem(template):
    """Why the URL template is unusable, or None."""
    try:
        str(template).format(repo_url="https://example.org/repo", path="posts/a.md")
    except (KeyError, IndexError, ValueError) as error:
        return (
            f"EDIT_LINK['url_template'] {template!r} does not format ({error!r}): "
            "use only {repo_url} and {path}, and double any other brace"
        )
    return None


def edit_url(repo_url, relative_path, template=DEFAULTS["url_template"]):
    """The edit link for a source file at `relative_path` (under the content
    folder), or None when there is no repository URL."""
    if not repo_url:
        return None
    path = quote(relative_path.replace(os.sep, "/"))
    return template.format(repo_url=str(repo_url).rstrip("/"), path=path)


def annotate_articles(generator):
    """Every article gets `edit_url` (None without REPO_URL)."""
    repo_url = generator.settings.get("REPO_URL")
    problem = repo_url_problem(repo_url)
    if problem:
        logger.error(problem)
        repo_url = None
    template = settings_for(generator.settings)["url_template"]
    problem = template_problem(template)
    if problem:
        logger.error(problem)
        repo_url = None
    for article in contents_of(generator):
        article.edit_url = edit_url(repo_url, article.relative_source_path, template)


def register():
    # Every post's source path is known once the article generator finishes.
    signals.article_generator_finalized.connect(annotate_articles)
