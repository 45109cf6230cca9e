"""Build and preview speed against vanilla Pelican (`invoke bench`).

A seeded synthetic corpus is written to a temporary folder; each contender
(see LABELS) runs R times, in turn, in a fresh process started through the
command the author types. README.md, "Build speed", says what each row measures.
"""

import functools
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import namedtuple
from datetime import datetime, timedelta
from pathlib import Path

from sitetools.build.parallel import SWITCHES, SWITCHES_OFF

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SEED = 7

# About thirty tags, as a real technical blog would have.
TAG_POOL = tuple(
    "python go rust kubernetes terraform llm mlops observability data-engineering postgres kafka "
    "spark dbt airflow devops ci-cd security networking linux gpu inference evaluation cost "
    "monitoring testing performance architecture aws gcp devtools".split()
)
_WORDS = (
    "cluster node pod queue worker batch stream event schema table index cache latency throughput "
    "budget request response model prompt token embedding vector gateway router service rollout "
    "canary replica shard partition offset consumer producer pipeline job task retry backoff "
    "timeout deadline metric trace span log alert dashboard threshold baseline regression drift "
    "feature label dataset sample benchmark profile memory disk network packet socket thread lock "
    "channel buffer checkpoint snapshot migration release version branch commit review build "
    "artifact image registry container volume secret config policy quota limit scheduler webhook "
    "probe health cost invoice forecast capacity headroom peak median tail outage incident runbook"
).split()
_VERBS = (
    "scales reduces measures routes caches retries batches streams indexes profiles replaces "
    "splits tracks reports throttles drains restarts rebuilds validates compares shards migrates"
).split()
_ACRONYMS = ("API", "GPU", "SLO", "CPU", "TTFT", "HTTP", "SQL", "JSON", "CI", "P99")
# One snippet per language; {a} {b} {c} are words, {n} a number.
_CODE = {
    "python": 'def {a}({b}, {c}=None):\n    return [{b} * 2 for {b} in range({n})]  # "{c}"\n',
    "bash": 'for {a} in $(seq 1 {n}); do\n  echo "{b}-${a}" >> /tmp/{c}.log\ndone\n',
    "yaml": "kind: Deployment\nmetadata:\n  name: {a}-{b}\nspec:\n  replicas: {n}\n  image: {c}\n",
    "go": "func {a}({b} []string) int {{\n\treturn len({b}) * {n} // {c}\n}}\n",
    "sql": "SELECT {a}, count(*) AS {b}\nFROM events\nWHERE {c} > {n}\nGROUP BY {a};\n",
    "json": '{{\n  "{a}": {n},\n  "{b}": ["{c}", "{a}"],\n  "enabled": true\n}}\n',
}
# Inline markup a sentence may carry, each with its chance: a word becomes...
_MARKUP = (
    (0.3, lambda rng, word: rng.choice(_ACRONYMS)),
    (0.2, lambda rng, word: f"`{rng.choice(_WORDS)}_{word}`"),
    (0.15, lambda rng, word: f'"{word}"'),
    (0.1, lambda rng, word: f"**{word}**"),
    (0.1, lambda rng, word: f"[{word}](https://example.com/{word})"),
    (0.15, lambda rng, word: f"{word} --"),
    (0.2, lambda rng, word: f"{word}'s"),
)

# One synthetic post: its slug and Markdown text.
Post = namedtuple("Post", "slug text")


