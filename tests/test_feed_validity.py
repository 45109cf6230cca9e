"""Every feed of a production build passes the W3C Feed Validation Service's
rules, checked here without the service (it does not run offline).

`feed_problems` reads one feed's raw XML with ElementTree and returns what the
validator would report: Atom's required feed and entry elements, one
rel="alternate" and one rel="self" link, an absolute <id>; RSS's required
channel elements and a <guid> that is a full URL unless isPermaLink="false";
dates in RFC 3339 (Atom) or RFC 822 (RSS); and a language. Across the feeds,
`site_problems` adds what one feed cannot show: every Atom feed has its own id,
and each feed's self link is its own address and its alternate link the page
it follows. Each rule is also shown to fail on a feed that breaks it.
"""

import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import feedparser
import pytest

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def is_full_url(value):
    parts = urlsplit(value or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_absolute_iri(value):
    parts = urlsplit(value or "")
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("tag", "urn"))


def rfc822_problem(where, value):
    try:
        date = parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        return f"{where}: {value!r} is not an RFC 822 date"
    if date.tzinfo is None:
        return f"{where}: {value!r} has no time zone"
    return None


def rfc3339_problem(where, value):
    if not RFC3339.match(value or ""):
        return f"{where}: {value!r} is not an RFC 3339 date"
    return None


def text(parent, name):
    found = parent.find(name)
    return None if found is None else (found.text or "").strip()


def atom_entry_problems(entry, where, feed_author, seen):
    problems = []
    for name in ("title", "id", "updated"):
        if not text(entry, ATOM + name):
            problems.append(f"{where}: missing <{name}>")
    entry_id = text(entry, ATOM + "id")
    if entry_id and not is_absolute_iri(entry_id):
        problems.append(f"{where}: <id> {entry_id!r} is not an absolute IRI")
    if entry_id in seen:
        problems.append(f"{where}: <id> {entry_id!r} repeats an earlier entry's")
    seen.add(entry_id)
    for name in ("updated", "published"):
        if text(entry, ATOM + name) is not None:
            problems.append(rfc3339_problem(f"{where} <{name}>", text(entry, ATOM + name)))
    if not feed_author and entry.find(f"{ATOM}author/{ATOM}name") is None:
        problems.append(f"{where}: no <author>, and the feed has none")
    return problems


def atom_problems(root):
    problems = []
    for name in ("title", "id", "updated"):
        if not text(root, ATOM + name):
            problems.append(f"feed: missing <{name}>")
    feed_id = text(root, ATOM + "id")
    if feed_id and not is_absolute_iri(feed_id):
        problems.append(f"feed: <id> {feed_id!r} is not an absolute IRI")
    if text(root, ATOM + "updated"):
        problems.append(rfc3339_problem("feed <updated>", text(root, ATOM + "updated")))
    links = [link.attrib for link in root.findall(ATOM + "link")]
    for rel in ("alternate", "self"):
        count = sum(1 for link in links if link.get("rel", "alternate") == rel)
        if count != 1:
            problems.append(f"feed: {count} <link rel={rel!r}>, not one")
    if not root.get(XML_LANG):
        problems.append("feed: no xml:lang")
    feed_author = root.find(ATOM + "author") is not None
    seen = set()
    for index, entry in enumerate(root.findall(ATOM + "entry")):
        problems += atom_entry_problems(entry, f"entry {index}", feed_author, seen)
    return problems


def rss_item_problems(item, where, seen):
    problems = []
    if not (text(item, "title") or text(item, "description")):
        problems.append(f"{where}: neither <title> nor <description>")
    guid = item.find("guid")
    if guid is not None:
        value = (guid.text or "").strip()
        if guid.get("isPermaLink", "true") != "false" and not is_full_url(value):
            problems.append(
                f"{where}: guid must be a full URL, unless isPermaLink attribute "
                f"is false: {value!r}"
            )
        if value in seen:
            problems.append(f"{where}: <guid> {value!r} repeats an earlier item's")
        seen.add(value)
    if text(item, "pubDate") is not None:
        problems.append(rfc822_problem(f"{where} <pubDate>", text(item, "pubDate")))
    return problems


