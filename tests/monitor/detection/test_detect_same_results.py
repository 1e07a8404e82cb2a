"""Detection stores the same results however it is run: a guard for changes to *how* detection runs.

A scenario over the replica's corpus and every labelled set (about 460 stories over many issues) runs detection
the way a user does — a first run (the baseline), new stories arriving (alerts, figures revised, project facts
changing), a rescan raising alerts for everything, and a rescan with a smaller watchlist (findings removed) — and
dumps everything detection stored: mentions, observations, project facts, alerts and what each run reported.
``tests/data/detect_same_results.json`` is that dump, written by the code before detection was batched and
indexed (issue #20); the test fails on any difference. After a deliberate change of what detection finds,
write it again::

    .venv/bin/python -m tests.monitor.detection.test_detect_same_results --write
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from szwatch.monitor.detection.detect import DetectReport, detect
from szwatch.monitor.detection.evaluate import load_cases
from szwatch.monitor.detection.watchlist import Watchlist, load_watchlist
from szwatch.replica.build import load_corpus
from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import open_store, session_scope

DATA = Path(__file__).resolve().parents[2] / "data"
FIXTURE = DATA / "detect_same_results.json"
SETS = ("detect_cases.toml", "detect_holdout.toml", "detect_blind.toml", "detect_blind2.toml")
DUMPS = {
    "mentions": 'SELECT watch_id, story_url, article_id, surface, kind, snippet, sentence_index, start, "end" '
    "FROM mentions",
    "observations": "SELECT indicator_id, story_url, article_id, value, unit, growth_pct, period, period_start, "
    "period_end, scope, rank, relative, snippet, surface, sentence_index, ordinal FROM observations",
    "facts": "SELECT watch_id, story_url, issue_date, field, value, snippet FROM project_facts",
    "alerts": "SELECT dedupe_key, rule, watch_id, watch_name, tags, story_url, issue_date, page, title, snippet, "
    "figures, change, detect_run_id FROM alerts",
    "detections": "SELECT story_url, digest, watchlist_digest FROM detections",
    "baselines": "SELECT watch_id, last_article_id, detect_run_id FROM watch_baselines",
}


def stories() -> list[tuple[date, str | None, str, list[str]]]:
    """(issue date, kicker, title, paragraphs): the replica's corpus, 12 stories an issue from 2024-03-01, then
    every labelled story on its own issue date."""
    found = [
        (date(2024, 3, 1) + timedelta(days=i // 12), a.get("kicker") or None, a["title"], list(a["paragraphs"]))
        for i, a in enumerate(load_corpus())
    ]
    for name in SETS:
        for case in load_cases(DATA / name):
            paragraphs = [p for p in case["text"].strip().split("\n") if p.strip()]
            found.append(
                (date.fromisoformat(case["issue_date"]), case.get("kicker"), case.get("title", ""), paragraphs)
            )
    return found


def store(engine: Engine, batch: list[tuple[date, str | None, str, list[str]]], offset: int) -> None:
    for number, (day, kicker, title, paragraphs) in enumerate(batch, offset):
        base = f"http://szb.example/shtml/szrb/{day:%Y%m%d}/"
        with session_scope(engine) as session:
            issue = articles.upsert_issue(session, day, base + "vA1.shtml")
            page = articles.get_page(session, issue, "A1") or articles.upsert_page(
                session, issue, "A1", base + "vA1.shtml", "要闻", 0, []
            )
            record = ArticleRecord(url=f"{base}{number}.shtml", number=str(number), title=title, kicker=kicker,
                                   paragraphs=paragraphs, raw_paragraphs=paragraphs)  # fmt: skip
            articles.save_article(session, issue.id or 0, page.id or 0, record)


def scenario(engine: Engine) -> dict[str, Any]:
    """Run detection as a user does and return everything it stored and reported, in a stable order."""
    watchlist = load_watchlist()
    smaller = Watchlist(watchlist.path, watchlist.watches[::2], "smaller")
    every = stories()
    half = len(every) * 2 // 3
    runs: list[DetectReport] = []
    store(engine, every[:half], 0)
    runs.append(detect(engine, watchlist))  # the baseline
    store(engine, every[half:], half)
    runs.append(detect(engine, watchlist, max_age_days=0))  # new stories: alerts, whatever their age
    # the rescans analyse in two worker processes, as a large run does
    runs.append(detect(engine, watchlist, rescan=True, alert_existing=True, workers=2))  # every alert there is
    runs.append(detect(engine, smaller, rescan=True, workers=2))  # findings of watches dropped from the list go
    dump: dict[str, Any] = {"runs": [_report(r) for r in runs]}
    with engine.connect() as conn:
        for name, sql in DUMPS.items():
            rows = [[_plain(v) for v in row] for row in conn.execute(text(sql))]
            dump[name] = sorted(rows, key=lambda row: json.dumps(row, ensure_ascii=False, sort_keys=True))
    return dump


def _report(report: DetectReport) -> dict[str, Any]:
    """What a run reports (held-back counts aside: they count candidate alerts, which need not be built)."""
    return {
        "stories_total": report.stories_total, "stories_processed": report.stories_processed,
        "mentions": [report.mentions_added, report.mentions_removed],
        "observations": [report.observations_added, report.observations_removed], "alerts": report.alerts,
        "by_watch": dict(sorted(report.by_watch.items())), "baselined": report.baselined,
    }  # fmt: skip


def _plain(value: Any) -> Any:
    """Rows as JSON: dates as ISO text, JSON columns parsed (SQLite gives text, PostgreSQL objects)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, bool):
        return int(value)
    return value


def test_detection_stores_what_it_stored_before_it_was_batched(engine: Engine):
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))

    got = json.loads(json.dumps(scenario(engine), ensure_ascii=False))

    for part in expected:
        assert got[part] == expected[part], f"{part} differ from {FIXTURE.name}"


if __name__ == "__main__" and "--write" in sys.argv:
    with tempfile.TemporaryDirectory() as work:
        store_engine = open_store(f"sqlite:///{Path(work) / 'same.db'}")
        result = scenario(store_engine)
        store_engine.dispose()
    FIXTURE.write_text(json.dumps(result, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE} ({', '.join(f'{len(v)} {k}' for k, v in result.items())})")
