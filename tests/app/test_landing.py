"""Alerts as articles land: the daemon detects what a crawl has stored while the crawl goes on, and delivers
at once; a story continued on a later page alerts once, however its parts arrive."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from szwatch.app.daemon import Daemon
from szwatch.app.settings import DaemonSettings, Route, Settings
from szwatch.common.clock import local_today
from szwatch.crawler.run import CrawlRequest
from szwatch.monitor.alerts.channels.wecom import WecomChannel
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import Watchlist, load_watchlist
from szwatch.replica import templates
from szwatch.replica.build import Manifest, ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.replica.sinks import ChatReceiver
from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import session_scope
from szwatch.store.models import Alert, Article, CrawlRun, Detection, Issue, Mention, RunStatus, utcnow
from tests.conftest import crawl_site, store_story
from tests.monitor.alerts.test_alerts import WATCHLIST

TODAY = local_today(utcnow())  # the daemon reads the real clock; the replica is built around it
DAYS_BEFORE = tuple(TODAY - timedelta(days=n) for n in (3, 2, 1))
ENTRY = "/shtml/index_szrb.shtml"
SPEC = ReplicaSpec(start=DAYS_BEFORE[0], weeks=1, holidays=(), weekdays=tuple(range(7)), pages=4, per_page=5)


@pytest.fixture
def held_back(tmp_path: Path) -> Iterator[tuple[ReplicaServer, Path, Path]]:
    """The replica as it stood at dawn on TODAY: issues up to yesterday, today's waiting in the wings."""
    root, staging = tmp_path / "site", tmp_path / "staging"
    manifest = build_replica(root, SPEC)
    staging.mkdir()
    for day in manifest.dates:
        if day >= TODAY:
            folder = root / "shtml" / "szrb" / f"{day:%Y%m%d}"
            shutil.move(folder, staging / folder.name) if day == TODAY else shutil.rmtree(folder)
    (root / ENTRY.lstrip("/")).write_bytes(templates.entry_page(DAYS_BEFORE[-1]).encode("gb18030"))
    with ReplicaServer(root) as site:
        yield site, root, staging


def publish(root: Path, staging: Path, day: date) -> None:
    shutil.move(staging / f"{day:%Y%m%d}", root / "shtml" / "szrb" / f"{day:%Y%m%d}")
    (root / ENTRY.lstrip("/")).write_bytes(templates.entry_page(day).encode("gb18030"))


def wait_for(check: Callable[[], object], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_an_alert_reaches_the_chat_while_the_issue_is_still_being_crawled(
    engine: Engine, held_back: tuple[ReplicaServer, Path, Path]
):
    site, root, staging = held_back
    crawl_site(engine, site, dates=DAYS_BEFORE)
    detect(engine, WATCHLIST)  # the baseline, as the daemon's first crawl would have made it
    with ChatReceiver("wecom", per_minute=1000) as robot:
        settings = Settings(
            channels=(WecomChannel("team", robot.url),), routes=(Route("team"),),
            daemon=DaemonSettings(base_url=site.url, poll_start="00:00", poll_end="23:59", catch_up_days=1,
                                  check_every_minutes=0.02, detect_every_seconds=0.5,
                                  crawl_delay_seconds=0.4, crawl_concurrency=1),
        )  # fmt: skip
        daemon = Daemon(engine, settings, WATCHLIST)  # the real scheduler, on the real clock
        seen: dict[str, object] = {}

        def today_is_published_then_watched() -> None:
            try:
                wait_for(lambda: daemon.crawls >= 1 and not daemon.crawling.locked())  # the catch-up at start
                publish(root, staging, TODAY)
                wait_for(lambda: any(TODAY.isoformat() in r.text for r in robot.accepted()))
                seen.update(crawl=latest_run_status(engine), stored=stored_today(engine))
                wait_for(lambda: daemon.crawls >= 2 and not daemon.crawling.locked())
                time.sleep(2)  # the delivery after the final pass
            finally:
                daemon.stop()

        helper = threading.Thread(target=today_is_published_then_watched)
        helper.start()
        daemon.run()  # the real scheduler, in this thread (it installs signal handlers)
        helper.join()

    listed = stored_today(engine)
    assert seen["crawl"] == RunStatus.RUNNING  # the first alert came while the crawl was still running …
    assert isinstance(seen["stored"], int) and seen["stored"] < listed  # … with articles of the issue still to come
    shown = [line for r in robot.accepted() for line in r.text.splitlines() if f"》{TODAY} 第" in line]
    with Session(engine) as session:
        alerts = session.exec(select(func.count()).select_from(Alert).where(Alert.issue_date == TODAY)).one()
        assert session.exec(select(Issue.status).where(Issue.issue_date == TODAY)).one() == "complete"
    assert alerts > 0 and len(shown) == alerts  # every alert in the chat once, though stories were detected twice


def latest_run_status(engine: Engine) -> str:
    with Session(engine) as session:
        return session.exec(select(CrawlRun.status).order_by(col(CrawlRun.id).desc())).first() or ""


def stored_today(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Article).join(Issue)
                            .where(Issue.issue_date == TODAY)).one()  # fmt: skip


