"""Pelican settings for development builds (`invoke build`, `invoke serve`).

Flat UPPER_CASE settings; production overrides live in publishconf.py.
"""

AUTHOR = "The author"
# The author's page (an absolute https:// address, e.g. a profile or about
# page): the JSON-LD author's `url`. None leaves it out.
AUTHOR_PROFILE_URL = None
SITENAME = "Production ML Notes"
SITEURL = ""
BLOG_HEADING = "Blog"
SITE_TAGLINE = (
    "Technical case studies on production ML/AI infrastructure, data platforms, "
    "observability, and LLM operations."
)
# Pelican gives every feed this subtitle (RSS: its required <description>).
SITESUBTITLE = SITE_TAGLINE

PATH = "content"
ARTICLE_PATHS = ["posts"]
PAGE_PATHS = ["pages"]
# data/<slug>/ holds the files a post lists in `Data:` (see the data_files plugin).
STATIC_PATHS = ["images", "extra", "data"]
# Never read, never published: hidden files (an editor's .#post.md lock, .swp
# swap files, .DS_Store), backups (post.md~, #post.md#) and temporary files.
# Pelican matches each name (and its watcher each path) against these.
IGNORE_FILES = ["**/.*", ".*", "*~", "#*#", "*.swp", "*.tmp"]

TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"

THEME = "theme"
THEME_STATIC_DIR = "theme"

PLUGIN_PATHS = ["plugins"]
PLUGINS = [
    "content_guard",
    # YAML front matter (`---` … `---`), as Hugo, Jekyll, Astro and Eleventy write it.
    "pelican.plugins.yaml_metadata",
    # Each output path has one source and is worked out once, not on every
    # use while writing; no link is left unresolved.
    "output_paths",
    # post_cards sets one_line_summary in all_generators_finalized, before
    # typography typesets the `smart` texts ahead in the same signal.
    "post_cards",
    "typography",
    "preview_badges",
    "pelican.plugins.sitemap",
    "hashed_assets",
    "redirects",
    # Reader features on the article page.
    "headings",
    "article_page",
    # Feeds, sharing and search.
    "feeds",
    "social_images",
    # Raw data files beside their post (Data:); series (Series:) and their pages.
    "data_files",
    "pelican.plugins.series",
    "series_pages",
    "seo",
    "search_index",
    "for_llms",  # /llms.txt and each post's Markdown at posts/<slug>/index.md
    # Quality: byte-identical builds.
    "reproducible",
    # Every image with its size, lazy loading and resized AVIF/WebP/JPEG copies.
    "images",
    # ```chart fences drawn as inline SVG once content_guard has judged the raw HTML.
    "charts",
    # $…$ and $$…$$ as MathML, and ```dot fences as inline SVG, both drawn at build time.
    "mathml",
    "diagrams",
]

# Typogrify runs in the local `typography` plugin (cached, and title-safe), not in
# Pelican's reader, which would feed unescaped HTML into titles.
TYPOGRIFY = False

# alt="" marks a decorative image, a choice (content_guard refuses an <img> with
# no alt at all); Pelican's reader would warn about each.
LOG_FILTER = [(30, "Empty alt attribute for image %s in %s")]  # 30: logging.WARNING

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
        # ```chart fences (the charts plugin, loaded from PLUGIN_PATHS as `charts`).
        "charts.charts": {},
        # $…$ math and ```dot diagrams (the mathml and diagrams plugins).
        "mathml.mathml": {},
        "diagrams.diagrams": {},
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

DIRECT_TEMPLATES = ["index", "tags", "archives", "404", "search", "robots"]
# The search page (Pagefind, see the search_index plugin) and a robots.txt
# rendered from theme/templates/robots.txt so it names this build's sitemap URL.
SEARCH_URL = "search/"
SEARCH_SAVE_AS = "search/index.html"
ROBOTS_SAVE_AS = "robots.txt"
TEMPLATE_EXTENSIONS = [".html", ".txt"]
# The front page is "/", not "/index.html", in the pagination's page-1 links too.
INDEX_URL = ""
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
    ("Search", "search/", "search"),
)

# Pages that are not content stay out of the sitemap (drafts never enter it).
SITEMAP = {
    "format": "xml",
    "exclude": [r"^404\.html$", r"^robots\.txt$", r"^search/$"],
}

POST_CARDS = {"tag_separator": " / ", "summary_max_chars": 320}

# Theme CSS, JS and fonts are also written as assets/<path>.<hash>.<ext>;
# templates link them with {{ asset("css/main.css") }}.
HASHED_ASSETS = {"output_dir": "assets", "hash_chars": 10}

# Netlify's _redirects, from content/redirects.txt plus the feed aliases: each
# old feed address and the setting of the feed it leads to.
REDIRECTS = {
    "file": "redirects.txt",
    "feed_aliases": {
        "/feed": "FEED_ALL_ATOM",
        "/rss": "FEED_ALL_RSS",
        "/atom.xml": "FEED_ALL_ATOM",
    },
}

# Every source is checked before anything is read or written; see the README's
# "When a build fails". The keys a header may use are the fields of the Post and
# Page models in plugins/content_guard/schema.py; to allow more (optional text):
# CONTENT_GUARD = {"extra_fields": ["cover", "description"]}
CONTENT_GUARD = {}

# The preview lists drafts and marks drafts and future-dated posts.
PREVIEW_BADGES = {"enabled": True, "list_drafts": True}

# "6 min read": words of prose, and words inside code blocks, read per minute.
READING_TIME = {"words_per_minute": 230, "code_words_per_minute": 100}
# Table of contents from this many h2 sections; every h2/h3 gets an anchor link.
HEADINGS = {"toc_min_sections": 3}
RELATED_POSTS = {"limit": 3}
# "Edit this post" links to the source file when REPO_URL is set, e.g.
# "https://github.com/<owner>/<repo>"; unset, there is no link.
REPO_URL = None
EDIT_LINK = {"url_template": "{repo_url}/blob/main/content/{path}"}

RELATIVE_URLS = True
# Pelican's cache of what its readers made of each source: a build reads again
# only the sources that changed. Every build through sitetools.build.builder loads it
# only when it was written under the same settings, code and packages
# (sitetools/build/cache.py), and reads everything afresh otherwise.
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
DELETE_OUTPUT_DIRECTORY = False
