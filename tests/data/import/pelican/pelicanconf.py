import os

AUTHOR = "Example Author"
SITEURL = os.environ.get("SITEURL", "")
PATH = "content"
ARTICLE_URL = "{date:%Y}/{slug}.html"
