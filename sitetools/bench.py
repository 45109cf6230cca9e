"""Build and preview speed, measured against vanilla Pelican (`invoke bench`).

A deterministic synthetic corpus of N posts is written to a temporary folder,
then these contenders run R times each, one after another in turn, every build
in a fresh Python process so that imports and memory count the same for all:

- production: our production build (`publishconf.py` with every plugin this
  branch has) of the corpus, with an empty cache, the way a CI deploy runs;
- production-warm: the same with the cache a previous build left behind, after
  one post was edited (a deploy of one new edit);
- vanilla: Pelican as installed, default theme, no plugins, same corpus;
- rebuild: the preview's rebuild after one post is edited, in the process
  that made the preview's first build (its caches warm);
- save-to-served: on the real ten-post site, the time from saving a post to
  the preview server answering with the new text.

The corpus and statistics are pure functions (unit-tested); the measuring
drivers start subprocesses of this module (`python -m sitetools.bench ...`).
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_SEED = 7

# About thirty tags, as a real technical blog would have.
TAG_POOL = (
    "python",
    "go",
    "rust",
    "kubernetes",
    "terraform",
    "llm",
    "mlops",
    "observability",
    "data-engineering",
    "postgres",
    "kafka",
    "spark",
    "dbt",
    "airflow",
    "devops",
    "ci-cd",
    "security",
    "networking",
    "linux",
    "gpu",
    "inference",
    "evaluation",
    "cost",
    "monitoring",
    "testing",
    "performance",
    "architecture",
    "aws",
    "gcp",
    "devtools",
)

_WORDS = (
    "cluster node pod queue worker batch stream event schema table index cache "
    "latency throughput budget request response model prompt token embedding "
    "vector gateway router service deployment rollout canary replica shard "
    "partition offset consumer producer pipeline job task retry backoff timeout "
    "deadline metric trace span log alert dashboard threshold baseline regression "
    "drift feature label dataset sample split benchmark profile allocation memory "
    "disk network packet socket thread process lock mutex channel buffer window "
    "checkpoint snapshot migration release version tag branch commit review build "
    "artifact image registry container volume secret config policy quota limit "
    "scheduler controller operator webhook probe readiness liveness health check "
    "cost invoice spend forecast estimate capacity headroom peak median tail "
    "percentile outage incident postmortem runbook oncall pager owner team"
).split()
_VERBS = (
    "scales reduces measures routes caches retries batches streams indexes "
    "profiles replaces splits tracks reports throttles drains restarts rebuilds "
    "validates compares samples shards migrates exports"
).split()
_ACRONYMS = ("API", "GPU", "SLO", "CPU", "TTFT", "HTTP", "SQL", "JSON", "CI", "P99")
_CODE = {
    "python": (
        "def {a}({b}, {c}=None):\n"
        '    """Return the {b} for one {c}."""\n'
        "    result = [{b} * 2 for {b} in range({n})]\n"
        "    if {c} is not None:\n"
        '        result.append({c}.get("{a}", {n}))\n'
        "    return sum(result) / max(len(result), 1)\n"
    ),
    "bash": (
        "set -euo pipefail\n"
        'for {a} in $(seq 1 {n}); do\n  echo "{b}-${a}" >> /tmp/{c}.log\ndone\n'
        "grep -c {b} /tmp/{c}.log\n"
    ),
    "yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {a}-{b}\n"
        "spec:\n  replicas: {n}\n  template:\n    spec:\n      containers:\n"
        "        - name: {c}\n          image: registry.example/{c}:1.{n}\n"
    ),
    "go": (
        "func {a}(ctx context.Context, {b} []string) (int, error) {{\n"
        "\ttotal := 0\n\tfor _, {c} := range {b} {{\n"
        "\t\tif err := ctx.Err(); err != nil {{\n\t\t\treturn total, err\n\t\t}}\n"
        "\t\ttotal += len({c}) * {n}\n\t}}\n\treturn total, nil\n}}\n"
    ),
    "sql": (
        "SELECT {a}, count(*) AS {b}_count, avg({c}) AS mean_{c}\n"
        "FROM events\nWHERE created_at > now() - interval '{n} days'\n"
        "GROUP BY {a}\nORDER BY {b}_count DESC\nLIMIT {n};\n"
    ),
    "json": ('{{\n  "{a}": {n},\n  "{b}": ["{c}", "{a}"],\n  "enabled": true\n}}\n'),
}


@dataclass(frozen=True)
class Post:
    """One synthetic post: its file name under posts/ and its Markdown text."""

    slug: str
    tags: tuple
    text: str

    @property
    def filename(self):
        return f"{self.slug}.md"


def _sentence(rng, words=None):
    count = words or rng.randint(8, 20)
    parts = [rng.choice(_WORDS) for _ in range(count)]
    parts[rng.randrange(count)] = rng.choice(_VERBS)
    if rng.random() < 0.3:
        parts[rng.randrange(count)] = rng.choice(_ACRONYMS)
    if rng.random() < 0.2:
        parts[rng.randrange(count)] = f"`{rng.choice(_WORDS)}_{rng.choice(_WORDS)}`"
    if rng.random() < 0.15:
        index = rng.randrange(count)
        parts[index] = f'"{parts[index]}"'
    if rng.random() < 0.1:
        parts[rng.randrange(count)] = f"**{rng.choice(_WORDS)}**"
    if rng.random() < 0.1:
        word = rng.choice(_WORDS)
        parts[rng.randrange(count)] = f"[{word}](https://example.com/{word})"
    if rng.random() < 0.15 and count > 6:
        parts.insert(count // 2, "--")
    text = " ".join(parts)
    if rng.random() < 0.2:
        text = text.replace(" ", "'s ", 1)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng):
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def _code_block(rng):
    language = rng.choice(sorted(_CODE))
    body = _CODE[language].format(
        a=rng.choice(_WORDS), b=rng.choice(_WORDS), c=rng.choice(_WORDS), n=rng.randint(2, 99)
    )
    return f"```{language}\n{body}```"


def _bullet_list(rng):
    ordered = rng.random() < 0.4
    items = [_sentence(rng, rng.randint(4, 10)) for _ in range(rng.randint(3, 6))]
    return "\n".join(
        f"{number}. {item}" if ordered else f"- {item}" for number, item in enumerate(items, 1)
    )


def make_post(index, seed=DEFAULT_SEED):
    """Post number `index` of the corpus for `seed`; it depends on nothing else,
    so a smaller corpus is the start of a bigger one."""
    rng = random.Random(f"bench:{seed}:{index}")
    title_words = [rng.choice(_WORDS) for _ in range(rng.randint(3, 6))]
    title = " ".join(title_words).capitalize()
    if rng.random() < 0.3:
        title += f': why the {rng.choice(_WORDS)}\'s "{rng.choice(_WORDS)}" {rng.choice(_VERBS)}'
    slug = f"{'-'.join(title_words)}-{index}"
    tags = tuple(rng.sample(TAG_POOL, rng.randint(2, 4)))
    date = datetime(2020, 1, 1, 9, 0) + timedelta(days=index, hours=rng.randint(0, 8))
    summary = _sentence(rng, rng.randint(18, 32))

    blocks = [_paragraph(rng), _paragraph(rng)]
    sections = rng.randint(4, 6)
    code_sections = set(rng.sample(range(sections), rng.randint(1, 3)))
    list_sections = set(rng.sample(range(sections), rng.randint(1, 2)))
    for number in range(sections):
        blocks.append(f"## {' '.join(rng.choice(_WORDS) for _ in range(3)).capitalize()}")
        blocks.append(_paragraph(rng))
        if number in code_sections:
            blocks.append(_code_block(rng))
        if number in list_sections:
            blocks.append(_bullet_list(rng))
        if rng.random() < 0.4:
            blocks.append(f"### {' '.join(rng.choice(_WORDS) for _ in range(2)).capitalize()}")
            blocks.append(_paragraph(rng))
    head = "\n".join(
        [
            f"Title: {title}",
            f"Date: {date:%Y-%m-%d %H:%M}",
            f"Tags: {', '.join(tags)}",
            f"Slug: {slug}",
            f"Summary: {summary}",
        ]
    )
    return Post(slug=slug, tags=tags, text=head + "\n\n" + "\n\n".join(blocks) + "\n")


def make_corpus(posts, seed=DEFAULT_SEED):
    """The whole corpus as {relative path: text}: N posts and an About page."""
    files = {}
    for index in range(posts):
        post = make_post(index, seed)
        files[f"posts/{post.filename}"] = post.text
    files["pages/about.md"] = (
        "Title: About\nSlug: about\n\nA synthetic site for measuring build speed.\n"
    )
    return files


def write_corpus(folder, posts, seed=DEFAULT_SEED):
    """Write the corpus under `folder` (its content root) and return the folder."""
    folder = Path(folder)
    for relative, text in make_corpus(posts, seed).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def edit_text(text, token):
    """The post's text with one sentence added to its body, carrying `token`."""
    return text.rstrip("\n") + f"\n\nThis sentence was added by an edit ({token}).\n"


