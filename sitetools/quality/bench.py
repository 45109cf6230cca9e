"""Build and preview speed against vanilla Pelican (`invoke bench`).

A seeded synthetic corpus is written to a temporary folder; each contender
(see LABELS) runs R times, in turn, in a fresh process started through the
command the author types. docs/bench.md says what each row measures.
"""

import collections
import contextlib
import functools
import itertools
import json
import os
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
from datetime import datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import psutil
from tabulate import tabulate

from sitetools.build.parallel import SWITCHES, SWITCHES_OFF

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SEED = 7

# The corpus's text (corpus.json): about thirty tags, as a real technical blog
# would have, and template titles, headings, paragraphs (quotes, dashes,
# acronyms, inline markup), code in six languages and a list, each formatted
# with the post's number {n} and first tag {tag}, and cycled by the post's number.
CORPUS = json.loads((Path(__file__).with_name("corpus.json")).read_text("utf-8"))
TAG_POOL = tuple(CORPUS["tags"])

# One synthetic post: its slug and Markdown text.
Post = collections.namedtuple("Post", "slug text")


def make_post(index, seed=DEFAULT_SEED):
    """Post number `index` for `seed`; it depends on nothing else, so a smaller
    corpus is the start of a bigger one. The seed picks its tags and how many
    sections it has; each section has prose, and code, a list or a `###` part."""
    rng = random.Random(f"bench:{seed}:{index}")
    tags = rng.sample(TAG_POOL, rng.randint(2, 4))
    pick = lambda key, at=0: CORPUS[key][(index + at) % len(CORPUS[key])]  # noqa: E731
    text = lambda template: template.format(n=index, tag=tags[0])  # noqa: E731
    date, slug = datetime(2020, 1, 1, 9) + timedelta(index, hours=index % 9), f"{tags[0]}-{index}"
    blocks = [f"Title: {text(pick('titles'))}\nDate: {date:%Y-%m-%d %H:%M}\nTags: "
              f"{', '.join(tags)}\nSlug: {slug}\nSummary: {text(CORPUS['summary'])}",
              text(pick("paragraphs")), text(pick("paragraphs", 1))]  # fmt: skip
    for number in range(rng.randint(4, 6)):
        blocks += [f"## {pick('headings', number)}", text(pick("paragraphs", number + 2))]
        if number % 2 == 0:
            blocks.append("```{}\n{}```".format(*map(text, pick("code", number))))
        if number % 3 == 1:
            marker = "1." if number == 4 else "-"
            blocks.append("\n".join(f"{marker} {text(item)}" for item in CORPUS["list"]))
        if number == 2:
            blocks += [f"### {pick('headings', 6)}", text(pick("paragraphs", 7))]
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


# -------------------------------------------------------------------- report

LABELS = {
    "production": "production build, cold cache",
    "production-warm": "production, kept cache/, one edit",
    "vanilla": "vanilla Pelican (notmyidea)",
    "preview-page": "preview, one edit: edited page",
    "preview-site": "preview, one edit: whole site",
    "save-to-served": "save-to-served, ten-post site",
}
ORDER = tuple(LABELS)

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
UNITS = {"seconds": "{:.2f} s", "time_ratio": "{:.2f}×", "peak_rss_mib": "{:.0f} MiB"}
VERDICTS = {True: "holds", False: "MISSED", None: "not measured"}


def check_targets(rows, targets=TARGETS):
    """Each target with the measured value and whether it holds (None: not measured)."""
    by_name = {row["name"]: row for row in rows}
    results = []
    for name, names, measure, limit, strict in targets:
        found = [by_name[row][measure] for row in names if row in by_name]
        value = max((v["median"] if measure == "seconds" else v for v in found), default=None)
        holds = None if value is None else value < limit if strict else value <= limit
        results.append({"name": name, "measure": measure, "value": value, "holds": holds})
    return results


def make_row(name, samples, baseline=None):
    """One contender's figures from its samples; `baseline` is vanilla's row."""
    seconds = [sample["seconds"] for sample in samples]
    median, pages = statistics.median(seconds), max(sample["pages"] for sample in samples)
    peak = max(sample["peak_rss_kib"] for sample in samples) / 1024
    return {"name": name, "label": LABELS[name],
            "seconds": {"median": median, "min": min(seconds), "max": max(seconds)},
            "cpu_seconds": statistics.median(sample["cpu_seconds"] for sample in samples),
            "peak_rss_mib": peak, "pages": pages, "ms_per_page": median * 1000 / pages,
            "time_ratio": baseline and median / baseline["seconds"]["median"],
            "memory_ratio": baseline and peak / baseline["peak_rss_mib"]}  # fmt: skip


