"""Pelican settings for development builds (`invoke build`, `invoke serve`).

Flat UPPER_CASE settings; production overrides live in publishconf.py.
"""

AUTHOR = "The author"
SITENAME = "Production ML Notes"
SITEURL = ""
BLOG_HEADING = "Blog"
SITE_TAGLINE = (
    "Technical case studies on production ML/AI infrastructure, data platforms, "
    "observability, and LLM operations."
)

PATH = "content"
ARTICLE_PATHS = ["posts"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images", "extra"]
EXTRA_PATH_METADATA = {
    "extra/robots.txt": {"path": "robots.txt"},
}

TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"

THEME = "theme"
THEME_STATIC_DIR = "theme"

PLUGIN_PATHS = ["plugins"]
PLUGINS = ["typography", "post_cards", "pelican.plugins.sitemap", "reproducible", "scroll_regions"]

# Typogrify runs in the local `typography` plugin (cached, and title-safe), not in
# Pelican's reader, which would feed unescaped HTML into titles.
TYPOGRIFY = False

# Autoescape everything; article bodies and summaries are marked safe on purpose
# in the templates, so a title or tag can never inject markup.
JINJA_ENVIRONMENT = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    "extensions": [],
    "autoescape": True,
}

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.codehilite": {"css_class": "highlight", "guess_lang": False},
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.toc": {"permalink": False},
    },
    "output_format": "html5",
}

# Pretty URLs: /posts/<slug>/, /tags/<slug>/, /<page>/.
ARTICLE_URL = "posts/{slug}/"
ARTICLE_SAVE_AS = "posts/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
TAGS_URL = "tags/"
TAGS_SAVE_AS = "tags/index.html"
ARCHIVES_URL = "archives/"
ARCHIVES_SAVE_AS = "archives/index.html"
DRAFT_URL = "drafts/{slug}/"
DRAFT_SAVE_AS = "drafts/{slug}/index.html"

# One author and no categories: those pages would only repeat the front page.
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
CATEGORY_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
DEFAULT_CATEGORY = "posts"
# Pelican only assigns DEFAULT_CATEGORY when category pages are written, and its
# draft writer needs a category: give every post one through metadata.
DEFAULT_METADATA = {"category": DEFAULT_CATEGORY}

DIRECT_TEMPLATES = ["index", "tags", "archives", "404"]
DEFAULT_PAGINATION = 20
PAGINATED_TEMPLATES = {"index": None, "tag": None}
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

# Feeds are written by production builds only (publishconf.py).
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

MAIN_MENU = (
    ("Blog", "", "index"),
    ("Tags", "tags/", "tags"),
    ("Archives", "archives/", "archives"),
    ("About", "about/", "about"),
)

SITEMAP = {"format": "xml"}

POST_CARDS = {"tag_separator": " / ", "summary_max_chars": 320}

RELATIVE_URLS = True
LOAD_CONTENT_CACHE = False
DELETE_OUTPUT_DIRECTORY = False
