"""Detection over a real store: incremental, idempotent, rescans, stories continued across pages."""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.monitor.detection.analysis import Analyser, Kept
from szwatch.monitor.detection.detect import detect, preview_rescan
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import session_scope
from szwatch.store.findings import detections
from szwatch.store.models import Detection, Issue, Mention, Observation

BASE = "http://szb.example/shtml/szrb/20240507/"
WATCHLIST = load_watchlist()


def add(engine: Engine, number: int, title: str, paragraphs: list[str], page: str = "A1", **extra: object) -> None:
    with session_scope(engine) as session:
        issue = articles.upsert_issue(session, date(2024, 5, 7), BASE + "vA1.shtml")
        row = articles.get_page(session, issue, page) or articles.upsert_page(
            session, issue, page, f"{BASE}v{page}.shtml", None, int(page[1:]), []
        )
        record = ArticleRecord(url=f"{BASE}{number}.shtml", number=str(number), title=title, paragraphs=paragraphs,
                               raw_paragraphs=paragraphs, **extra)  # type: ignore[arg-type]  # fmt: skip
        articles.save_article(session, issue.id or 0, row.id or 0, record)
        articles.link_stories(session, issue)


def stored(engine: Engine, model: type) -> list:
    with Session(engine) as session:
        return list(session.exec(select(model)).all())


def test_detect_stores_mentions_and_figures_once(engine: Engine):
    add(engine, 1, "重大项目加快推进", ["中煤朔州煤基烯烃一体化项目加快推进。"])
    add(engine, 2, "一季度经济开局良好", ["今年一季度，全市地区生产总值完成298.6亿元，同比增长5.4%。"])

    first = detect(engine, WATCHLIST)
    second = detect(engine, WATCHLIST)

    assert (first.stories_processed, first.mentions_added, first.observations_added) == (2, 1, 1)
    assert (second.stories_processed, second.mentions_added, second.observations_added) == (0, 0, 0)
    [mention] = stored(engine, Mention)
    assert (mention.watch_id, mention.kind, mention.surface) == (
        "zhongmei-olefin",
        "variant",
        "中煤朔州煤基烯烃一体化项目",
    )
    [obs] = stored(engine, Observation)
    assert (obs.indicator_id, obs.value, obs.unit, obs.growth_pct, obs.period_start, obs.period_end) == (
        "gdp",
        298.6,
        "亿元",
        5.4,
        date(2024, 1, 1),
        date(2024, 3, 31),
    )


def test_findings_written_in_bulk_read_back_as_the_orm_writes_them(engine: Engine):
    """The run writes its findings with plain multi-row statements; what a reader gets back is what the ORM
    would have stored: dates, times in UTC, flags and empty values, on SQLite and PostgreSQL alike."""
    add(engine, 1, "一季度经济开局良好", ["今年一季度，全市地区生产总值完成298.6亿元，同比增长5.4%。"])
    started = datetime.now(UTC)

    detect(engine, WATCHLIST)

    [obs] = stored(engine, Observation)
    assert (obs.period_start, obs.period_end, obs.relative, obs.rank) == (
        date(2024, 1, 1),
        date(2024, 3, 31),
        False,
        "",
    )
    assert started <= obs.created_at.replace(tzinfo=obs.created_at.tzinfo or UTC) <= datetime.now(UTC)
    [done] = stored(engine, Detection)
    assert done.story_url == f"{BASE}1.shtml" and done.watchlist_digest == WATCHLIST.digest


def test_a_run_leaves_the_garbage_collector_as_it_found_it(engine: Engine):
    """While it works a run collects cycles rarely (it makes millions of short-lived findings); afterwards the
    process — the daemon, which runs on — has the collector's settings it had before."""
    add(engine, 1, "重大项目加快推进", ["中煤朔州煤基烯烃一体化项目加快推进。"])
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()

    detect(engine, WATCHLIST)

    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)


def test_story_continued_across_pages_is_one_story(engine: Engine):
    add(engine, 1, "项目建设提速", ["今年一季度，全市项目建设提速。"], continued_to="A2")
    add(engine, 2, "项目建设提速", ["宝武朔州绿色低碳铬基合金项目进入设备安装阶段。"], page="A2", continued_from="A1")

    report = detect(engine, WATCHLIST)

    assert report.stories_total == 1
    [mention] = stored(engine, Mention)
    assert mention.story_url == f"{BASE}1.shtml" and mention.watch_id == "baowu-chrome"