def format_table(report):
    """The report as a plain-text table, with each target and its status under it."""
    machine, runs = report["machine"], report["runs"]
    columns = ("contender", "median s", "min s", "max s", "CPU s", "peak MiB", "pages", "ms/page",
               "×time", "×memory")  # fmt: skip
    keys = ("cpu_seconds", "peak_rss_mib", "pages", "ms_per_page", "time_ratio", "memory_ratio")
    body = [[row["label"], *row["seconds"].values(), *map(row.get, keys)] for row in report["rows"]]
    targets = [[target["name"], "–" if target["value"] is None else
                UNITS[target["measure"]].format(target["value"]), VERDICTS[target["holds"]]]
               for target in report["targets"]]  # fmt: skip
    return "\n".join([
        f"Build benchmark: {report['posts']} posts (seed {report['seed']}), {runs} "
        f"run{'s' * (runs != 1)} each, {machine['cpus']} CPUs, Pelican {machine['pelican']}, "
        f"Python {machine['python']}",
        "Load average (1 min) {:.1f} before, {:.1f} after".format(*machine["load_average"]), "",
        tabulate(body, columns, floatfmt=[".2f"] * 5 + [".0f"] + [".2f"] * 4, missingval="–"), "",
        "Targets (set for 1,000 posts):",
        tabulate(targets, tablefmt="plain", colalign=("left", "right", "left")),
    ])  # fmt: skip


# ------------------------------------------------------------------ measuring

INVOKE = (sys.executable, "-m", "invoke")
PROGRESS = functools.partial(print, file=sys.stderr)  # the runs' progress lines
SAID = "{seconds:.2f} s, CPU {cpu_seconds:.2f} s, peak {peak_rss_kib} KiB, {pages} pages"


def _run(command, cwd, log, off=()):
    """Start `command` with the speed code `off` turned off, its output in `log`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", SWITCHES_OFF: ",".join(off)}
    with open(log, "wb") as handle:
        command = [str(part) for part in command]
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)


def _wait(process, log, timeout=1800):
    """Wait for `process` (killed past `timeout`): its resource usage as wait4
    reports it, peak RSS (its own or its largest descendant's) and CPU time."""
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    status, usage = os.wait4(process.pid, 0)[1:]
    timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        text = Path(log).read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(process.args)} failed (exit {process.returncode}):\n{text}")
    return usage


def _sample(seconds, cpu, usage, output):
    pages = sum(1 for _ in output.rglob("*.html"))
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_kib": usage.ru_maxrss, "pages": pages}


def measure_build(kind, corpus, work, off=()):
    """`invoke publish` (production: its cache/ beside `work`/output) or vanilla
    `python -m pelican` (run in `work`, where no pelicanconf.py is) of `corpus`,
    with the speed code `off` (sitetools.build.parallel.SWITCHES) turned off."""
    output = work / "output"
    command, cwd = [*INVOKE, "publish", "--content", corpus, "--output", output], ROOT
    if kind == "vanilla":
        command, cwd = [sys.executable, "-m", "pelican", corpus, "-o", output], work
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    usage = _wait(_run(command, cwd, work / "build.log", off), work / "build.log")
    return _sample(time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage, output)


def _cpu(process):
    """CPU seconds used so far by `process` and its descendants (the ended ones
    through their parents' children_* times)."""
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):  # user, system, children_user, _system
            total += sum(each.cpu_times()[:4])
    return total


def _settle(server, log, ready, quiet=0.5, timeout=1800):
    """Poll the preview until `ready()` and then until it has used no CPU for
    `quiet` s: the (time, CPU) `ready()` first held, and each line `log`
    gained meanwhile as (time, CPU, line)."""
    process, started = psutil.Process(server.pid), time.perf_counter()
    busy, shown, logged = (started, _cpu(process)), None, []  # busy: (time, CPU) last seen busy
    for tick in itertools.count():
        if server.poll() is not None or time.perf_counter() - started > timeout:
            text = Path(log.name).read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"The preview stopped or stalled:\n{text}")
        lines = log.readlines()
        if lines or (shown is None and ready()) or tick % 10 == 0:  # CPU: 50 ms apart
            now, cpu = time.perf_counter(), _cpu(process)
            logged += [(now, cpu, line.strip()) for line in lines]
            shown = shown or (ready() and (now, cpu))
            busy = (now, cpu) if cpu - busy[1] > 0.02 else busy
            if shown and now - busy[0] >= quiet:
                return shown, logged
        time.sleep(0.005)