# ----------------------------------------------------------------- statistics


def summarize(samples):
    """Median, min and max of a list of numbers."""
    values = [float(value) for value in samples]
    if not values:
        raise ValueError("summarize() needs at least one sample")
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "samples": values,
    }


def ratio(value, baseline):
    """value / baseline, or None when there is no baseline to compare with."""
    if value is None or not baseline:
        return None
    return value / baseline


@dataclass(frozen=True)
class Target:
    """One of the issue's targets: `row`'s `measure` compared with `limit`."""

    name: str
    row: str
    measure: str  # "seconds", "time_ratio" or "memory_ratio"
    limit: float
    strict: bool = False  # True: value < limit; False: value <= limit


TARGETS = (
    Target("production build ≤ 1.2× vanilla Pelican", "production", "time_ratio", 1.2),
    # Not the target, which is the cold build: what every deploy after
    # the first one runs on Netlify, which keeps cache/ between deploys.
    Target("  the same, warm cache, one post edited", "production-warm", "time_ratio", 1.2),
    Target("rebuild after one edit ≤ 2.5 s", "rebuild", "seconds", 2.5),
    Target("save-to-served < 0.5 s", "save-to-served", "seconds", 0.5, strict=True),
    Target("production peak memory ≤ 2× vanilla", "production", "memory_ratio", 2.0),
    Target("preview peak memory ≤ 2× vanilla", "rebuild", "memory_ratio", 2.0),
)


