"""Build and preview speed, measured against vanilla Pelican (`invoke bench`).

A deterministic synthetic corpus of N posts is written to a temporary folder,
then these contenders run R times each, in turn, each in a fresh process
started through the command the author uses:

- production: `invoke publish` of the corpus with an empty cache/ (CI, a first
  Netlify deploy); production-warm: the same with the cache/ a previous build
  left, after one post was edited (a Netlify deploy of one edit);
- vanilla: `python -m pelican` as installed (default theme, no plugins);
- preview: `invoke serve` on a copy of the corpus; after one post is saved,
  the time until the edited page's new text is in output/ (what the browser
  reloads) and until the preview announces on its event stream that the
  rebuild is finished (the whole site consistent);
- save-to-served: the same edited-page time on the real ten-post site.

The corpus and the statistics are pure functions, unit-tested.
"""

import functools
import os
import platform
import queue
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import namedtuple
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_SEED = 7

# About thirty tags, as a real technical blog would have.
TAG_POOL = tuple(
    "python go rust kubernetes terraform llm mlops observability data-engineering postgres "
    "kafka spark dbt airflow devops ci-cd security networking linux gpu inference evaluation "
    "cost monitoring testing performance architecture aws gcp devtools".split()
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
_CODE = {  # one snippet per language; {a} {b} {c} are words, {n} a number
    "python": 'def {a}({b}, {c}=None):\n    """Return the {b} for one {c}."""\n    result = [{b} '
    '* 2 for {b} in range({n})]\n    if {c} is not None:\n        result.append({c}.get("{a}", '
    "{n}))\n    return sum(result) / max(len(result), 1)\n",
    "bash": 'set -euo pipefail\nfor {a} in $(seq 1 {n}); do\n  echo "{b}-${a}" >> /tmp/{c}.log\n'
    "done\ngrep -c {b} /tmp/{c}.log\n",
    "yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {a}-{b}\nspec:\n  replicas:"
    " {n}\n  template:\n    spec:\n      containers:\n        - name: {c}\n          image: "
    "registry.example/{c}:1.{n}\n",
    "go": "func {a}(ctx context.Context, {b} []string) (int, error) {{\n\ttotal := 0\n\tfor _, "
    "{c} := range {b} {{\n\t\tif err := ctx.Err(); err != nil {{\n\t\t\treturn total, err\n\t\t}}\n"
    "\t\ttotal += len({c}) * {n}\n\t}}\n\treturn total, nil\n}}\n",
    "sql": "SELECT {a}, count(*) AS {b}_count, avg({c}) AS mean_{c}\nFROM events\nWHERE created_at "
    "> now() - interval '{n} days'\nGROUP BY {a}\nORDER BY {b}_count DESC\nLIMIT {n};\n",
    "json": '{{\n  "{a}": {n},\n  "{b}": ["{c}", "{a}"],\n  "enabled": true\n}}\n',
}


# One synthetic post: its slug, tags and Markdown text.
Post = namedtuple("Post", "slug tags text")


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
    head = (
        f"Title: {title}\nDate: {date:%Y-%m-%d %H:%M}\nTags: {', '.join(tags)}\n"
        f"Slug: {slug}\nSummary: {summary}"
    )
    return Post(slug=slug, tags=tags, text=head + "\n\n" + "\n\n".join(blocks) + "\n")


def make_corpus(posts, seed=DEFAULT_SEED):
    """The whole corpus as {relative path: text}: N posts and an About page."""
    files = {f"posts/{p.slug}.md": p.text for p in (make_post(i, seed) for i in range(posts))}
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
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def ratio(value, baseline):
    """value / baseline, or None when there is no baseline to compare with."""
    return None if value is None or not baseline else value / baseline


# Issue 11's targets: (name, rows, measure, limit, strict). The largest value
# of `measure` among `rows` must be <= limit (< limit when strict).
TARGETS = (
    ("production cold build ≤ 2.5× vanilla", ("production",), "time_ratio", 2.5, False),
    ("production one-edit deploy ≤ 0.8× vanilla", ("production-warm",), "time_ratio", 0.8, False),
    ("preview, whole site ≤ 0.20× vanilla cold", ("preview-site",), "time_ratio", 0.2, False),
    ("preview, edited page ≤ 0.10× vanilla cold", ("preview-page",), "time_ratio", 0.1, False),
    ("save-to-served, ten-post site < 0.3 s", ("save-to-served",), "seconds", 0.3, True),
    ("peak memory < 210 MiB (Eleventy; Hugo 280)",
     ("production", "production-warm", "preview-site"), "peak_rss_mib", 210, True),
)  # fmt: skip
# At 200 posts, the preview is to be no slower than before issue 11.
TARGETS_200 = (
    *TARGETS[:2],
    ("preview, whole site ≤ 0.19× vanilla cold", ("preview-site",), "time_ratio", 0.19, False),
    *TARGETS[4:],
)


def check_targets(rows, targets=TARGETS):
    """Each target with the measured value and whether it holds (None: not measured)."""
    by_name = {row["name"]: row for row in rows}
    results = []
    for name, names, measure, limit, strict in targets:
        values = [
            by_name[row]["seconds"]["median"] if measure == "seconds" else by_name[row][measure]
            for row in names
            if row in by_name and by_name[row].get(measure) is not None
        ]
        value = max(values, default=None)
        holds = None if value is None else value < limit if strict else value <= limit
        results.append({"name": name, "measure": measure, "value": value, "holds": holds})
    return results


def make_row(name, label, samples, baseline=None):
    """One contender's figures from its samples; `baseline` is vanilla's row."""
    timing = summarize([sample["seconds"] for sample in samples])
    cpu = [s["cpu_seconds"] for s in samples if s.get("cpu_seconds") is not None]
    peak = max(s["peak_rss_kib"] for s in samples) / 1024
    pages = max(s["pages"] for s in samples)
    return {
        "name": name,
        "label": label,
        "seconds": timing,
        "cpu_seconds": statistics.median(cpu) if cpu else None,
        "peak_rss_mib": peak or None,
        "pages": pages,
        "ms_per_page": timing["median"] * 1000 / pages if pages else None,
        "time_ratio": baseline and ratio(timing["median"], baseline["seconds"]["median"]),
        "memory_ratio": baseline and ratio(peak, baseline["peak_rss_mib"]),
    }


COLUMNS = (("contender", 36), ("median", 8), ("min", 8), ("max", 8), ("CPU", 8),
           ("peak RSS", 9), ("pages", 6), ("ms/page", 8), ("×time", 6), ("×memory", 8))  # fmt: skip


def _fmt(value, spec, suffix=""):
    return "–" if value is None else f"{value:{spec}}{suffix}"


def _line(cells):
    return "  ".join(
        f"{cell:{'<' if i == 0 else '>'}{width}}"
        for i, (cell, (_, width)) in enumerate(zip(cells, COLUMNS, strict=True))
    )


def format_table(report):
    """The report as a plain-text table, with each target and its status under it."""
    machine, runs = report["machine"], report["runs"]
    lines = [
        f"Build benchmark: {report['posts']} posts (seed {report['seed']}), {runs} "
        f"run{'s' * (runs != 1)} each, {machine['cpus']} CPUs, Pelican {machine['pelican']}, "
        f"Python {machine['python']}"
    ]
    if machine.get("load_average"):
        lines.append(
            "Load average (1 min) {:.1f} before, {:.1f} after".format(*machine["load_average"])
        )
    lines += ["", _line([title for title, _ in COLUMNS])]
    for row in report["rows"]:
        seconds = row["seconds"]
        lines.append(_line((
            row["label"],
            *(_fmt(seconds[key], ".2f", " s") for key in ("median", "min", "max")),
            _fmt(row["cpu_seconds"], ".2f", " s"),
            _fmt(row["peak_rss_mib"], ".0f", " MiB"),
            _fmt(row["pages"], "d"),
            _fmt(row["ms_per_page"], ".2f"),
            _fmt(row["time_ratio"], ".2f", "×"),
            _fmt(row["memory_ratio"], ".2f", "×"),
        )))  # fmt: skip
    lines += [
        "",
        f"Targets of issue 11 (set for {'200' if report['posts'] == 200 else '1,000'} posts):",
    ]
    units = {"seconds": (".2f", " s"), "time_ratio": (".2f", "×"), "peak_rss_mib": (".0f", " MiB")}
    for result in report["targets"]:
        verdict = {True: "holds", False: "MISSED", None: "not measured"}[result["holds"]]
        value = _fmt(result["value"], *units[result["measure"]])
        lines.append(f"  {result['name']:<46} {value:>8}  {verdict}")
    return "\n".join(lines)


# ------------------------------------------------------------------ measuring

LABELS = {
    "production": "production build, cold cache",
    "production-warm": "production, kept cache/, one edit",
    "vanilla": "vanilla Pelican (notmyidea)",
    "preview-page": "preview, one edit: edited page",
    "preview-site": "preview, one edit: whole site",
    "save-to-served": "save-to-served, ten-post site",
}
ORDER = tuple(LABELS)
INVOKE = (sys.executable, "-m", "invoke")


def _start(command, cwd, log):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    with open(log, "wb") as handle:
        command = [str(part) for part in command]
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)


