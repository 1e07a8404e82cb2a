"""Detection benchmark (prints figures; not a test).

Quality, per labelled set (tests/data/detect_cases.toml; the held-out set and the two blind sets, written
apart from the code, when present): precision, recall and F1 for mentions, for indicator observations and for
project facts (stage, investment, progress per mention), how many mentions worded with no alias are found,
and — for the sets that had one — the figures of their first, blind run (recorded before anything was fixed;
bench/records/ for the blind sets, copied into FIRST_RUNS below).
Speed: stories per second matched and extracted on one core, with 500 watches, for 10k and 20k stories
(time should grow linearly with the archive) and with 50 vs 500 watches (it should barely grow). Goal:
at least 2,000 stories/s with 500 watches.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date
from pathlib import Path

from szwatch.monitor.detection.evaluate import Score, evaluate, load_cases
from szwatch.monitor.detection.facts import hit_facts
from szwatch.monitor.detection.figures import extract
from szwatch.monitor.detection.findings import story_text
from szwatch.monitor.detection.match import Matcher
from szwatch.monitor.detection.watchlist import Watch, Watchlist, load_watchlist
from szwatch.replica.build import load_corpus

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "labelled": ROOT / "tests/data/detect_cases.toml",
    "held-out": ROOT / "tests/data/detect_holdout.toml",
    "blind": ROOT / "tests/data/detect_blind.toml",
    "blind 2": ROOT / "tests/data/detect_blind2.toml",
}
# First runs of the sets written apart from the code, before any fix they prompted (README, "Detection").
FIRST_RUNS = {
    "held-out": "mentions P 1.000 R 1.000; observations P 0.939 R 0.838 F1 0.886 (figures only were scored then)",
    "blind": "mentions P 0.970 R 0.889 F1 0.928, 16 of 24 no-alias found; observations P 0.881 R 0.822 F1 0.851; "
    "facts P 0.735 R 0.621 (53 stories, pre-fix code at 8743bd1; /work/blind-first-run.md)",
    "blind 2": "mentions P 0.917 R 0.987 F1 0.951, 16 of 17 no-alias found; observations P 0.916 R 0.956 F1 0.935; "
    "facts P 0.812 R 0.852 F1 0.832 (49 stories, pre-fix code at 845a204; bench/records/blind2-first-run.md)",
}
PRODUCTS = ["多晶硅", "碳化硅", "光伏组件", "储能电站", "风电装备", "煤制甲醇", "陶瓷新材料", "乳制品加工", "物流园",
            "数据中心", "氢能产业园", "生物医药", "高端装备", "铝镁合金", "石墨烯", "肉羊屠宰", "燕麦深加工"]  # fmt: skip


def line(name: str, what: str, score: Score) -> str:
    return (f"{name:>9} {what:<12} precision {score.precision:.3f}  recall {score.recall:.3f}  F1 {score.f1:.3f}  "
            f"({score.true_pos} right, {score.false_pos} wrong, {score.false_neg} missed)")  # fmt: skip


def quality(verbose: bool = False) -> None:
    watchlist = load_watchlist()
    for name, path in SETS.items():
        if not path.exists():
            print(f"{name:>9} (no {path.name})")
            continue
        cases = load_cases(path)
        result = evaluate(cases, watchlist)
        print(f"{name:>9} {len(cases)} stories")
        print(line(name, "mentions", result.mentions))
        print(line(name, "observations", result.observations))
        print(line(name, "facts", result.facts))
        found, labelled = result.no_alias
        print(f"{name:>9} mentions worded with no alias found: {found} of {labelled}; surface = label "
              f"{result.surface_agree:.0%}; observations: period agrees {result.period_agree:.0%}, "
              f"scope agrees {result.scope_agree:.0%}")  # fmt: skip
        if name in FIRST_RUNS:
            print(f"{name:>9} first (blind) run: {FIRST_RUNS[name]}")
        if verbose:
            for error in result.errors:
                print(f"          {error}")


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


if __name__ == "__main__":
    quality(verbose="-v" in sys.argv)
    if "--quality" not in sys.argv:
        speed()