def row_measure(row, measure):
    if measure == "seconds":
        return row["seconds"]["median"]
    return row.get(measure)


def check_targets(rows, targets=TARGETS):
    """Each target with the measured value and whether it holds."""
    by_name = {row["name"]: row for row in rows}
    results = []
    for target in targets:
        row = by_name.get(target.row)
        value = row_measure(row, target.measure) if row else None
        holds = None
        if value is not None:
            holds = value < target.limit if target.strict else value <= target.limit
        results.append(
            {
                "name": target.name,
                "row": target.row,
                "measure": target.measure,
                "limit": target.limit,
                "value": value,
                "holds": holds,
            }
        )
    return results


def make_row(name, label, seconds, peak_rss_kib, pages, *, baseline=None, cpu_seconds=()):
    """One contender's figures from its samples; `baseline` is vanilla's row."""
    timing = summarize(seconds)
    peak_mib = max(peak_rss_kib) / 1024 if peak_rss_kib else None
    row = {
        "name": name,
        "label": label,
        "seconds": timing,
        "cpu_seconds": statistics.median(cpu_seconds) if cpu_seconds else None,
        "peak_rss_mib": peak_mib,
        "pages": pages,
        "ms_per_page": timing["median"] * 1000 / pages if pages else None,
    }
    if baseline is not None:
        row["time_ratio"] = ratio(timing["median"], baseline["seconds"]["median"])
        row["memory_ratio"] = ratio(peak_mib, baseline["peak_rss_mib"])
    return row


def _fmt(value, spec, suffix=""):
    return "–" if value is None else f"{value:{spec}}{suffix}"


def format_table(report):
    """The report as a plain-text table with the targets under it."""
    header = (
        f"Build benchmark: {report['posts']} posts (seed {report['seed']}), "
        f"{report['runs']} run{'s' * (report['runs'] != 1)} each, "
        f"{report['machine']['cpus']} CPUs, Pelican {report['machine']['pelican']}, "
        f"Python {report['machine']['python']}"
    )
    load = report["machine"].get("load_average")
    if load:
        header += f"\nLoad average (1 min) {load[0]:.1f} before, {load[1]:.1f} after"
    columns = (
        ("contender", "<", 34),
        ("median", ">", 8),
        ("min", ">", 8),
        ("max", ">", 8),
        ("CPU", ">", 8),
        ("peak RSS", ">", 9),
        ("pages", ">", 6),
        ("ms/page", ">", 8),
        ("×time", ">", 6),
        ("×memory", ">", 8),
    )
    lines = [header, ""]
    lines.append("  ".join(f"{title:{align}{width}}" for title, align, width in columns))
    for row in report["rows"]:
        cells = (
            row["label"],
            _fmt(row["seconds"]["median"], ".2f", " s"),
            _fmt(row["seconds"]["min"], ".2f", " s"),
            _fmt(row["seconds"]["max"], ".2f", " s"),
            _fmt(row.get("cpu_seconds"), ".2f", " s"),
            _fmt(row["peak_rss_mib"], ".0f", " MiB"),
            _fmt(row["pages"], "d"),
            _fmt(row["ms_per_page"], ".2f"),
            _fmt(row.get("time_ratio"), ".2f", "×"),
            _fmt(row.get("memory_ratio"), ".2f", "×"),
        )
        lines.append(
            "  ".join(
                f"{cell:{align}{width}}"
                for cell, (_, align, width) in zip(cells, columns, strict=True)
            )
        )
    lines += ["", "Targets (set for 1,000 posts):"]
    for result in report["targets"]:
        verdict = {True: "holds", False: "MISSED", None: "not measured"}[result["holds"]]
        unit = " s" if result["measure"] == "seconds" else "×"
        lines.append(f"  {result['name']:<44} {_fmt(result['value'], '.2f', unit):>8}  {verdict}")
    return "\n".join(lines)


