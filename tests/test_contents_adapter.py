"""sitetools.content.contents' body adapter: the one place the project touches Pelican's
private `_content`. These fail on a Pelican release that stops reading it."""

from pelican.contents import Article
from pelican.settings import DEFAULT_CONFIG

from sitetools.content.contents import body, set_body


def make_article(markup):
    settings = {**DEFAULT_CONFIG, "SITEURL": "https://example.org"}
    return Article(markup, metadata={"title": "T", "slug": "t"}, settings=settings)


def test_set_body_is_what_pelican_writes():
    article = make_article("<p>before</p>")
    assert body(article) == "<p>before</p>"
    set_body(article, "<p>after</p>")
    assert article.content == "<p>after</p>", "Pelican no longer reads Content._content"
    assert article.get_content("https://example.org") == "<p>after</p>"


def test_set_body_reaches_pelicans_link_replacement():
    """Pelican resolves {filename}/{static} links on the body set here."""
    article = make_article("<p>x</p>")
    set_body(article, '<a href="{tag}python">python</a>')
    assert "{tag}" not in article.content, article.content
    assert 'tag/python.html"' in article.content, article.content
