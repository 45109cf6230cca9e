"""Production overrides for `invoke publish` (Netlify runs this)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *
from sitetools.netlify import site_url

# An explicit SITEURL wins; on Netlify, production uses URL and deploy previews
# and branch deploys use DEPLOY_PRIME_URL, so a preview links to itself.
SITEURL = site_url(os.environ, default="https://example.netlify.app")
RELATIVE_URLS = False

FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
TAG_FEED_ATOM = "feeds/tag-{slug}.atom.xml"
TAG_FEED_RSS = "feeds/tag-{slug}.rss.xml"
RSS_FEED_SUMMARY_ONLY = False
# Each feed carries the newest 20 posts in full: more than a feed reader shows,
# and a file it can poll cheaply. Pelican's default of 100 made each of the 62
# feeds of a 1,000-post site 1.2 MB, and their writing the longest part of a build.
FEED_MAX_ITEMS = 20

DELETE_OUTPUT_DIRECTORY = True

# Pages link the theme's CSS, JS and fonts by their hashed names under assets/
# (the hashed_assets plugin reads theme/static itself); Pelican's plain copy
# under theme/ would only publish files nothing links to.
THEME_STATIC_PATHS = []

# Drafts are for the preview only.
DRAFT_SAVE_AS = ""
DRAFT_PAGE_SAVE_AS = ""
# A post dated in the future is a draft until its date: not written, not listed.
WITH_FUTURE_DATES = False
# No "Draft"/"Scheduled" badges and no drafts in the public listings.
PREVIEW_BADGES = {"enabled": False}
