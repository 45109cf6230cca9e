"""Site tests: article, tag, tags, archives and 404 pages of the real content,
and a hostile content set that must not inject markup."""

from pathlib import Path

import pytest

from sitetools.build.builder import build


def articles(output):
    return sorted(Path(output, "posts").glob("*/index.html"))


def test_every_article_page_has_title_date_tags_and_body(site, html, seed):
    pages = articles(site)
    assert len(pages) == len(seed["posts"]), f"{len(pages)} article pages written"
    for page in pages:
        soup = html(page.parent, page.name)
        where = page.relative_to(site)
        assert len(soup.select("h1")) == 1, f"{where}: one <h1>"
        time = soup.select_one("article time[datetime]")
        assert time is not None and time["datetime"][:4].isdigit(), f"{where}: no <time datetime>"
        tags = soup.select('.post__tags a[rel="tag"]')
        assert tags, f"{where}: no tag links"
        for tag in tags:
            target = (page.parent / tag["href"]).resolve() / "index.html"
            assert target.is_file(), f"{where}: tag link {tag['href']} leads nowhere"
        body = soup.select_one(".post__body")
        assert body is not None and len(body.get_text(" ", strip=True).split()) >= 300, (
            f"{where}: body under 300 words"
        )


def test_article_tags_keep_the_authors_order(site, html, seed):
    for post in seed["posts"]:
        index = html(site, "index.html")
        card = next(
            c
            for c in index.select("article.card")
            if c.select_one(".card__link .visually-hidden").get_text().endswith(post["title"])
        )
        href = card.select_one(".card__link")["href"]
        page = html(site, href.strip("./") + "/index.html")
        names = [a.get_text(strip=True) for a in page.select('.post__tags a[rel="tag"]')]
        assert names == post["tags"], f"{post['title']}: tags {names}"


def test_tag_page_shows_that_tags_posts_as_cards(site, html, seed):
    for tag in {t for post in seed["posts"] for t in post["tags"]}:
        soup = html(site, f"tags/{tag}/index.html")
        expected = [p["title"] for p in seed["posts"] if tag in p["tags"]]
        titles = [
            c.select_one(".card__title").get_text(" ", strip=True)
            for c in soup.select("article.card")
        ]
        assert len(titles) == len(expected), (
            f"tag {tag}: {len(titles)} cards, expected {len(expected)}"
        )
        assert soup.select_one("h1").get_text(strip=True).endswith(f"“{tag}”")


def test_tags_index_lists_every_tag_with_its_count(site, html, seed):
    soup = html(site, "tags/index.html")
    counts = {}
    for post in seed["posts"]:
        for tag in post["tags"]:
            counts[tag] = counts.get(tag, 0) + 1
    links = soup.select("main .tag-cloud a")
    assert len(links) == len(counts)
    for link in links:
        name = link.find(string=True, recursive=False).strip()
        shown = link.select_one(".tag__count").find(string=True, recursive=False).strip()
        assert int(shown) == counts[name], f"tag {name}: count {shown}"


def test_archives_list_every_post_under_its_year(site, html, seed):
    soup = html(site, "archives/index.html")
    items = soup.select("main .archive__item")
    assert len(items) == len(seed["posts"])
    for section in soup.select("main section.archive"):
        year = section.select_one("h2").get_text(strip=True)
        for time in section.select("time"):
            assert time["datetime"].startswith(year)


def test_404_page_links_home_tags_and_archives(site, html):
    soup = html(site, "404.html")
    assert "not found" in soup.select_one("h1").get_text().lower()
    hrefs = [a["href"] for a in soup.select("main a")]
    assert any(h.rstrip("/").endswith("tags") for h in hrefs), hrefs
    assert any(h.rstrip("/").endswith("archives") for h in hrefs), hrefs


def test_every_page_has_skip_link_landmarks_and_stylesheet(site, html):
    for page in sorted(site.rglob("*.html")):
        soup = html(page.parent, page.name)
        where = page.relative_to(site)
        skip = soup.select_one("body > a.skip-link")
        assert skip is not None and skip["href"] == "#main", f"{where}: no skip link first"
        assert soup.select_one("main#main") is not None, f"{where}: no <main id=main>"
        assert soup.select_one("header") and soup.select_one("footer"), f"{where}: landmarks"
        assert soup.select_one('link[rel="stylesheet"]'), f"{where}: no stylesheet"
        assert not soup.select("script:not([src])") or all(
            s.get("type") == "application/ld+json" for s in soup.select("script:not([src])")
        ), f"{where}: inline script"


def test_production_urls_are_absolute_and_under_siteurl(prod_site, html, prod_siteurl):
    assert prod_siteurl.startswith("https://")
    for page in sorted(prod_site.rglob("*.html")):
        soup = html(page.parent, page.name)
        for link in soup.select("a[href], link[href]"):
            href = link["href"]
            if href.startswith("#") or href.startswith("mailto:"):
                continue
            assert href.startswith(prod_siteurl), f"{page.relative_to(prod_site)}: {href}"


def test_markup_in_title_tags_and_summary_is_shown_as_text(hostile, html):
    for mode, output in hostile.items():
        for relative in ("index.html", "posts/markup-in-title/index.html"):
            soup = html(output, relative)
            where = f"{mode} {relative}"
            assert not soup.select("main script, main b, main img, main em"), (
                f"{where}: markup injected"
            )
            text = soup.select_one("main").get_text(" ")
            assert "<script>" in text, f"{where}: the title's text was lost"


def test_summary_falls_back_to_opening_sentences(hostile, html):
    soup = html(hostile["dev"], "index.html")
    card = next(
        c
        for c in soup.select("article.card")
        if "without a summary" in c.select_one(".card__title").get_text().replace("\xa0", " ")
    )
    summary = card.select_one(".card__summary").get_text(" ", strip=True)
    assert summary.startswith("The opening sentence stands in"), summary
    assert "The third" not in summary and "heading" not in summary, summary


def test_drafts_are_previewed_but_never_published(hostile):
    assert (hostile["dev"] / "drafts" / "a-draft" / "index.html").is_file()
    prod_files = [p.relative_to(hostile["prod"]).as_posix() for p in hostile["prod"].rglob("*")]
    assert not [p for p in prod_files if "a-draft" in p], "the draft reached production"


@pytest.mark.parametrize("config", ["pelicanconf.py", "publishconf.py"])
def test_the_real_site_builds_without_a_warning(config, tmp_path):
    """A warning on the real site is noise the author learns to ignore: a
    setting of ours that shadows one of Pelican's (AUTHOR_URL did) warns on
    every build."""
    result = build(config, tmp_path / "output", {"CACHE_PATH": str(tmp_path / "cache")})
    assert result.warnings == [], result.warnings