def test_changed_story_is_processed_again(engine: Engine):
    add(engine, 1, "项目", ["东立多晶硅项目开工。"])
    detect(engine, WATCHLIST)
    add(engine, 1, "项目", ["东立多晶硅项目开工。", "集大原高铁联调联试。"])

    report = detect(engine, WATCHLIST)

    assert report.stories_processed == 1 and report.mentions_added == 1
    assert sorted(m.watch_id for m in stored(engine, Mention)) == ["dongli-polysilicon", "jidayuan-hsr"]


def test_rescan_after_watchlist_change_removes_what_no_longer_matches(engine: Engine, tmp_path: Path):
    add(engine, 1, "项目", ["东立多晶硅项目开工。", "集大原高铁联调联试。"])
    detect(engine, WATCHLIST)
    smaller = tmp_path / "watchlist.toml"
    smaller.write_text('[[project]]\nid = "hsr"\nname = "集大原高铁"\n', encoding="utf-8")

    plain = detect(engine, load_watchlist(smaller))
    rescan = detect(engine, load_watchlist(smaller), rescan=True)

    assert plain.stories_processed == 0 and plain.stale_watchlist
    assert (rescan.mentions_added, rescan.mentions_removed) == (1, 2)
    assert [m.watch_id for m in stored(engine, Mention)] == ["hsr"]


def test_detect_touches_only_detection_tables(engine: Engine):
    add(engine, 1, "项目", ["东立多晶硅项目开工。"])
    before = [(i.id, i.status, i.updated_at) for i in stored(engine, Issue)]
    detect(engine, WATCHLIST)
    assert [(i.id, i.status, i.updated_at) for i in stored(engine, Issue)] == before