# ------------------------------------------------------------------ measuring

LABELS = {
    "production": "production build, cold cache",
    "production-warm": "production, warm cache, one edit",
    "vanilla": "vanilla Pelican (notmyidea)",
    "rebuild": "preview rebuild, one post edited",
    "save-to-served": "save-to-served, ten-post site",
}
ORDER = ("production", "production-warm", "vanilla", "rebuild", "save-to-served")


@dataclass
class Sample:
    seconds: float
    peak_rss_kib: int
    pages: int
    cpu_seconds: float | None = None  # CPU time of the process(es) measured


@dataclass
class Measurements:
    samples: dict = field(default_factory=lambda: {name: [] for name in ORDER})

    def add(self, name, sample):
        self.samples[name].append(sample)


def count_pages(output):
    """HTML files in a built site."""
    return sum(1 for _ in Path(output).rglob("*.html"))


def _child_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("PYTHONSTARTUP", None)
    return env


def _wait(process, timeout, kill_after=False):
    """Wait for `process`; return its resource usage as the kernel reports it
    through wait4: peak RSS (its own or its largest descendant's) and CPU time.
    Past `timeout` it is killed; that raises TimeoutError unless `kill_after`."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage
        if time.monotonic() > deadline:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            if kill_after:
                return usage
            raise TimeoutError(f"{process.args} took longer than {timeout} s")
        time.sleep(0.002)


def run_worker(kind, corpus, work, timeout=1800):
    """Run one build in a fresh `python -m sitetools.bench worker` process.

    Returns a Sample: wall time of the whole process (or, for the rebuild, of
    the rebuild inside it), its peak RSS and the pages it wrote."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    result_file = work / "result.json"
    log = work / "worker.log"
    command = [
        sys.executable,
        "-m",
        "sitetools.bench",
        "worker",
        kind,
        "--corpus",
        str(corpus),
        "--work",
        str(work),
    ]
    with open(log, "wb") as handle:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=ROOT, env=_child_env(), stdout=handle, stderr=subprocess.STDOUT
        )
        usage = _wait(process, timeout)
        elapsed = time.perf_counter() - started
    if process.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"The {kind} build failed (exit {process.returncode}):\n{tail}")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    seconds = result.get("seconds", elapsed)
    return Sample(
        seconds=seconds,
        peak_rss_kib=usage.ru_maxrss,
        pages=count_pages(work / "output"),
        cpu_seconds=result.get("cpu_seconds", usage.ru_utime + usage.ru_stime),
    )