def _sentence(rng, count=None):
    words = [rng.choice(_WORDS) for _ in range(count or rng.randint(8, 20))]
    words[rng.randrange(len(words))] = rng.choice(_VERBS)
    for chance, markup in _MARKUP:
        if rng.random() < chance:
            index = rng.randrange(len(words))
            words[index] = markup(rng, words[index])
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng):
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def _section(rng, number, code, lists):
    """A `##` section: prose, maybe code, a list and a `###` subsection."""
    blocks = [f"## {' '.join(rng.choices(_WORDS, k=3)).capitalize()}", _paragraph(rng)]
    if number in code:
        language = rng.choice(sorted(_CODE))
        words = dict(zip("abc", rng.choices(_WORDS, k=3), strict=True))
        blocks.append(f"```{language}\n{_CODE[language].format(n=rng.randint(2, 99), **words)}```")
    if number in lists:
        marker = "1." if rng.random() < 0.4 else "-"
        blocks.append("\n".join(f"{marker} {_sentence(rng, 6)}" for _ in range(rng.randint(3, 6))))
    if rng.random() < 0.4:
        blocks += [f"### {' '.join(rng.choices(_WORDS, k=2)).capitalize()}", _paragraph(rng)]
    return blocks


def make_post(index, seed=DEFAULT_SEED):
    """Post number `index` for `seed`; it depends on nothing else, so a smaller
    corpus is the start of a bigger one."""
    rng = random.Random(f"bench:{seed}:{index}")
    title_words = rng.choices(_WORDS, k=rng.randint(3, 6))
    title = " ".join(title_words).capitalize()
    if rng.random() < 0.3:
        title += f': why the {rng.choice(_WORDS)}\'s "{rng.choice(_WORDS)}" {rng.choice(_VERBS)}'
    slug = f"{'-'.join(title_words)}-{index}"
    tags = tuple(rng.sample(TAG_POOL, rng.randint(2, 4)))
    date = datetime(2020, 1, 1, 9, 0) + timedelta(days=index, hours=rng.randint(0, 8))
    head = (
        f"Title: {title}\nDate: {date:%Y-%m-%d %H:%M}\nTags: {', '.join(tags)}\n"
        f"Slug: {slug}\nSummary: {_sentence(rng, rng.randint(18, 32))}"
    )
    sections = rng.randint(4, 6)
    code = rng.sample(range(sections), rng.randint(1, 3))
    lists = rng.sample(range(sections), rng.randint(1, 2))
    blocks = [head, _paragraph(rng), _paragraph(rng)]
    for number in range(sections):
        blocks += _section(rng, number, code, lists)
    return Post(slug=slug, text="\n\n".join(blocks) + "\n")


def make_corpus(posts, seed=DEFAULT_SEED):
    """The whole corpus as {relative path: text}: N posts and an About page."""
    files = {f"posts/{p.slug}.md": p.text for p in (make_post(i, seed) for i in range(posts))}
    files["pages/about.md"] = "Title: About\nSlug: about\n\nA synthetic site for measuring speed.\n"
    return files


def write_corpus(folder, posts, seed=DEFAULT_SEED):
    """Write the corpus under `folder` (its content root) and return the folder."""
    folder = Path(folder)
    for relative, text in make_corpus(posts, seed).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")
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


# The targets (issue 17): (name, rows, measure, limit, strict). The largest
# value of `measure` among `rows` must be <= limit (< limit when strict). The
# preview's whole site has none: what the author waits for is the edited page.
TARGETS = (
    ("production cold build ≤ 2.5× vanilla", ("production",), "time_ratio", 2.5, False),
    ("production one-edit deploy ≤ 0.8× vanilla", ("production-warm",), "time_ratio", 0.8, False),
    ("preview, edited page ≤ 0.10× vanilla cold", ("preview-page",), "time_ratio", 0.1, False),
    ("save-to-served, ten-post site < 0.3 s", ("save-to-served",), "seconds", 0.3, True),
    ("peak memory < 210 MiB (Eleventy; Hugo 280)",
     ("production", "production-warm", "preview-site"), "peak_rss_mib", 210, True),
)  # fmt: skip


def check_targets(rows, targets=TARGETS):
    """Each target with the measured value and whether it holds (None: not measured)."""
    by_name = {row["name"]: row for row in rows}
    results = []
    for name, names, measure, limit, strict in targets:
        found = [by_name[row][measure] for row in names if row in by_name]
        values = [v["median"] if measure == "seconds" else v for v in found if v is not None]
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