def test_an_interrupted_run_keeps_its_finished_batches_and_the_next_run_does_the_rest(engine: Engine):
    """Stories are written a batch to a transaction: stopping a run (Ctrl-C) between batches keeps what was
    written, and the next run processes exactly the stories left, so nothing is lost or found twice."""
    with session_scope(engine) as session:
        issue = articles.upsert_issue(session, date(2024, 5, 7), BASE + "vA1.shtml")
        page = articles.upsert_page(session, issue, "A1", BASE + "vA1.shtml", None, 1, [])
        records = [
            (issue.id or 0, page.id or 0, ArticleRecord(url=f"{BASE}{n}.shtml", number=str(n), title="项目",
                                                      paragraphs=[f"东立多晶硅项目第{n}批设备安装。"],
                                                      raw_paragraphs=[f"东立多晶硅项目第{n}批设备安装。"]))
            for n in range(1, 251)
        ]  # fmt: skip
        articles.save_articles(session, records)

    def stop_after_the_first_batch(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        detect(engine, WATCHLIST, progress=stop_after_the_first_batch)
    kept = len(stored(engine, Mention))
    rest = detect(engine, WATCHLIST)

    assert kept == 200
    assert rest.stories_processed == 50
    assert len(stored(engine, Mention)) == 250


def test_a_rescan_stores_what_its_preview_found_and_reads_again_a_story_changed_in_between(
    engine: Engine, tmp_path: Path
):
    """``detect --rescan`` analyses each story once: the preview's findings are kept and stored by the run; a
    story whose text changed while the user read the preview is analysed again, so nothing stale is stored."""
    add(engine, 1, "项目", ["东立多晶硅项目开工。", "集大原高铁联调联试。"])
    add(engine, 2, "项目", ["中煤朔州煤基烯烃一体化项目加快推进。"])
    detect(engine, WATCHLIST)
    smaller = tmp_path / "watchlist.toml"
    smaller.write_text('[[project]]\nid = "hsr"\nname = "集大原高铁"\n', encoding="utf-8")
    watchlist = load_watchlist(smaller)

    preview = preview_rescan(engine, watchlist)
    add(engine, 2, "项目", ["中煤朔州煤基烯烃一体化项目加快推进。", "集大原高铁全线铺轨。"])
    rescan = detect(engine, watchlist, rescan=True, kept=preview.kept)
    preview.kept.close()

    assert (preview.stories, preview.mentions_removed, preview.added) == (2, 3, 1)
    assert (rescan.mentions_added, rescan.mentions_removed) == (2, 3)
    assert sorted((m.story_url, m.watch_id) for m in stored(engine, Mention)) == [
        (f"{BASE}1.shtml", "hsr"),
        (f"{BASE}2.shtml", "hsr"),
    ]


def test_a_rescan_stopped_midway_keeps_its_finished_batches_and_the_next_rescan_does_the_rest(
    engine: Engine, tmp_path: Path
):
    """A rescan stores its preview's findings a batch to a transaction: stopped after the first batch (Ctrl-C),
    that batch holds the new watchlist's findings and the rest the old ones; the next rescan finishes, with no
    finding lost or stored twice."""
    with session_scope(engine) as session:
        issue = articles.upsert_issue(session, date(2024, 5, 7), BASE + "vA1.shtml")
        page = articles.upsert_page(session, issue, "A1", BASE + "vA1.shtml", None, 1, [])
        text = "东立多晶硅项目第{}批设备安装，集大原高铁联调联试。"
        records = [
            (issue.id or 0, page.id or 0, ArticleRecord(url=f"{BASE}{n}.shtml", number=str(n), title="项目",
                                                      paragraphs=[text.format(n)], raw_paragraphs=[text.format(n)]))
            for n in range(1, 251)
        ]  # fmt: skip
        articles.save_articles(session, records)
    detect(engine, WATCHLIST)
    smaller = tmp_path / "watchlist.toml"
    smaller.write_text('[[project]]\nid = "hsr"\nname = "集大原高铁"\n', encoding="utf-8")
    watchlist = load_watchlist(smaller)

    def stop_after_the_first_batch(done: int, total: int) -> None:
        raise KeyboardInterrupt

    preview = preview_rescan(engine, watchlist)
    with pytest.raises(KeyboardInterrupt):
        detect(engine, watchlist, rescan=True, kept=preview.kept, progress=stop_after_the_first_batch)
    preview.kept.close()
    halfway = sorted({m.watch_id for m in stored(engine, Mention) if m.story_url == f"{BASE}{n}.shtml"}
                     for n in (1, 200, 201, 250))  # fmt: skip
    again = preview_rescan(engine, watchlist)
    rest = detect(engine, watchlist, rescan=True, kept=again.kept)
    again.kept.close()

    assert [len(watches) for watches in halfway] == [1, 1, 2, 2]
    assert (again.mentions_removed, again.added) == (100, 50)  # the 50 left: two old mentions each, one new
    assert (rest.mentions_removed, rest.mentions_added) == (100, 50)
    assert sorted((m.story_url, m.watch_id) for m in stored(engine, Mention)) == sorted(
        (f"{BASE}{n}.shtml", "hsr") for n in range(1, 251)
    )


def test_a_preview_that_finds_more_than_it_keeps_in_memory_gives_the_rest_back_from_disk_the_same(engine: Engine):
    """A rescan's preview keeps its findings for the run in memory up to a bound and the rest in a temporary
    file: a story's findings come back the same from either, once each, and not at all when its text changed."""
    add(engine, 1, "项目", ["东立多晶硅项目开工。", "集大原高铁联调联试。"])
    add(engine, 2, "项目", ["中煤朔州煤基烯烃一体化项目加快推进。"])
    add(engine, 3, "经济", ["今年一季度，全市地区生产总值完成298.6亿元，同比增长5.4%。"])
    with Session(engine) as session:
        stories = list(detections.load_stories(session, list(detections.story_digests(session))))
    with Analyser(WATCHLIST) as analyser:
        found = list(analyser.batch(stories))
    first = len(found[0].mentions) + len(found[0].observations)
    kept = Kept(in_memory=first)  # room for the first story's findings only
    kept.add(stories[:1], found[:1])
    kept.add(stories[1:], found[1:])
    changed = replace(stories[2], digest="another text")

    assert first == 2
    assert kept.take([*stories[:2], changed]) == [*found[:2], None]
    assert kept.take(stories[2:]) == found[2:]
    kept.close()


def test_a_rescan_preview_reads_a_provincial_paper_as_the_rescan_does(engine: Engine):
    """A provincial paper's unplaced figure is nobody's: the preview must not announce it as removed and added
    again (it analyses with the same provincial papers as the run)."""
    add(engine, 1, "经济", ["今年一季度，全市地区生产总值完成298.6亿元，同比增长5.4%。"])
    detect(engine, WATCHLIST, provincial=frozenset({"szrb"}))

    preview = preview_rescan(engine, WATCHLIST, provincial=frozenset({"szrb"}))
    rescan = detect(engine, WATCHLIST, rescan=True, kept=preview.kept, provincial=frozenset({"szrb"}))
    preview.kept.close()

    assert (preview.observations_removed, preview.added) == (0, 0)
    assert (rescan.observations_added, rescan.observations_removed) == (0, 0)