def _cpu_time():
    """CPU seconds used so far by this process and the workers it waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def worker(kind, corpus, work):
    """Inside the child process: one build of `kind`; writes result.json."""
    corpus, work = Path(corpus), Path(work)
    output = work / "output"
    cache = work / "cache"
    result = {}
    if kind in ("production", "production-warm"):
        from sitetools.build import build  # noqa: PLC0415

        if kind == "production-warm":  # `corpus` is this contender's own copy
            posts = sorted((corpus / "posts").glob("*.md"))
            edited = posts[len(posts) // 2]
            text = edited.read_text(encoding="utf-8")
            edited.write_text(edit_text(text, f"deployed-{time.time_ns()}"), "utf-8")
        build("publishconf.py", output, {"PATH": str(corpus), "CACHE_PATH": str(cache)})
    elif kind == "vanilla":
        from pelican import Pelican  # noqa: PLC0415
        from pelican.settings import read_settings  # noqa: PLC0415

        settings = read_settings(
            None,
            override={
                "PATH": str(corpus),
                "OUTPUT_PATH": str(output),
                "CACHE_PATH": str(cache),
                "TIMEZONE": "UTC",
            },
        )
        Pelican(settings).run()
    elif kind == "rebuild":
        from sitetools.build import SiteBuilder  # noqa: PLC0415

        content = work / "content"
        shutil.copytree(corpus, content)
        builder = SiteBuilder(
            "pelicanconf.py", output, {"PATH": str(content), "CACHE_PATH": str(cache)}, warm=True
        )
        builder.build()  # the preview's first build, when `invoke serve` starts
        builder.wait()  # and what it finishes in the background, before the author saves
        posts = sorted((content / "posts").glob("*.md"))
        edited = posts[len(posts) // 2]
        token = f"edited-{time.time_ns()}"
        edited.write_text(edit_text(edited.read_text(encoding="utf-8"), token), "utf-8")
        started, cpu = time.perf_counter(), _cpu_time()
        builder.build(changed=[edited])
        result["seconds"] = time.perf_counter() - started
        result["cpu_seconds"] = _cpu_time() - cpu
        builder.wait()  # what the preview finishes after serving the page
        page = output / "posts" / edited.stem / "index.html"
        if token not in page.read_text(encoding="utf-8"):
            raise RuntimeError(f"The rebuild did not show the edit to {edited.name}")
    else:
        raise ValueError(f"Unknown worker kind {kind!r}")
    (work / "result.json").write_text(json.dumps(result), encoding="utf-8")


# ---------------------------------------------------------- save-to-served

# What a copy of the project for the preview leaves out.
_COPY_IGNORE = shutil.ignore_patterns(
    ".git", "output", "cache", ".output-*", "__pycache__", ".pytest_cache", ".ruff_cache",
    "node_modules", "tests",
)  # fmt: skip


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(port, path, timeout=5):
    """GET a page from the preview on 127.0.0.1: (status, body text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()


def _poll(port, path, wanted, timeout, interval=0.005):
    """Poll `path` until its body contains `wanted`; the seconds it took."""
    started = time.perf_counter()
    deadline = started + timeout
    while time.perf_counter() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, body = fetch(port, path)
            if status == 200 and wanted in body:
                return time.perf_counter() - started
        time.sleep(interval)
    raise TimeoutError(f"The preview did not serve {wanted!r} at {path} within {timeout} s")


def measure_save_to_served(work, timeout=120):
    """Start the preview on a copy of the project, save a post, and time until
    the preview serves the new text. Returns a Sample (peak RSS of the server)."""
    work = Path(work)
    project = work / "project"
    shutil.copytree(ROOT, project, ignore=_COPY_IGNORE)
    post = sorted((project / "content" / "posts").glob("*.md"))[0]
    slug = next(
        line.split(":", 1)[1].strip()
        for line in post.read_text(encoding="utf-8").splitlines()
        if line.lower().startswith("slug:")
    )
    url = f"/posts/{slug}/"
    port = free_port()
    log = work / "preview.log"
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "sitetools.bench", "serve", "--port", str(port)],
            cwd=project,
            env={**_child_env(), "PYTHONPATH": str(project)},
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    usage = None
    try:
        _poll(port, url, "</html>", timeout)
        original = post.read_text(encoding="utf-8")
        # A first save makes sure the watcher is running; it is not timed.
        warmup = f"warm-{time.time_ns()}"
        for _attempt in range(20):
            post.write_text(edit_text(original, warmup), encoding="utf-8")
            try:
                _poll(port, url, warmup, 3)
                break
            except TimeoutError:
                continue
        token = f"saved-{time.time_ns()}"
        started = time.perf_counter()
        post.write_text(edit_text(original, token), encoding="utf-8")
        _poll(port, url, token, timeout)
        seconds = time.perf_counter() - started
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)  # Ctrl+C, as the author stops it
            usage = _wait(process, 15, kill_after=True)
    return Sample(
        seconds=seconds,
        peak_rss_kib=usage.ru_maxrss if usage else 0,
        pages=count_pages(project / "output"),
    )


def launch_preview(port):
    """Inside the preview child: run the real preview on this project copy."""
    from sitetools.build import ROOT as PROJECT  # noqa: PLC0415
    from sitetools.devserver import serve  # noqa: PLC0415

    serve(root=PROJECT, settings_file="pelicanconf.py", output=PROJECT / "output", port=port)