# The table's columns: (title, width, the row's figure, format, unit).
COLUMNS = (
    ("contender", 36, lambda row: row["label"], "", ""),
    ("median", 8, lambda row: row["seconds"]["median"], ".2f", " s"),
    ("min", 8, lambda row: row["seconds"]["min"], ".2f", " s"),
    ("max", 8, lambda row: row["seconds"]["max"], ".2f", " s"),
    ("CPU", 8, lambda row: row["cpu_seconds"], ".2f", " s"),
    ("peak RSS", 9, lambda row: row["peak_rss_mib"], ".0f", " MiB"),
    ("pages", 6, lambda row: row["pages"], "d", ""),
    ("ms/page", 8, lambda row: row["ms_per_page"], ".2f", ""),
    ("×time", 6, lambda row: row["time_ratio"], ".2f", "×"),
    ("×memory", 8, lambda row: row["memory_ratio"], ".2f", "×"),
)
UNITS = {"seconds": (".2f", " s"), "time_ratio": (".2f", "×"), "peak_rss_mib": (".0f", " MiB")}


def _fmt(value, spec, suffix=""):
    return "–" if value is None else f"{value:{spec}}{suffix}"


def _line(cells):
    return "  ".join(
        cell.ljust(column[1]) if i == 0 else cell.rjust(column[1])
        for i, (cell, column) in enumerate(zip(cells, COLUMNS, strict=True))
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
        before, after = machine["load_average"]
        lines.append(f"Load average (1 min) {before:.1f} before, {after:.1f} after")
    lines += ["", _line([column[0] for column in COLUMNS])]
    for row in report["rows"]:
        lines.append(_line([_fmt(figure(row), spec, unit) for _, _, figure, spec, unit in COLUMNS]))
    lines += ["", "Targets (set for 1,000 posts):"]
    for result in report["targets"]:
        verdict = {True: "holds", False: "MISSED", None: "not measured"}[result["holds"]]
        value = _fmt(result["value"], *UNITS[result["measure"]])
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


def _start(command, cwd, log, off=()):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", SWITCHES_OFF: ",".join(off)}
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


def measure_build(kind, corpus, work, timeout=1800, off=()):
    """`invoke publish` (production: its cache/ beside `work`/output) or vanilla
    `python -m pelican` (run in `work`, where no pelicanconf.py is) of `corpus`,
    with the speed code `off` (sitetools.build.parallel.SWITCHES) turned off."""
    output = work / "output"
    command, cwd = [*INVOKE, "publish", "--content", corpus, "--output", output], ROOT
    if kind == "vanilla":
        command, cwd = [sys.executable, "-m", "pelican", corpus, "-o", output], work
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    process = _start(command, cwd, work / "build.log", off)
    usage = _wait(process, timeout)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        log = (work / "build.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"The {kind} build failed (exit {process.returncode}):\n{log}")
    cpu = usage.ru_utime + usage.ru_stime
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_kib": usage.ru_maxrss,
            "pages": sum(1 for _ in output.rglob("*.html"))}  # fmt: skip


def _tree_cpu(root):
    """CPU seconds used so far by process `root` and its live descendants (and,
    through cutime/cstime, the ended ones), from Linux's /proc."""
    children, ticks = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it has just ended
            continue
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        ticks[pid] = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    todo = [root] if root in ticks else []
    for pid in todo:
        todo += children.get(pid, [])
    return sum(ticks[pid] for pid in todo) / os.sysconf("SC_CLK_TCK")


def _shows(path, text):
    try:
        return text in path.read_text(encoding="utf-8")
    except OSError:  # not written yet, or output/ being swapped
        return False


def _settle(server, log, ready, timeout, quiet=0.5):
    """Poll the preview until `ready()` and then until it has used no CPU for
    `quiet` s: the (time, CPU) `ready()` first held, and each line `log`
    gained meanwhile as (time, CPU, line)."""
    started = busy = time.perf_counter()
    busy_cpu, shown, logged = _tree_cpu(server.pid), None, []
    for tick in range(sys.maxsize):
        now = time.perf_counter()
        if server.poll() is not None or now - started > timeout:
            text = Path(log.name).read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(
                f"The preview stopped or stalled (exit {server.returncode}):\n{text}"
            )
        lines = log.readlines()
        if lines or (shown is None and ready()) or tick % 10 == 0:  # /proc read: 50 ms apart
            now = time.perf_counter()
            cpu = _tree_cpu(server.pid)
            logged += [(now, cpu, line.strip()) for line in lines]
            shown = shown or (ready() and (now, cpu))
            if cpu - busy_cpu > 0.02:  # busy since it was last seen busy
                busy, busy_cpu = now, cpu
            if shown and now - busy >= quiet:
                return shown, logged
        time.sleep(0.005)


def whole_site(logged, shown):
    """When the whole site was consistent after a save: the (time, CPU) of the
    preview's last "Rebuilt in" line (`logged`: (time, CPU, line) since the
    save), or `shown` (the edited page's) if that is later or there is none.
    A fast pass logs "Pages rebuilt in" first."""
    found = shown
    for at, cpu, line in logged:
        if line.startswith("Rebuilt in") and at > found[0]:
            found = (at, cpu)
    return found


def measure_preview(content, post, work, timeout=1800, off=()):
    """`invoke serve` on `content`; an untimed save of `post` (the watcher up,
    the rebuild warm), then a timed one: a sample for the edited page (its new
    text in output/) and one for the whole site (see whole_site)."""
    output, original = work / "output", post.read_text("utf-8")
    slug = next(line[5:].strip() for line in original.splitlines() if line.startswith("Slug:"))
    page = output / "posts" / slug / "index.html"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    work.mkdir(parents=True, exist_ok=True)
    command = [*INVOKE, "serve", "--port", port, "--content", content, "--output", output]
    server = _start(command, ROOT, work / "preview.log", off)
    try:
        with open(work / "preview.log", encoding="utf-8", errors="replace") as log:
            _settle(server, log, lambda: "Preview on" in Path(log.name).read_text(), timeout)
            for name in ("warm", "edit"):
                token = f"{name}{time.time_ns()}"
                cpu, started = _tree_cpu(server.pid), time.perf_counter()
                post.write_text(edit_text(original, token), encoding="utf-8")
                shown, logged = _settle(server, log, lambda: _shows(page, token), timeout)  # noqa: B023
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl+C, as the author stops it
        usage = _wait(server, 30) if server.returncode is None else None
    pages = sum(1 for _ in output.rglob("*.html"))
    return [
        {"seconds": at - started, "cpu_seconds": at_cpu - cpu,
         "peak_rss_kib": usage.ru_maxrss, "pages": pages}
        for at, at_cpu in (shown, whole_site(logged, shown))
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
        "targets": check_targets(rows, TARGETS),
    }


# ------------------------------------------------------------------ ablations

# The rows each switch's speed code is for. What is kept between builds (the
# one cache and each of its caches, "cache:<name>", found in a warm build's
# cache/; Pelican's content cache) serves the one-edit deploy and the
# preview's edited page alike, and is measured on both: a cache worth little
# to a deploy on every CPU can carry the preview, which runs on one.
KEPT_ROWS = ("production-warm", "preview-page")
ABLATED_ROWS = {"markdown-pool": ("production",), "workers": ("production",),
                "cache": KEPT_ROWS, "content-cache": KEPT_ROWS,
                "fast-pass": ("preview-page",)}  # fmt: skip
KEEP_FROM = 0.10  # speed code saving less than this share of its build goes (issue 17)


def cache_switches(cache):
    """cache:<name> for each cache a build left in `cache` (its pickles and folders)."""
    names = {path.stem for path in Path(cache).glob("*.pickle")}
    names |= {path.name for path in Path(cache).iterdir() if path.is_dir()}
    return [f"cache:{name}" for name in sorted(names)]


def _measure_row(row, corpora, work, off):
    """One sample of `row` (see ABLATED_ROWS) with the switches `off` turned
    off; `corpora`: the corpus, and the warm one with its build's folder."""
    corpus, warm, base = corpora
    if row == "production":
        return measure_build("production", corpus, work, off=off)
    if row == "production-warm":
        edited = _middle_post(warm)
        edited.write_text(edit_text(edited.read_text("utf-8"), work.name), "utf-8")
        shutil.copytree(base / "warm" / "cache", work / "cache")  # beside work/output
        return measure_build("production", warm, work, off=off)
    preview = shutil.copytree(corpus, work / "content")
    return measure_preview(preview, _middle_post(preview), work / "preview", off=off)[0]


def run_ablations(posts=1000, seed=DEFAULT_SEED, switches=None, runs=3, log=None):
    """For each switch (default: every one, and each cache), its row measured
    `runs` times with the speed code on and off, back to back (in turn on-off
    and off-on); each side's median."""
    say = log or (lambda message: None)
    with tempfile.TemporaryDirectory(prefix="bench-ablate-") as folder:
        base = Path(folder)
        corpus = write_corpus(base / "corpus", posts, seed)
        warm = shutil.copytree(corpus, base / "warm" / "corpus")
        measure_build("production", warm, base / "warm")
        chosen = list(switches or [*SWITCHES, *cache_switches(base / "warm" / "cache")])
        results = []
        pairs = [
            (name, row)
            for name in chosen
            for row in (KEPT_ROWS if name.startswith("cache:") else ABLATED_ROWS[name])
        ]
        for number, (name, row) in enumerate(pairs):
            samples = {"on": [], "off": []}
            for run in range(runs):
                for state in ("on", "off") if (number + run) % 2 == 0 else ("off", "on"):
                    work = base / f"{number}-{run}-{state}"
                    off = (name,) * (state == "off")
                    sample = _measure_row(row, (corpus, warm, base), work, off)
                    samples[state].append(sample)
                    shutil.rmtree(work, ignore_errors=True)
                    say(f"{name:<28} {state:<3} {LABELS[row]:<36} {sample['seconds']:7.2f} s  "
                        f"CPU {sample['cpu_seconds']:6.2f} s")  # fmt: skip
            on, off = (_medians(samples[state]) for state in ("on", "off"))
            results.append({
                "switch": name, "row": row, "on": on, "off": off,
                "saves": 1 - on["seconds"] / off["seconds"],
                "saves_cpu": 1 - on["cpu_seconds"] / off["cpu_seconds"],
            })  # fmt: skip
        return {"posts": posts, "seed": seed, "runs": runs, "cpus": os.cpu_count(),
                "ablations": results}  # fmt: skip


def _medians(samples):
    return {
        "seconds": statistics.median(s["seconds"] for s in samples),
        "cpu_seconds": statistics.median(s["cpu_seconds"] for s in samples),
        "runs": [{"seconds": s["seconds"], "cpu_seconds": s["cpu_seconds"]} for s in samples],
    }


def format_ablations(report):
    """The ablation report as a table: what turning each speed code off costs."""
    lines = [
        f"Speed code turned off one at a time: {report['posts']} posts (seed {report['seed']}), "
        f"medians of {report['runs']} runs on and off, {report['cpus']} CPUs. 'saves': the share "
        f"of its row's time it saves (1 - on/off), and of its CPU time; under {KEEP_FROM:.0%} "
        "it does not pay its way.",
        "",
        f"{'switch':<28}  {'row':<36}  {'on':>8}  {'off':>8}  {'saves':>6}  {'CPU':>6}",
    ]
    for item in report["ablations"]:
        verdict = "" if item["saves"] >= KEEP_FROM else "  < 10%"
        on, off = item["on"]["seconds"], item["off"]["seconds"]
        lines.append(
            f"{item['switch']:<28}  {LABELS[item['row']]:<36}  {on:6.2f} s  {off:6.2f} s  "
            f"{item['saves']:6.0%}  {item['saves_cpu']:6.0%}{verdict}"
        )
    return "\n".join(lines)