# -- a story continued on a later page ------------------------------------------------------------------------

DAY = date(2024, 5, 8)  # its lead story, continued from A1 to A2, is about 集大原高铁 in both parts
RAIL = "集大原高铁"


@pytest.fixture
def continued(tmp_path: Path) -> Iterator[tuple[ReplicaServer, Manifest, Watchlist]]:
    root = tmp_path / "site"
    manifest = build_replica(root, ReplicaSpec(start=date(2024, 5, 6), weeks=1, pages=2, per_page=3, holidays=()))
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(f'[[project]]\nid = "rail"\nname = "{RAIL}"\n', encoding="utf-8")
    with ReplicaServer(root) as site:
        yield site, manifest, load_watchlist(watchlist)


def parts_of(manifest: Manifest, day: date) -> tuple[str, str]:
    head, tail = next((h, t) for h, t in manifest.continued.items() if f"/{day:%Y%m%d}/" in h)
    return head, tail


def rail_alerts(engine: Engine) -> list[Alert]:
    with Session(engine) as session:
        return list(session.exec(select(Alert).where(Alert.watch_id == "rail")).all())


@pytest.mark.parametrize("first", ["head", "tail"])
def test_a_continued_story_alerts_once_whichever_part_lands_first(
    engine: Engine, continued: tuple[ReplicaServer, Manifest, Watchlist], first: str
):
    site, manifest, watchlist = continued
    head, tail = parts_of(manifest, DAY)
    for part in (head, tail):
        text = (Path(site.root) / part.lstrip("/")).read_bytes().decode("gb18030")
        assert RAIL in text, f"the replica's corpus changed: {RAIL} is not in {part} any more"
    crawl_site(engine, site, dates=(date(2024, 5, 6),))
    detect(engine, watchlist)  # the baseline
    routes = (Route("team"),)
    with ChatReceiver("wecom") as robot:
        settings = Settings(channels=(WecomChannel("team", robot.url),), routes=routes)
        # Two crawls stand in for one whose parts land in this order (a page with watched words may come first):
        # the late part fails in the first (retries included) and lands with the second, each followed by the
        # daemon's pass over what landed.
        late = tail if first == "head" else head
        site.fail(late, *["500"] * 5)
        landed_after = newest_article(engine)
        crawl_site(engine, site, dates=(DAY,))
        detect(engine, watchlist, routes=routes, landed_after=landed_after)  # the daemon's pass as articles land
        deliver_due(engine, settings)
        story_url, tail_url = site.url + head, site.url + tail
        before = sent_about(robot, story_url)

        landed_after = newest_article(engine)
        crawl_site(engine, site, dates=(DAY,))  # the other part arrives and is joined to its story
        second = detect(engine, watchlist, routes=routes, landed_after=landed_after)
        final = detect(engine, watchlist, routes=routes)  # the pass after the crawl
        deliver_due(engine, settings)
        after = sent_about(robot, story_url)

    alerts = [a for a in rail_alerts(engine) if a.story_url in (story_url, tail_url)]
    assert [a.story_url for a in alerts if a.rule == "new_mention"] == [story_url]  # one alert, under the head
    assert all(a.story_url == story_url for a in alerts)  # none for the continuation as a story of its own
    assert len(after) == len(alerts) == len(set(after))  # each sent once to the chat
    assert second.stories_processed == 1 and final.alerts == 0  # detected again when its part arrived
    with Session(engine) as session:
        alone = session.exec(select(Detection).where(Detection.story_url == tail_url)).first()
        joined = session.exec(select(Article.story_url).where(Article.url == tail_url)).one()
    assert joined == story_url  # the parts are one story
    assert alone is None  # the continuation was never detected alone
    if first == "head":
        # The head alerted as soon as it landed, and nothing it sent was sent again. (A fact the head shares with
        # another story of the same day may come now or with the continuation: which story of a batch is read
        # first decides whether the other's stage is "earlier"; either way it comes once.)
        assert any("新提及" in message for message in before) and set(before) <= set(after)
    else:
        assert not before  # the continuation waited for its head


def sent_about(robot: ChatReceiver, story_url: str) -> list[str]:
    return [r.text for r in robot.accepted() if story_url in r.text]


def newest_article(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.max(Article.id))).one() or 0)


def test_by_default_the_daemon_checks_every_minute_and_detects_landed_articles_every_five_seconds(engine: Engine):
    daemon = Daemon(engine, Settings(daemon=DaemonSettings()), WATCHLIST)
    daemon._add_jobs()

    assert daemon.scheduler.get_job("check").trigger.interval == timedelta(minutes=1)
    assert daemon.scheduler.get_job("land").trigger.interval == timedelta(seconds=5)


