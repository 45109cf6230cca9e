"""Reading time for every article: `article.reading_minutes` ("6 min read").

Prose and code are counted apart, because code is read much more slowly than
prose: words inside `<pre>` blocks count at `code_words_per_minute`, every
other word of the body at `words_per_minute`. A word is a run of characters
between whitespace.
"""

import logging
import math
from html.parser import HTMLParser

from pelican import signals

from sitetools.cache import Cache
from sitetools.contents import contents_of

# (prose words, code words) per body, kept across builds.
_counts = Cache("reading-time")

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Silent reading of English non-fiction averages about 238 words a minute
    # (Brysbaert, 2019, a meta-analysis of 190 studies); technical prose is a
    # little slower.
    "words_per_minute": 230,
    # Code is read token by token and often twice: a judgement, tune it here.
    "code_words_per_minute": 100,
}


def settings_for(settings):
    """The plugin's settings: defaults overlaid with the site's READING_TIME dict."""
    return {**DEFAULTS, **(settings.get("READING_TIME") or {})}


def setting_problems(options):
    """One message per rate that is not a positive number."""
    problems = []
    for name in ("words_per_minute", "code_words_per_minute"):
        value = options.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problems.append(
                f"READING_TIME[{name!r}] must be a positive number of words a minute, "
                f"got {value!r}: fix it in the settings file"
            )
    return problems


class _Words(HTMLParser):
    """Counts the words of an HTML body, apart inside <pre>. Text pieces are
    counted apart, as words separated by tags are."""

    # Not text a reader reads (BeautifulSoup's get_text leaves them out too).
    HIDDEN = frozenset({"script", "style", "template"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pre = 0
        self.hidden = 0
        self.prose = []
        self.code = []

    def handle_starttag(self, tag, attrs):
        if tag == "pre":
            self.pre += 1
            self.code.append("")
        elif tag in self.HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag == "pre" and self.pre:
            self.pre -= 1
        elif tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if self.hidden:
            return
        if self.pre:
            self.code[-1] += data  # a <pre>'s text is one text, tags or not
        else:
            self.prose.append(data)


def count_words(markup):
    """(prose words, code words) in an HTML body; code is what sits in <pre>.

    The standard library's parser, not a BeautifulSoup tree: a thousand bodies
    in a fraction of the time."""
    if not markup:
        return 0, 0
    parser = _Words()
    parser.feed(str(markup))
    parser.close()
    prose = sum(len(piece.split()) for piece in parser.prose)
    code = sum(len(text.split()) for text in parser.code)
    return prose, code


def reading_minutes(prose_words, code_words, words_per_minute, code_words_per_minute):
    """Whole minutes to read, rounded up; at least 1."""
    minutes = prose_words / words_per_minute + code_words / code_words_per_minute
    return max(1, math.ceil(minutes))


def annotate_articles(generator):
    """Every article, draft and hidden post gets `reading_minutes`."""
    options = settings_for(generator.settings)
    problems = setting_problems(options)
    for problem in problems:
        logger.error(problem)
    if problems:
        options = DEFAULTS
    articles = contents_of(generator)
    # Parsing every body is slow: counted on every CPU, kept across builds.
    counts = _counts.map(
        generator.settings,
        count_words,
        [article._content or "" for article in articles],
        label="reading time",
    )
    for article, (prose, code) in zip(articles, counts, strict=True):
        article.reading_minutes = reading_minutes(
            prose, code, options["words_per_minute"], options["code_words_per_minute"]
        )


def register():
    # Bodies are complete once the article generator has read every post.
    signals.article_generator_finalized.connect(annotate_articles)