def whole_site(logged, shown):
    """When the whole site was consistent after a save: the (time, CPU) of the
    preview's last "Rebuilt in" line (`logged`: (time, CPU, line) since the
    save), or `shown` (the edited page's) if that is later or there is none.
    A fast pass logs "Pages rebuilt in" first."""
    return max([shown, *((at, cpu) for at, cpu, line in logged if line.startswith("Rebuilt in"))])


def measure_preview(content, post, work, off=()):
    """`invoke serve` on `content`; an untimed save of `post` (the watcher up,
    the rebuild warm), then a timed one: a sample for the edited page (its new
    text in output/) and one for the whole site (see whole_site)."""
    output, original = work / "output", post.read_text("utf-8")
    page = output / "posts" / post.stem / "index.html"  # each post is named after its slug
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    work.mkdir(parents=True, exist_ok=True)
    command = [*INVOKE, "serve", "--port", port, "--content", content, "--output", output]
    server = _run(command, ROOT, work / "preview.log", off)
    try:
        with open(work / "preview.log", encoding="utf-8", errors="replace") as log:
            _settle(server, log, lambda: "Preview on" in Path(log.name).read_text())
            for name in ("warm", "edit"):
                token = f"{name}{time.time_ns()}"
                cpu, started = _cpu(psutil.Process(server.pid)), time.perf_counter()
                post.write_text(edit_text(original, token), encoding="utf-8")
                shown, logged = _settle(server, log, lambda: _shows(page, token))  # noqa: B023
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl+C, as the author stops it
        usage = _wait(server, work / "preview.log", 30) if server.returncode is None else None
    return [_sample(at - started, at_cpu - cpu, usage, output)
            for at, at_cpu in (shown, whole_site(logged, shown))]  # fmt: skip


def _shows(page, token):
    with contextlib.suppress(OSError):  # not written yet, or output/ being swapped
        return token in page.read_text(encoding="utf-8")


# ------------------------------------------------------------------- driver

# Each contender: the rows one measurement gives (the preview's save gives both).
CONTENDERS = (("production",), ("production-warm",), ("vanilla",),
              ("preview-page", "preview-site"), ("save-to-served",))  # fmt: skip


def measure(name, corpus, warm, work, off=()):
    """The samples of contender `name` (its first row) in a fresh folder `work`,
    on the corpus or on `warm`, its copy whose cache/ an untimed build has filled."""
    if name == "production-warm":
        edited = _middle_post(warm)  # each run adds a sentence: a cache/ that knows none of them
        edited.write_text(edit_text(edited.read_text("utf-8"), work.name), "utf-8")
        shutil.copytree(warm.parent / "cache", work / "cache")  # beside work/output
        return [measure_build("production", warm, work, off)]
    if name in ("production", "vanilla"):
        return [measure_build(name, corpus, work, off)]
    served = name == "save-to-served"  # this site's own content/, its first post edited
    content = shutil.copytree(ROOT / "content" if served else corpus, work / "content")
    post = sorted(content.glob("posts/*.md"))[0] if served else _middle_post(content)
    return measure_preview(content, post, work / "preview", off)[: 1 if served else 2]


def _middle_post(content):
    posts = sorted((content / "posts").glob("*.md"))
    return posts[len(posts) // 2]


def _measure(prefix, posts, seed, runs, jobs):
    """Write the corpus, and `warm`: its copy, built once untimed to fill its
    cache/ (Pelican's content cache knows sources by path); then for run
    1..`runs`, each (tag, rows, off) of `jobs(run, warm)` in turn, in a fresh
    folder: {(tag, row): [its sample of each run]}."""
    samples = collections.defaultdict(list)
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        corpus = write_corpus(Path(folder, "corpus"), posts, seed)
        warm = shutil.copytree(corpus, Path(folder, "warm", "corpus"))
        measure_build("production", warm, warm.parent)
        PROGRESS(f"Corpus: {posts} posts in {corpus}")
        for run in range(1, runs + 1):
            for number, (tag, names, off) in enumerate(jobs(run, warm)):
                work = Path(folder, f"run-{run}-{number}")
                for name, sample in zip(names, measure(names[0], corpus, warm, work, off)):  # noqa: B905
                    samples[tag, name].append(sample)
                    PROGRESS(f"run {run}/{runs}", *tag, f"{LABELS[name]}:", SAID.format_map(sample))
                shutil.rmtree(work, ignore_errors=True)
    return samples


def run_benchmark(posts=1000, runs=3, seed=DEFAULT_SEED):
    """Measure every contender `runs` times, in turn; return the report dict."""
    load_before = os.getloadavg()[0]
    jobs = [((), names, ()) for names in CONTENDERS]
    samples = _measure("bench-", posts, seed, runs, lambda *_: jobs)
    vanilla = make_row("vanilla", samples[(), "vanilla"])
    rows = [make_row(name, samples[(), name], None if name == "save-to-served" else vanilla)
            for name in ORDER]  # fmt: skip
    machine = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "pelican":
               version("pelican"), "load_average": [load_before, os.getloadavg()[0]]}  # fmt: skip
    return {"posts": posts, "runs": runs, "seed": seed, "machine": machine, "rows": rows,
            "targets": check_targets(rows)}  # fmt: skip