@pytest.mark.parametrize("head_arrives", ["never", "next crawl"])
def test_a_continuation_whose_head_fails_the_whole_crawl_alerts_once(
    engine: Engine, continued: tuple[ReplicaServer, Manifest, Watchlist], head_arrives: str
):
    """The daemon's final pass detects the continuation on its own (its head may never come); when the head
    arrives with a later crawl, the joined story adds nothing that was sent already."""
    site, manifest, watchlist = continued
    head, tail = parts_of(manifest, DAY)
    story_url, tail_url = site.url + head, site.url + tail
    crawl_site(engine, site, dates=(date(2024, 5, 6),))
    detect(engine, watchlist)  # the baseline
    with ChatReceiver("wecom") as robot:
        settings = Settings(channels=(WecomChannel("team", robot.url),), routes=(Route("team"),),
                            daemon=DaemonSettings(base_url=site.url, crawl_delay_seconds=0))  # fmt: skip
        daemon = Daemon(engine, settings, watchlist)
        daemon.land()  # at start: what is stored is the catch-up's
        request = CrawlRequest(base_url=site.url, dates=(DAY,), delay=0, concurrency=8, timeout=3, retries=2)
        site.fail(head, *["500"] * 5)  # the head fails, retries included, for the whole crawl
        daemon.crawl_and_detect(request)  # the crawl, then its final pass over everything
        alone = sent_about(robot, tail_url)
        if head_arrives == "next crawl":
            daemon.crawl_and_detect(request)
            daemon.land()
        sent = sent_about(robot, story_url) + sent_about(robot, tail_url)

    alerts = [a for a in rail_alerts(engine) if a.story_url in (story_url, tail_url) and a.rule == "new_mention"]
    assert [a.story_url for a in alerts] == [tail_url]  # one alert: the continuation's, sent when it came
    assert sum("新提及" in message for message in alone) == 1
    assert sent == alone  # nothing about the story was sent again when its head arrived
    with Session(engine) as session:
        joined = session.exec(select(Article.story_url).where(Article.url == tail_url)).one()
        stories = set(
            session.exec(select(Detection.story_url).where(col(Detection.story_url).in_([story_url, tail_url])))
        )
        listed = set(session.exec(select(Mention.story_url).where(Mention.watch_id == "rail",
                                                                  col(Mention.story_url).in_([story_url, tail_url]))))  # fmt: skip
    if head_arrives == "next crawl":
        assert joined == story_url and stories == listed == {story_url}  # one story now, listed once (mentions)
    else:
        assert joined in (None, tail_url) and stories == listed == {tail_url}


# -- two writers: an article committed after a newer one ---------------------------------------------------


def test_an_article_committed_after_a_newer_one_is_still_alerted_once(engine: Engine):
    """Two crawl nodes write to one PostgreSQL: the first takes the lower id but commits last. The land job
    reads it all the same, and nothing it sent is sent again while the window it re-reads moves on."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: its ids follow its commits")
    day = date(2024, 6, 3)
    store_story(engine, day - timedelta(days=1), 1, "招商引资", ["东立多晶硅项目签约落户。"])
    detect(engine, WATCHLIST)  # the baseline
    base = f"http://szb.example/shtml/szrb/{day:%Y%m%d}/"
    with session_scope(engine) as session:
        issue = articles.upsert_issue(session, day, base + "vA1.shtml")
        page = articles.upsert_page(session, issue, "A1", base + "vA1.shtml", "要闻", 0, [])
        where = (issue.id or 0, page.id or 0)
    later = [timedelta(0)]  # the daemon's clock runs on, and jumps ahead when the test says
    with ChatReceiver("wecom") as robot:
        settings = Settings(channels=(WecomChannel("team", robot.url),), routes=(Route("team"),))
        daemon = Daemon(engine, settings, WATCHLIST, clock=lambda: utcnow() + later[0])
        daemon.land()  # at start: what is stored is the catch-up's
        with session_scope(engine) as slow:  # node 1's batch: an id now, its commit later
            articles.save_article(slow, *where, story(base, 11, "朔州能源职业技术学院项目开工建设。"))
            with session_scope(engine) as quick:  # node 2's batch: a higher id, committed first
                articles.save_article(quick, *where, story(base, 12, "东立多晶硅项目一期工程投产。"))
            daemon.land()
            first = sent_texts(robot)
        for _ in range(4):  # the land job every few seconds, then for longer than any late commit could take
            later[0] += timedelta(seconds=50)
            daemon.land()
        sent = sent_texts(robot)

    with Session(engine) as session:
        alerted = [a.story_url[-8:] for a in session.exec(select(Alert).where(Alert.rule == "new_mention")).all()]
    assert sorted(alerted) == ["11.shtml", "12.shtml"]  # the late one too, once each
    assert first and all("东立多晶硅项目" in text for text in first)  # the quick one at once …
    assert sum("朔州能源职业技术学院项目" in text for text in sent) == 1  # … the late one after
    assert set(first) <= set(sent) and len(sent) == len(set(sent))  # nothing sent twice
    assert daemon.floor.after == newest_article(engine)  # the window re-read has moved past both


def story(base: str, number: int, paragraph: str) -> ArticleRecord:
    return ArticleRecord(url=f"{base}{number}.shtml", number=str(number), title=paragraph.rstrip("。"),
                         paragraphs=[paragraph], raw_paragraphs=[paragraph])  # fmt: skip


def sent_texts(robot: ChatReceiver) -> list[str]:
    return [r.text for r in robot.accepted()]