def _wait(process, timeout):
    """Wait for `process` (killed past `timeout`); its resource usage as wait4
    reports it: peak RSS (its own or its largest descendant's) and CPU time."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage
        if time.monotonic() > deadline:
            process.kill()
        time.sleep(0.002)


def measure_build(kind, corpus, work, timeout=1800):
    """`invoke publish` (production: its cache/ beside `work`/output) or vanilla
    `python -m pelican` (run in `work`, where no pelicanconf.py is) of `corpus`."""
    output = work / "output"
    command, cwd = [*INVOKE, "publish", "--content", corpus, "--output", output], ROOT
    if kind == "vanilla":
        command, cwd = [sys.executable, "-m", "pelican", corpus, "-o", output], work
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    process = _start(command, cwd, work / "build.log")
    usage = _wait(process, timeout)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        log = (work / "build.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"The {kind} build failed (exit {process.returncode}):\n{log}")
    cpu = usage.ru_utime + usage.ru_stime
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_kib": usage.ru_maxrss,
            "pages": sum(1 for _ in output.rglob("*.html"))}  # fmt: skip


def _tree_cpu(root):
    """CPU seconds used so far by process `root` and its live descendants
    (Linux's /proc; None elsewhere)."""
    children, ticks = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it has just ended
            continue
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        ticks[pid] = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    total, todo = 0, [root] if root in ticks else []
    for pid in todo:
        total += ticks.get(pid, 0)
        todo += children.get(pid, [])
    return total / os.sysconf("SC_CLK_TCK") if todo else None


def _until(condition, what, timeout, interval=0.005):
    """Poll `condition` until it is true: the perf_counter() then."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return time.perf_counter()
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout} s")


def _shows(path, text):
    try:
        return text in path.read_text(encoding="utf-8")
    except OSError:  # not written yet, or output/ being swapped
        return False


def _settled(pid, quiet=0.5):
    """A condition: `pid` and its descendants have used no CPU for `quiet` s."""
    last = {"cpu": _tree_cpu(pid), "at": time.perf_counter()}

    def condition():
        cpu, now = _tree_cpu(pid), time.perf_counter()
        if cpu is not None and cpu - last["cpu"] > 0.02:
            last.update(cpu=cpu, at=now)
        return cpu is None or now - last["at"] >= quiet

    return condition


def _drain(lines, seen):
    """Move what the queue holds onto `seen`, and return `seen`."""
    while not lines.empty():
        seen.append(lines.get())
    return seen


def whole_site(logged, shown):
    """When the whole site was consistent after a save: the (time, CPU) at
    which the preview logged its last "Rebuilt in" line (`logged`: (time, CPU,
    line) in order, since the save), or `shown` (the edited page's) if that is
    later or there is none. A fast pass logs "Pages rebuilt in" first."""
    found = shown
    for at, cpu, line in logged:
        if line.startswith("Rebuilt in") and at > found[0]:
            found = (at, cpu)
    return found


def measure_preview(content, post, work, timeout=1800):
    """`invoke serve` on `content`; an untimed save of `post` (the watcher is up,
    the rebuild warm), then a timed one: samples for the edited page (its new
    text in output/) and for the whole site (the preview's last "Rebuilt in"
    line in its log, before it settles: a fast pass that wrote the edited page
    first logs "Pages rebuilt in" before it)."""
    output, original, lines = work / "output", post.read_text("utf-8"), queue.Queue()
    slug = next(line[5:].strip() for line in original.splitlines() if line.startswith("Slug:"))
    page = output / "posts" / slug / "index.html"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    work.mkdir(parents=True, exist_ok=True)
    command = [*INVOKE, "serve", "--port", port, "--content", content, "--output", output]
    server = _start(command, ROOT, work / "preview.log")

    stop = threading.Event()  # not server.poll(): _wait reaps the preview itself

    def tail():  # each line the preview logs: when, CPU used so far, the line
        log = work / "preview.log"
        with open(log, encoding="utf-8", errors="replace") as handle:
            while not stop.is_set():
                line = handle.readline()
                if line:
                    lines.put((time.perf_counter(), _tree_cpu(server.pid), line.strip()))
                else:
                    time.sleep(0.005)

    def until(condition, what):
        def alive_and(condition=condition):
            if server.poll() is not None:
                log = (work / "preview.log").read_text(encoding="utf-8", errors="replace")
                raise RuntimeError(
                    f"The preview stopped (exit {server.returncode}):\n{log[-3000:]}"
                )
            return condition()

        return _until(alive_and, what, timeout, 0.05 if what == "settled" else 0.005)

    threading.Thread(target=tail, daemon=True).start()
    try:
        seen = []
        started = lambda: any("Preview on" in line for *_, line in _drain(lines, seen))  # noqa: E731
        until(started, "the first build")
        until(_settled(server.pid), "settled")
        for name in ("warm", "edit"):
            token = f"{name}{time.time_ns()}"
            _drain(lines, seen)
            cpu, started = _tree_cpu(server.pid), time.perf_counter()
            post.write_text(edit_text(original, token), encoding="utf-8")
            shown = until(lambda: _shows(page, token), f"{token} in {page}")  # noqa: B023
            shown_cpu = _tree_cpu(server.pid)
            until(_settled(server.pid), "settled")
            logged = [entry for entry in _drain(lines, seen) if entry[0] >= started]
            finished, finished_cpu = whole_site(logged, (shown, shown_cpu))
    finally:
        stop.set()
        server.send_signal(signal.SIGINT)  # Ctrl+C, as the author stops it
        usage = _wait(server, 30)
    pages = sum(1 for _ in output.rglob("*.html"))
    return [
        {"seconds": at - started, "cpu_seconds": None if cpu is None else at_cpu - cpu,
         "peak_rss_kib": usage.ru_maxrss, "pages": pages}
        for at, at_cpu in ((shown, shown_cpu), (finished, finished_cpu))
    ]  # fmt: skip


# ------------------------------------------------------------------- driver


def _middle_post(content):
    posts = sorted((content / "posts").glob("*.md"))
    return posts[len(posts) // 2]


def _record(samples, name, sample, run, say):
    samples[name].append(sample)
    cpu, rss = _fmt(sample["cpu_seconds"], ".2f", " s"), sample["peak_rss_kib"] / 1024
    say(f"run {run}  {LABELS[name]:<36} {sample['seconds']:7.2f} s  CPU {cpu}  {rss:4.0f} MiB  "
        f"{sample['pages']} pages")  # fmt: skip


def run_benchmark(posts=1000, runs=3, seed=DEFAULT_SEED, log=None):
    """Measure every contender `runs` times, in turn; return the report dict."""
    say = log or (lambda message: None)
    samples = {name: [] for name in ORDER}
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        base = Path(folder)
        corpus = write_corpus(base / "corpus", posts, seed)
        load_before = os.getloadavg()[0]
        say(f"Corpus: {posts} posts in {corpus}")
        # The warm builds share one cache/, filled by an untimed build of their
        # own copy of the corpus (Pelican's content cache knows sources by path).
        warm = shutil.copytree(corpus, base / "warm" / "corpus")
        measure_build("production", warm, base / "warm")
        for run in range(1, runs + 1):
            work = base / f"run-{run}"
            edited = _middle_post(warm)
            edited.write_text(edit_text(edited.read_text("utf-8"), f"deploy{run}"), "utf-8")
            shutil.copytree(base / "warm" / "cache", work / "warm" / "cache")
            preview = shutil.copytree(corpus, work / "preview" / "content")
            served = shutil.copytree(ROOT / "content", work / "served" / "content")
            record = functools.partial(_record, samples, run=f"{run}/{runs}", say=say)
            record("production", measure_build("production", corpus, work / "cold"))
            record("production-warm", measure_build("production", warm, work / "warm"))
            record("vanilla", measure_build("vanilla", corpus, work / "vanilla"))
            page, site = measure_preview(preview, _middle_post(preview), work / "preview")
            record("preview-page", page)
            record("preview-site", site)
            first = sorted((served / "posts").glob("*.md"))[0]
            record("save-to-served", measure_preview(served, first, work / "served")[0])
            shutil.rmtree(work, ignore_errors=True)
        report = build_report(samples, posts, runs, seed)
        report["machine"]["load_average"] = [load_before, os.getloadavg()[0]]
        return report


def build_report(samples, posts, runs, seed):
    """The report dict from each contender's samples."""
    from importlib.metadata import version  # noqa: PLC0415

    vanilla = make_row("vanilla", LABELS["vanilla"], samples["vanilla"])
    rows = [
        make_row(name, LABELS[name], samples[name], None if name == "save-to-served" else vanilla)
        for name in ORDER
    ]
    return {
        "posts": posts,
        "runs": runs,
        "seed": seed,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "pelican": version("pelican"),
        },
        "rows": rows,
        "targets": check_targets(rows, TARGETS_200 if posts == 200 else TARGETS),
    }