# ------------------------------------------------------------------- driver


def _pelican_version():
    from importlib.metadata import version  # noqa: PLC0415

    return version("pelican")


def run_benchmark(posts=1000, runs=3, seed=DEFAULT_SEED, log=None, keep=None):
    """Measure every contender `runs` times, in turn; return the report dict."""
    say = log or (lambda message: None)
    base = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="bench-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        corpus = write_corpus(base / "corpus", posts, seed)
        measurements = Measurements()
        load_before = os.getloadavg()[0]
        say(f"Corpus: {posts} posts in {corpus}")
        # The warm production builds share one cache, filled by an untimed
        # build of their own copy of the corpus (Pelican's content cache knows
        # sources by path), which each of them edits before building.
        warm_cache_home = base / "warm"
        warm_corpus = warm_cache_home / "corpus"
        shutil.copytree(corpus, warm_corpus)
        run_worker("production", warm_corpus, warm_cache_home)
        shutil.rmtree(warm_cache_home / "output", ignore_errors=True)
        for number in range(1, runs + 1):
            for name in ORDER:
                work = base / f"{name}-{number}"
                if name == "save-to-served":
                    sample = measure_save_to_served(work)
                elif name == "production-warm":
                    shutil.copytree(warm_cache_home / "cache", work / "cache")
                    sample = run_worker(name, warm_corpus, work)
                else:
                    sample = run_worker(name, corpus, work)
                measurements.add(name, sample)
                cpu = "" if sample.cpu_seconds is None else f" (CPU {sample.cpu_seconds:.2f} s)"
                say(
                    f"run {number}/{runs}  {LABELS[name]:<34} {sample.seconds:7.2f} s{cpu}  "
                    f"{sample.peak_rss_kib / 1024:6.0f} MiB  {sample.pages} pages"
                )
                shutil.rmtree(work, ignore_errors=True)
        report = build_report(measurements, posts, runs, seed)
        report["machine"]["load_average"] = [load_before, os.getloadavg()[0]]
        return report
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)


def build_report(measurements, posts, runs, seed):
    """The report dict from raw samples."""
    rows = {}
    vanilla = None
    for name in ("vanilla", *ORDER):
        if name in rows or not measurements.samples.get(name):
            continue
        samples = measurements.samples[name]
        row = make_row(
            name,
            LABELS[name],
            [sample.seconds for sample in samples],
            [sample.peak_rss_kib for sample in samples if sample.peak_rss_kib],
            max(sample.pages for sample in samples),
            baseline=vanilla,
            cpu_seconds=[s.cpu_seconds for s in samples if s.cpu_seconds is not None],
        )
        if name == "vanilla":
            vanilla = row
            row["time_ratio"] = row["memory_ratio"] = 1.0
        elif name == "save-to-served":  # another site: no ratio to the corpus's builds
            row["time_ratio"] = row["memory_ratio"] = None
        rows[name] = row
    ordered = [rows[name] for name in ORDER if name in rows]
    return {
        "posts": posts,
        "runs": runs,
        "seed": seed,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "pelican": _pelican_version(),
        },
        "rows": ordered,
        "targets": check_targets(ordered),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sitetools.bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the benchmark")
    run.add_argument("--posts", type=int, default=1000)
    run.add_argument("--runs", type=int, default=3)
    run.add_argument("--seed", type=int, default=DEFAULT_SEED)
    run.add_argument("--json", action="store_true")
    one = commands.add_parser("worker", help="(internal) one build in this process")
    one.add_argument("kind")
    one.add_argument("--corpus", required=True)
    one.add_argument("--work", required=True)
    preview = commands.add_parser("serve", help="(internal) the preview on this project")
    preview.add_argument("--port", type=int, required=True)
    corpus = commands.add_parser("corpus", help="write the synthetic corpus to a folder")
    corpus.add_argument("folder")
    corpus.add_argument("--posts", type=int, default=1000)
    corpus.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)

    if args.command == "worker":
        worker(args.kind, args.corpus, args.work)
    elif args.command == "serve":
        launch_preview(args.port)
    elif args.command == "corpus":
        write_corpus(args.folder, args.posts, args.seed)
    else:
        report = run_benchmark(
            args.posts, args.runs, args.seed, log=lambda line: print(line, file=sys.stderr)
        )
        print(json.dumps(report, indent=2) if args.json else format_table(report))


if __name__ == "__main__":
    main()
