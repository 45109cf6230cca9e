"""Each post's and page's URL and output path, worked out once before writing.

Pelican formats `article.url` and `save_as` from the URL settings on every
use: listings, tag pages, archives, feeds and the sitemap ask about 17,000
times at 1,000 posts, a quarter of a warm build. Once every generator has
finished, nothing changes a post's slug, date or status, so when Pelican asks
for its writer each article and page gets the values it computes now as
`override_url` and `override_save_as`: the attributes Pelican itself sets for
a post's `Url:` and `Save_as:` header lines (and for EXTRA_PATH_METADATA),
which it reads before formatting anything. Pelican's own answers, not ours.
"""

from pelican import signals

from sitetools.contents import contents_of


def fixed(content):
    """(url, save_as) as Pelican computes them for `content` now."""
    return content.url, content.save_as


# The generators of the build under way, from all_generators_finalized until
# Pelican asks for its writer.
_pending = []


def remember(generators):
    _pending[:] = generators


def fix_urls(_pelican):
    """Give every article and page its URL and output path as fixed values."""
    for content in contents_of(*_pending):
        content.override_url, content.override_save_as = fixed(content)
    _pending.clear()


def register():
    # Every generator has read its sources: slugs, dates and statuses are final.
    signals.all_generators_finalized.connect(remember)
    # Pelican asks for its writer right before it writes the first page.
    signals.get_writer.connect(fix_urls)
