import os

import a_plugin_only_the_old_blog_has  # noqa: F401  (proves the importer never runs this file)

AUTHOR = "Example Author"
SITEURL = os.environ.get("SITEURL", "")
PATH = "content"
ARTICLE_URL = "{date:%Y}/{slug}.html"