def rss_problems(root):
    problems = []
    channel = root.find("channel")
    if root.get("version") != "2.0" or channel is None:
        return ["not an RSS 2.0 <rss><channel>"]
    for name in ("title", "link", "description"):
        if not text(channel, name):
            problems.append(f"channel: missing <{name}>")
    if text(channel, "link") and not is_full_url(text(channel, "link")):
        problems.append(f"channel: <link> {text(channel, 'link')!r} is not a full URL")
    if not text(channel, "language"):
        problems.append("channel: no <language>")
    selves = [link for link in channel.findall(ATOM + "link") if link.get("rel") == "self"]
    if len(selves) != 1:
        problems.append(f'channel: {len(selves)} <atom:link rel="self">, not one')
    for name in ("lastBuildDate", "pubDate"):
        if text(channel, name) is not None:
            problems.append(rfc822_problem(f"channel <{name}>", text(channel, name)))
    seen = set()
    for index, item in enumerate(channel.findall("item")):
        problems += rss_item_problems(item, f"item {index}", seen)
    return problems


def feed_problems(data):
    """What the W3C validator's rules find wrong in one feed's XML."""
    root = ET.fromstring(data.encode() if isinstance(data, str) else data)
    found = atom_problems(root) if root.tag == ATOM + "feed" else rss_problems(root)
    return [problem for problem in found if problem]


def identity(data):
    """(id or None, self link, alternate link) of one feed's XML."""
    root = ET.fromstring(data.encode() if isinstance(data, str) else data)
    if root.tag == ATOM + "feed":
        top = {
            link.get("rel", "alternate"): link.get("href") for link in root.findall(ATOM + "link")
        }
        return text(root, ATOM + "id"), top.get("self"), top.get("alternate")
    channel = root.find("channel")
    selves = [link.get("href") for link in channel.findall(ATOM + "link")]
    return None, (selves or [None])[0], text(channel, "link")


def site_problems(feeds, feed_url, page_of):
    """Rules across feeds: `feeds` maps a feed's path to its XML; `feed_url(path)`
    is its public address; `page_of(path)` the page it must link to."""
    problems = []
    owners = {}
    for path, data in sorted(feeds.items()):
        feed_id, self_link, alternate = identity(data)
        if feed_id is not None:
            if feed_id in owners:
                problems.append(f"{path}: <id> {feed_id!r} is also {owners[feed_id]}'s")
            owners[feed_id] = path
        if self_link != feed_url(path):
            problems.append(f"{path}: self link {self_link!r}, not {feed_url(path)!r}")
        if alternate != page_of(path):
            problems.append(f"{path}: alternate link {alternate!r}, not {page_of(path)!r}")
    return problems


# --- The production build ------------------------------------------------------


@pytest.fixture(scope="module")
def feeds(prod_site):
    found = {
        path.relative_to(prod_site).as_posix(): path.read_bytes()
        for path in sorted((prod_site / "feeds").glob("*.xml"))
    }
    assert len(found) > 4, f"expected the site and tag feeds, found {sorted(found)}"
    return found


def page_for(siteurl):
    def page_of(path):
        match = re.fullmatch(r"feeds/tag-(.+)\.(atom|rss)\.xml", path)
        return f"{siteurl}/tags/{match.group(1)}/" if match else f"{siteurl}/"

    return page_of


def test_every_feed_passes_the_validator_rules(feeds):
    for path, data in feeds.items():
        assert feed_problems(data) == [], f"{path}: {feed_problems(data)}"


def test_each_feed_has_its_own_id_self_link_and_matching_page(feeds, prod_site, prod_siteurl):
    problems = site_problems(feeds, lambda path: f"{prod_siteurl}/{path}", page_for(prod_siteurl))
    assert problems == []
    for path in feeds:
        page = page_for(prod_siteurl)(path).removeprefix(prod_siteurl + "/")
        assert (prod_site / page / "index.html").is_file(), f"{path} links to {page}, unbuilt"


def test_feedparser_reads_the_same_identity_and_language(feeds, prod_siteurl):
    ids = set()
    for path, data in feeds.items():
        feed = feedparser.parse(data)
        assert not feed.bozo, f"{path}: {feed.get('bozo_exception')}"
        assert feed.feed.get("language") == "en", f"{path}: language {feed.feed.get('language')}"
        assert feed.feed.link == page_for(prod_siteurl)(path), f"{path}: link {feed.feed.link}"
        if path.endswith(".atom.xml"):
            assert feed.feed.id not in ids, f"{path}: id {feed.feed.id} is another feed's"
            ids.add(feed.feed.id)
        else:
            for entry in feed.entries:
                assert entry.get("guidislink") is False, f"{path}: {entry.id} taken for a link"


def test_hostile_titles_and_tags_still_give_valid_feeds(hostile_prod, prod_siteurl):
    # A tag written as markup ("<em>tag</em>") gets a feed of its own too.
    feeds = {
        path.relative_to(hostile_prod).as_posix(): path.read_bytes()
        for path in sorted((hostile_prod / "feeds").glob("*.xml"))
    }
    assert len(feeds) >= 6, sorted(feeds)
    for path, data in feeds.items():
        assert feed_problems(data) == [], f"{path}: {feed_problems(data)}"
    problems = site_problems(feeds, lambda path: f"{prod_siteurl}/{path}", page_for(prod_siteurl))
    assert problems == []