# ------------------------------------------------------------------ ablations

# The rows each switch's speed code is for. What is kept between builds (the
# one cache and each of its caches, "cache:<name>", found in a warm build's
# cache/; Pelican's content cache) serves the one-edit deploy and the
# preview's edited page alike, and is measured on both: a cache worth little
# to a deploy on every CPU can carry the preview, which runs on one.
KEPT_ROWS = ("production-warm", "preview-page")
ABLATED_ROWS = {"workers": ("production",), "fast-pass": ("preview-page",)}
KEEP_FROM = 0.10  # speed code saving less than this share of its build goes (issue 17)


def run_ablations(posts=1000, seed=DEFAULT_SEED, switches=None, runs=3):
    """For each switch (default: every one, and each cache), its row measured
    `runs` times with the speed code on and off, back to back (on-off, then
    off-on in the next run); each side's median."""

    def jobs(run, warm):
        kept = (warm.parent / "cache").iterdir()
        caches = sorted({path.name.removesuffix(".pickle") for path in kept
                         if path.suffix == ".pickle" or path.is_dir()})  # fmt: skip
        return [((name, state), (row,), (name,) * (state == "off"))
                for name in switches or [*SWITCHES, *(f"cache:{cache}" for cache in caches)]
                for row in ABLATED_ROWS.get(name, KEPT_ROWS)
                for state in ("on", "off")[:: (-1) ** (run + 1)]]  # fmt: skip

    samples, results = _measure("bench-ablate-", posts, seed, runs, jobs), []
    for name, row in dict.fromkeys((tag[0], row) for tag, row in samples):
        on, off = ({key: statistics.median(each[key] for each in samples[(name, state), row])
                    for key in ("seconds", "cpu_seconds")} for state in ("on", "off"))  # fmt: skip
        results.append({"switch": name, "row": row, "on": on, "off": off,
                        "saves": 1 - on["seconds"] / off["seconds"],
                        "saves_cpu": 1 - on["cpu_seconds"] / off["cpu_seconds"]})  # fmt: skip
    return {"posts": posts, "seed": seed, "runs": runs, "cpus": os.cpu_count(),
            "ablations": results}  # fmt: skip


def format_ablations(report):
    """The ablation report as a table: what turning each speed code off costs."""
    rows = [[item["switch"], LABELS[item["row"]], item["on"]["seconds"], item["off"]["seconds"],
             item["saves"], item["saves_cpu"], "< 10%" if item["saves"] < KEEP_FROM else ""]
            for item in report["ablations"]]  # fmt: skip
    columns = ("switch", "row", "on s", "off s", "saves", "CPU", "")
    return (
        f"Speed code turned off one at a time: {report['posts']} posts (seed {report['seed']}), "
        f"medians of {report['runs']} runs on and off, {report['cpus']} CPUs. 'saves': the share "
        f"of its row's time it saves (1 - on/off), and of its CPU time; under {KEEP_FROM:.0%} "
        "it does not pay its way.\n\n"
    ) + tabulate(rows, columns, floatfmt=("", "", ".2f", ".2f", ".0%", ".0%", ""))


def bench(posts=1000, runs=3, seed=DEFAULT_SEED, *, ablate=False, switches=(), as_json=False):
    """What `invoke bench` prints (its progress on stderr): the report, or with
    `ablate` the ablations of `switches` (default: all), as a table or JSON."""
    # Each preview is stopped with SIGINT, as Ctrl+C stops it; a shell starts a job
    # in its background with SIGINT ignored, and the previews would inherit that.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if ablate:
        found, table = run_ablations(posts, seed, list(switches), runs), format_ablations
    else:
        found, table = run_benchmark(posts, runs, seed), format_table
    return json.dumps(found, indent=2) if as_json else table(found)
