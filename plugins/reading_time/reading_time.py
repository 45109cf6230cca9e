"""Reading time for every article: `article.reading_minutes` ("6 min read").

Prose and code are counted apart, because code is read much more slowly than
prose: words inside `<pre>` blocks count at `code_words_per_minute`, every
other word of the body at `words_per_minute`. A word is a run of characters
between whitespace.
"""

import logging
import math

from bs4 import BeautifulSoup
from pelican import signals

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


def count_words(markup):
    """(prose words, code words) in an HTML body; code is what sits in <pre>."""
    if not markup:
        return 0, 0
    soup = BeautifulSoup(str(markup), "html.parser")
    code = 0
    for block in soup.find_all("pre"):
        code += len(block.get_text().split())
        block.decompose()
    return len(soup.get_text(" ").split()), code


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
    for article in (
        *generator.articles,
        *generator.translations,
        *generator.drafts,
        *generator.drafts_translations,
        *generator.hidden_articles,
        *generator.hidden_translations,
    ):
        prose, code = count_words(article._content)
        article.reading_minutes = reading_minutes(
            prose, code, options["words_per_minute"], options["code_words_per_minute"]
        )


def register():
    # Bodies are complete once the article generator has read every post.
    signals.article_generator_finalized.connect(annotate_articles)