# --- Each rule fails on a feed that breaks it ------------------------------------

GOOD_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xml:lang="en" xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<link href="https://x.org/tags/a/" rel="alternate"/>
<link href="https://x.org/feeds/tag-a.atom.xml" rel="self"/>
<id>https://x.org/feeds/tag-a.atom.xml</id><updated>2026-01-02T09:00:00+00:00</updated>
<entry><title>E</title><link href="https://x.org/posts/e/" rel="alternate"/>
<published>2026-01-02T09:00:00+00:00</published><updated>2026-01-02T09:00:00+00:00</updated>
<author><name>A</name></author><id>tag:x.org,2026-01-02:/posts/e/</id></entry></feed>"""

GOOD_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title>
<link>https://x.org/tags/a/</link><description>D</description>
<atom:link href="https://x.org/feeds/tag-a.rss.xml" rel="self"/><language>en</language>
<lastBuildDate>Fri, 02 Jan 2026 09:00:00 +0000</lastBuildDate>
<item><title>E</title><link>https://x.org/posts/e/</link>
<pubDate>Fri, 02 Jan 2026 09:00:00 +0000</pubDate>
<guid isPermaLink="false">tag:x.org,2026-01-02:/posts/e/</guid></item></channel></rss>"""


def test_the_good_samples_pass():
    assert feed_problems(GOOD_ATOM) == []
    assert feed_problems(GOOD_RSS) == []


@pytest.mark.parametrize(
    "sample, old, new, expected",
    [
        ("rss", ' isPermaLink="false"', "", "guid must be a full URL"),
        ("rss", "<language>en</language>", "", "no <language>"),
        ("rss", "<description>D</description>", "", "missing <description>"),
        ("rss", "Fri, 02 Jan 2026 09:00:00 +0000</pubDate>", "2026-01-02</pubDate>", "RFC 822"),
        ("rss", '<atom:link href="https://x.org/feeds/tag-a.rss.xml" rel="self"/>', "", "self"),
        ("atom", ' xml:lang="en"', "", "no xml:lang"),
        ("atom", "<id>https://x.org/feeds/tag-a.atom.xml</id>", "", "missing <id>"),
        ("atom", "<id>https://x.org/feeds/tag-a.atom.xml</id>", "<id>feeds/a</id>", "absolute"),
        ("atom", '<link href="https://x.org/tags/a/" rel="alternate"/>', "", "alternate"),
        ("atom", "<author><name>A</name></author>", "", "no <author>"),
        (
            "atom",
            "<updated>2026-01-02T09:00:00+00:00</updated>\n<entry>",
            "<updated>2 Jan 2026</updated>\n<entry>",
            "RFC 3339",
        ),
    ],
)
def test_each_feed_rule_can_fail(sample, old, new, expected):
    good = GOOD_RSS if sample == "rss" else GOOD_ATOM
    assert old in good, f"the sample no longer holds {old!r}"
    problems = feed_problems(good.replace(old, new))
    assert any(expected in problem for problem in problems), problems


def test_duplicate_entry_ids_fail():
    entry = GOOD_ATOM[GOOD_ATOM.index("<entry>") : GOOD_ATOM.index("</feed>")]
    problems = feed_problems(GOOD_ATOM.replace("</feed>", entry + "</feed>"))
    assert any("repeats" in problem for problem in problems), problems


def test_shared_ids_and_wrong_links_across_feeds_fail():
    other = GOOD_ATOM.replace('tag-a.atom.xml" rel', 'tag-b.atom.xml" rel')
    feeds = {"feeds/tag-a.atom.xml": GOOD_ATOM, "feeds/tag-b.atom.xml": other}
    problems = site_problems(feeds, lambda p: f"https://x.org/{p}", page_for("https://x.org"))
    assert any("also feeds/tag-a.atom.xml's" in p for p in problems), problems
    assert any("tag-b.atom.xml: alternate link 'https://x.org/tags/a/'" in p for p in problems)
    assert not any(p.startswith("feeds/tag-b.atom.xml: self") for p in problems), problems
    front = {"feeds/tag-a.rss.xml": GOOD_RSS.replace("/tags/a/", "/")}
    problems = site_problems(front, lambda p: f"https://x.org/{p}", page_for("https://x.org"))
    assert problems == [
        "feeds/tag-a.rss.xml: alternate link 'https://x.org/', not 'https://x.org/tags/a/'"
    ], problems
