"""Detection benchmark (prints figures; not a test).

**The command** (default): times ``szwatch detect`` as a user runs it — a new process, start-up counted, with
the store (SQLite) — on an archive of full-length stories (about 1,700 characters, composed by
``bench/archive.py``) with 500 watches that really occur in the text (the example watchlist plus projects
named by phrases of the corpus). For each archive size (default 1,000 and 4,000 stories: 4x, for the linear
growth check) and each of ``--runs`` rounds (default 3; sizes alternate within a round, so a busy machine
weighs on both alike): a copy of the freshly built archive, a first ``szwatch detect``, then
``szwatch detect --rescan``. Prints the median and the spread (min-max) of wall and CPU time and stories/s,
and the ratio of the larger size's time to the smaller's per round. Goals: >= 500 stories/s for a first
detect and a rescan; 4x the stories <= 4.4x the time. ``--record LABEL`` appends the figures to
``bench/records/<today>-detect-command.md``.

**Quality** (``--quality``), per labelled set (tests/data/detect_cases.toml; the held-out set and the two blind
sets, written apart from the code; the three real-text sets of tests/data/real, each with its own watchlist, and
their total): precision, recall and F1 for mentions (and how many worded with no name or alias are found), for
indicator figures (and how many of the matched ones have the labelled first and last day) and for project facts
(stage, investment, progress per mention), and — for the sets that had one — the figures of their first, blind
run (recorded before anything was fixed; bench/records/, copied into FIRST_RUNS below).

**Matching only** (``--matching``): stories per second matched and extracted on one core, no store, the
corpus's own short stories, with 500 synthetic watches (most of which never match), for 10k and 20k stories
and 50 vs 500 watches: the ceiling the command can approach, not what a user sees.

    .venv/bin/python bench/detect.py [--sizes 1000,4000] [--runs 3] [--record LABEL] [--compare DIR]
    .venv/bin/python bench/detect.py --quality [-v] | --matching
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from archive import build
from record import recorded  # bench/record.py: the dated record of this run

from szwatch.common.clock import SHANGHAI
from szwatch.monitor.detection.evaluate import Evaluation, Score, evaluate, load_cases
from szwatch.monitor.detection.facts import hit_facts
from szwatch.monitor.detection.figures import extract
from szwatch.monitor.detection.findings import story_text
from szwatch.monitor.detection.match import Matcher
from szwatch.monitor.detection.watchlist import Watch, Watchlist, load_watchlist
from szwatch.replica.build import load_corpus
from szwatch.store.db import open_store

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests/data/real"
# name -> (stories, watchlist: None for the example watchlist)
SETS: dict[str, tuple[Path, Path | None]] = {
    "labelled": (ROOT / "tests/data/detect_cases.toml", None),
    "held-out": (ROOT / "tests/data/detect_holdout.toml", None),
    "blind": (ROOT / "tests/data/detect_blind.toml", None),
    "blind 2": (ROOT / "tests/data/detect_blind2.toml", None),
    **{f"real {x}": (REAL / f"set_{x}.toml", REAL / f"set_{x}.watchlist.toml") for x in "abc"},
}
REAL_TOTAL = ("real a", "real b", "real c")  # scored together as "real": real reporting nobody here wrote
# First runs of the sets written apart from the code, before any fix they prompted (bench/records).
FIRST_RUNS = {
    "held-out": "mentions P 1.000 R 1.000; observations P 0.939 R 0.838 F1 0.886 (figures only were scored then)",
    "blind": "mentions P 0.970 R 0.889 F1 0.928, 16 of 24 no-alias found; observations P 0.881 R 0.822 F1 0.851; "
    "facts P 0.735 R 0.621 (53 stories, pre-fix code at 8743bd1; /work/blind-first-run.md)",
    "blind 2": "mentions P 0.917 R 0.987 F1 0.951, 16 of 17 no-alias found; observations P 0.916 R 0.956 F1 0.935; "
    "facts P 0.812 R 0.852 F1 0.832 (49 stories, pre-fix code at 845a204; bench/records/blind2-first-run.md)",
    "real a": "mentions P 0.909 R 0.833 F1 0.870, 6 of 7 reworded found; figures P 0.889 R 0.800 F1 0.842, "
    "periods right 23 of 24; facts P 0.000 R 0.000 (17 stories)",
    "real b": "mentions P 0.984 R 0.830 F1 0.900, 47 of 71 reworded found; figures P 1.000 R 1.000 F1 1.000, "
    "periods right 1 of 1; facts P 0.646 R 0.484 F1 0.554 (45 stories)",
    "real c": "mentions P 0.750 R 0.600 F1 0.667, 4 of 9 reworded found; figures none; facts P 0.500 R 0.250 "
    "F1 0.333 (19 stories)",
    "real": "mentions P 0.959 R 0.810 F1 0.879, 57 of 87 reworded found; figures P 0.893 R 0.806 F1 0.847, "
    "periods right 24 of 25; facts P 0.635 R 0.446 F1 0.524 (81 stories, code at ec6a4df; "
    "bench/records/2026-12-06-real-text-first-run.md)",
}
PRODUCTS = ["多晶硅", "碳化硅", "光伏组件", "储能电站", "风电装备", "煤制甲醇", "陶瓷新材料", "乳制品加工", "物流园",
            "数据中心", "氢能产业园", "生物医药", "高端装备", "铝镁合金", "石墨烯", "肉羊屠宰", "燕麦深加工"]  # fmt: skip


@dataclass
class Tally:
    """One set's (or the real sets' together) scores, summed over its stories."""

    stories: int = 0
    mentions: Score = field(default_factory=Score)
    figures: Score = field(default_factory=Score)
    facts: Score = field(default_factory=Score)
    reworded: list[int] = field(default_factory=lambda: [0, 0])  # found, labelled
    periods: list[int] = field(default_factory=lambda: [0, 0])  # right, matched figures

    def add(self, stories: int, result: Evaluation) -> None:
        self.stories += stories
        self.mentions.add(result.mentions)
        self.figures.add(result.observations)
        self.facts.add(result.facts)
        self.reworded = [self.reworded[0] + result.no_alias[0], self.reworded[1] + result.no_alias[1]]
        cases = result.cases.values()
        self.periods = [
            self.periods[0] + sum(c.periods for c in cases),
            self.periods[1] + sum(c.matched for c in cases),
        ]


def score_line(score: Score) -> str:
    if not (score.true_pos or score.false_pos or score.false_neg):
        return "none labelled, none found"
    return (f"P {score.precision:.3f} R {score.recall:.3f} F1 {score.f1:.3f} "
            f"({score.true_pos} right, {score.false_pos} wrong, {score.false_neg} missed)")  # fmt: skip


def report(name: str, tally: Tally) -> None:
    print(f"{name:>9} {tally.stories} stories")
    print(f"{name:>9} mentions  {score_line(tally.mentions)}; reworded names found {tally.reworded[0]} of "
          f"{tally.reworded[1]}")  # fmt: skip
    print(f"{name:>9} figures   {score_line(tally.figures)}; periods right {tally.periods[0]} of {tally.periods[1]}")
    print(f"{name:>9} facts     {score_line(tally.facts)}")
    if name in FIRST_RUNS:
        print(f"{name:>9} first (blind) run: {FIRST_RUNS[name]}")


def quality(verbose: bool = False) -> None:
    real = Tally()
    for name, (path, watchlist_path) in SETS.items():
        if not path.exists():
            print(f"{name:>9} (no {path.name})")
            continue
        cases = load_cases(path)
        result = evaluate(cases, load_watchlist(watchlist_path) if watchlist_path else load_watchlist())
        tally = Tally()
        tally.add(len(cases), result)
        report(name, tally)
        if name in REAL_TOTAL:
            real.add(len(cases), result)
        if verbose:
            for error in result.errors:
                print(f"          {error}")
    report("real", real)


def synthetic_watchlist(size: int, rng: random.Random) -> Watchlist:
    """The example watches plus invented but plausible ones (company + product + 项目), up to ``size``."""
    base = list(load_watchlist().watches)
    corpus_chars = [c for a in load_corpus() for c in a["title"] if "\u4e00" <= c <= "\u9fff"]
    extra = []
    while len(base) + len(extra) < size:
        company = "".join(rng.choice(corpus_chars) for _ in range(2))
        product = rng.choice(PRODUCTS)
        watch_id = f"synthetic-{len(extra)}"
        keywords = ((company,), (product,)) if rng.random() < 0.5 else ()
        extra.append(Watch(watch_id, "project", f"{company}{rng.randint(1, 99)}万吨{product}项目", keywords=keywords))
    return Watchlist(Path("<synthetic>"), tuple(base + extra)[:size], "synthetic")


def stories(count: int) -> list[tuple[str, date]]:
    corpus = load_corpus()
    texts = [story_text(a.get("kicker"), a["title"], a.get("subtitle"), a["paragraphs"]) for a in corpus]
    return [(texts[i % len(texts)], date(2024, 5, 7)) for i in range(count)]


def throughput(watchlist: Watchlist, items: list[tuple[str, date]]) -> tuple[float, int]:
    """Match, extract figures and read project facts: all of detection but the database."""
    matcher = Matcher(watchlist)
    kinds = {w.id: w.kind for w in watchlist.watches}
    found = 0
    started = time.process_time()
    for text, issue in items:
        hits = matcher.find(text, every_indicator=True)
        indicators = [h for h in hits if kinds[h.watch_id] == "indicator"]
        projects = [h for h in hits if kinds[h.watch_id] == "project"]
        found += len(hits) + len(extract(text, indicators, issue, matcher)) + len(hit_facts(projects))
    return time.process_time() - started, found


def speed() -> None:
    rng = random.Random(7)
    lists = {n: synthetic_watchlist(n, rng) for n in (50, 500)}
    print(f"corpus: {len(load_corpus())} distinct stories, repeated to the sizes below; CPU time of one process")
    for watches, count in ((500, 10_000), (500, 20_000), (50, 10_000)):
        seconds, found = throughput(lists[watches], stories(count))
        print(f"  {watches:>3} watches, {count:>6} stories: {seconds:6.2f} s CPU, {count / seconds:7.0f} stories/s "
              f"({found} findings)")  # fmt: skip


# --- the command ------------------------------------------------------------------------------------------

EXAMPLE = ROOT / "szwatch/config/watchlist.example.toml"
CJK_RUN = re.compile(r"[\u4e00-\u9fff]{6,}")


def hitting_watchlist(size: int, rng: random.Random) -> str:
    """The example watchlist plus projects named by 5-8 character phrases of the corpus, up to ``size``
    watches: every one of them occurs in the archive's text (what the matcher meets in a real watchlist)."""
    corpus = load_corpus()
    runs = [m.group() for a in corpus for p in a["paragraphs"] for m in CJK_RUN.finditer(p)]
    text = EXAMPLE.read_text(encoding="utf-8")
    have = len(re.findall(r"^\[\[(?:project|indicator)\]\]", text, re.M))
    names: set[str] = set()
    blocks = []
    while have + len(blocks) < size:
        run = rng.choice(runs)
        length = rng.randint(5, min(8, len(run)))
        start = rng.randrange(len(run) - length + 1)
        name = run[start : start + length]
        if name in names:
            continue
        names.add(name)
        blocks.append(f'\n[[project]]\nid = "bench-{len(blocks)}"\nname = "{name}"\n')
    return text + "".join(blocks)


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float
    processed: int
    findings: int
    alerts: int


