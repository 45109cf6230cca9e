"""Each post's and page's URL and output path, worked out once before writing.

Pelican formats `url` and `save_as` from the URL settings on every use (about
17,000 times at 1,000 posts, a quarter of a warm build). Once every generator
has finished nothing changes a slug, date or status, so when Pelican asks for
its writer each article and page gets Pelican's own values as
`override_url` and `override_save_as`, the attributes Pelican sets for a
post's `Url:` and `Save_as:` lines and reads before formatting anything.
"""

from pelican import signals

from sitetools.contents import contents_of

# The generators of the build under way, until Pelican asks for its writer.
_pending = []


def remember(generators):
    _pending[:] = generators


def fix_urls(_pelican):
    for content in contents_of(*_pending):
        content.override_url, content.override_save_as = content.url, content.save_as
    _pending.clear()


def register():
    # Every generator has read its sources: slugs, dates and statuses are final.
    signals.all_generators_finalized.connect(remember)
    # Pelican asks for its writer right before it writes the first page.
    signals.get_writer.connect(fix_urls)