def run_detect(db: Path, watchlist: Path, settings: Path, code: Path | None, *extra: str) -> Timing:
    """One ``szwatch detect`` in a new process: wall and CPU time (user + system of the child, its workers
    included). ``code``: a checkout of other code to run instead of the installed one."""
    env = {**os.environ, "SZWATCH_DB": f"sqlite:///{db}", "SZWATCH_CONFIG": str(settings)}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # cwd: the database's folder, not a checkout (``python -m`` puts the working directory first on the path)
    done = subprocess.run([sys.executable, "-m", "szwatch", "--quiet", "detect", "--watchlist", str(watchlist),
                           "--json", *extra], env=env, cwd=db.parent, capture_output=True, text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"szwatch detect failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu, report["stories_processed"], report["findings"], report["alerts"])


def spread(values: list[float], digits: int = 1) -> str:
    """``median (min-max)``."""
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def command(sizes: list[int], runs: int, watches: int, compare: Path | None = None) -> list[str]:
    """Build one archive per size, then time first detect and rescan ``runs`` times on fresh copies; with
    ``compare`` (a checkout of other code), each round runs that code and then this one on the same archive,
    so both meet the same load of the machine (paired runs)."""
    lines: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    codes: dict[str, Path | None] = {"this code": None} if compare is None else {"before": compare, "after": None}
    with tempfile.TemporaryDirectory(prefix="szwatch-bench-detect-") as work:
        folder = Path(work)
        watchlist, settings = folder / "watchlist.toml", folder / "settings.toml"
        watchlist.write_text(hitting_watchlist(watches, random.Random(7)), encoding="utf-8")
        settings.write_text("", encoding="utf-8")
        templates = {}
        for size in sizes:
            templates[size] = folder / f"archive-{size}.db"
            build_archive(templates[size], size, compare)
        timings: dict[tuple[str, int, str], list[Timing]] = {
            (c, s, k): [] for c in codes for s in sizes for k in ("first", "rescan")
        }
        for round_no in range(runs):
            for size in sizes:
                for label, code in codes.items():
                    db = folder / "run.db"
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{db}{suffix}").unlink(missing_ok=True)
                    shutil.copyfile(templates[size], db)
                    first = run_detect(db, watchlist, settings, code)
                    rescan = run_detect(db, watchlist, settings, code, "--rescan")
                    timings[(label, size, "first")].append(first)
                    timings[(label, size, "rescan")].append(rescan)
                    # wall and CPU of each run as it ends: a run cut short on a busy machine still has its figures
                    print(f"  round {round_no + 1}, {size:,} stories, {label}: first {first.wall:.1f} s "
                          f"(CPU {first.cpu:.1f} s), rescan {rescan.wall:.1f} s (CPU {rescan.cpu:.1f} s)", flush=True)  # fmt: skip
        say(f"`szwatch detect` (new process, start-up counted), SQLite, {watches} watches occurring in the text, "
            f"archive-length stories; {runs} runs, median (min-max); {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f} at the end")  # fmt: skip
        say()
        say("| code | stories | run | wall s | CPU s | stories/s (wall) | findings | alerts |")
        say("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for label in codes:
            for size in sizes:
                for kind in ("first", "rescan"):
                    got = timings[(label, size, kind)]
                    rates = [size / t.wall for t in got]
                    say(f"| {label} | {size:,} | {kind} | {spread([t.wall for t in got])} | "
                        f"{spread([t.cpu for t in got])} | {spread(rates, 0)} | {got[0].findings:,} | {got[0].alerts} |")  # fmt: skip
        say()
        for label in codes:
            if len(sizes) >= 2:
                small, large = sizes[0], sizes[-1]
                for kind in ("first", "rescan"):
                    pairs = zip(timings[(label, small, kind)], timings[(label, large, kind)], strict=True)
                    ratios = [b.wall / a.wall for a, b in pairs]
                    say(f"- {label}, growth of {kind}: {large / small:.0f}x the stories took {spread(ratios, 2)}x the "
                        f"time (paired by round; goal <= {1.1 * large / small:.1f}x)")  # fmt: skip
        if compare is not None:
            for size in sizes:
                for kind in ("first", "rescan"):
                    pairs = zip(timings[("before", size, kind)], timings[("after", size, kind)], strict=True)
                    gains = [a.wall / b.wall for a, b in pairs]
                    say(f"- after vs before, {size:,} stories, {kind}: {spread(gains, 1)}x as fast (paired by round)")
    return lines


def build_archive(path: Path, size: int, code: Path | None) -> None:
    """The archive, built by ``code`` when given (earlier code may not read a schema newer than its own; this
    code upgrades the copy at its first run, as it would a user's store)."""
    if code is None:
        engine = open_store(f"sqlite:///{path}")
        build(engine, size)
        engine.dispose()
        return
    script = "import sys; from archive import build; from szwatch.store.db import open_store; " \
             "build(open_store(sys.argv[1]), int(sys.argv[2]))"  # fmt: skip
    env = {**os.environ, "PYTHONPATH": f"{code}:{code / 'bench'}"}
    subprocess.run([sys.executable, "-c", script, f"sqlite:///{path}", str(size)], env=env, cwd=path.parent,
                   check=True)  # fmt: skip


def record(label: str, lines: list[str]) -> Path:
    """Append the figures under ``label`` to today's record (bench/records/YYYY-MM-DD-detect-command.md)."""
    path = ROOT / "bench/records" / f"{datetime.now(SHANGHAI):%Y-%m-%d}-detect-command.md"  # as record.py
    head = "" if path.exists() else (
        "# `szwatch detect` with the store, archive-length stories and watches that hit\n\n"
        "Written by `bench/detect.py --record LABEL`; 2 cores shared with other work, so medians of paired runs.\n"
    )  # fmt: skip
    with path.open("a", encoding="utf-8") as out:  # the label names the code (a checkout may not be a repository)
        out.write(f"{head}\n## {label}\n\n" + "\n".join(lines) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,4000", help="archive sizes in stories, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--watches", type=int, default=500)
    parser.add_argument("--record", metavar="LABEL",
                        help="append the figures to today's record under LABEL (say which code: a commit)")  # fmt: skip
    parser.add_argument("--compare", metavar="DIR", type=Path,
                        help="a checkout of other code (git archive REV | tar -x -C DIR) run before this one, paired")  # fmt: skip
    parser.add_argument("--quality", action="store_true", help="detection quality on the labelled sets")
    parser.add_argument("--matching", action="store_true", help="matching speed alone (no store, no command)")
    parser.add_argument("-v", action="store_true", help="with --quality: list every error")
    args = parser.parse_args()
    if args.quality:
        quality(verbose=args.v)
    if args.matching:
        speed()
    if args.quality or args.matching:
        return
    lines = command([int(s) for s in args.sizes.split(",")], args.runs, args.watches, args.compare)
    if args.record:
        print(f"recorded in {record(args.record, lines)}")


if __name__ == "__main__":
    with recorded("detect"):
        main()
