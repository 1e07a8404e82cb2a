"""One paper, two sites: 朔州日报 on its old /shtml/ site and on its new e-paper system. Both profiles name the
same paper, so an issue stored from one site is not stored (nor detected, nor alerted) again from the other."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from szwatch.crawler.profile import DEFAULT_PROFILE
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.build import ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.replica.sinks import WebhookReceiver
from szwatch.store.articles import alternate_urls
from szwatch.store.db import open_store
from szwatch.store.models import Article, Issue, Page
from szwatch.store.queries import issue_view
from tests.conftest import crawl_site

DAY, NEXT = date(2024, 5, 7), date(2024, 5, 8)


@pytest.fixture(scope="module")
def new_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicaServer]:
    root = tmp_path_factory.mktemp("epaper")
    build_replica(root, ReplicaSpec(family="html-page", code="szrb"))  # the same issues, on the new system
    with ReplicaServer(root) as server:
        yield server


def articles(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Article)).one()


def test_an_issue_from_the_old_site_is_not_stored_again_from_the_new_one(
    engine: Engine, site: ReplicaServer, new_site: ReplicaServer
):
    new_site.reset()
    old = crawl_site(engine, site, dates=(DAY,))  # profile szrb: the old site
    first = detect(engine, load_watchlist())
    stored = articles(engine)

    new = crawl_site(engine, new_site, profile="szrb-epaper", dates=(DAY, NEXT))

    assert old.status == new.status == "ok"
    assert new.stats["issues_skipped_complete"] == 1  # 7 May: already complete from the old site
    assert not any(DAY.strftime("%Y%m%d") in path for path in new_site.hits)  # not one request for it
    with Session(engine) as session:
        issues = session.exec(select(Issue).order_by(Issue.issue_date)).all()
    assert [(i.source, i.issue_date, i.url.startswith(new_site.url)) for i in issues] == [
        ("szrb", DAY, False), ("szrb", NEXT, True)  # one paper; 8 May came from the new site
    ]  # fmt: skip
    again = detect(engine, load_watchlist())
    assert first.stories_processed > 0 and articles(engine) > stored
    assert again.stories_processed == articles(engine) - stored - 1  # only 8 May's stories (one continued story)


def test_the_page_as_printed_is_stored_with_the_page_and_linked_from_alerts(engine: Engine, new_site: ReplicaServer):
    from szwatch.monitor.alerts.messages import alert_dict, text_body
    from szwatch.store.models import Alert, Page

    crawl_site(engine, new_site, profile="szrb-epaper", dates=(DAY,))
    detect(engine, load_watchlist(), alert_existing=True)

    with Session(engine) as session:
        pages = session.exec(select(Page).order_by(Page.seq)).all()
        alerts = session.exec(select(Alert)).all()
    front = pages[0]
    assert front.code == "01" and front.pdf_url == f"{new_site.url}/attachement/szrb/20240507/page_01.pdf"
    assert front.image_url == f"{new_site.url}/images/szrb/20240507/page_01.jpg"
    assert alerts and all(a.page_print_url and a.page_print_url.endswith(".pdf") for a in alerts)
    first = alerts[0]
    assert alert_dict(first)["story"]["page_print_url"] == first.page_print_url
    assert f"版面原样 {first.page_print_url}" in text_body([first])


def test_a_backfill_takes_each_date_from_the_site_that_serves_it(
    db_url: str, site: ReplicaServer, new_site: ReplicaServer, tmp_path: Path
):
    """The old site holds the archive until 8 May, the new one what came after: one command, each date once."""
    old_profile = tmp_path / "szrb-old.toml"
    old_profile.write_text(DEFAULT_PROFILE.read_text(encoding="utf-8").replace(
        'id = "szrb"\n', 'id = "szrb-old"\npaper = "szrb"\nserves_until = "2024-05-08"\n', 1), encoding="utf-8")  # fmt: skip
    new_profile = tmp_path / "szrb-new.toml"
    new_profile.write_text('[source]\nid = "szrb-new"\npaper = "szrb"\nfamily = "html-page"\ncode = "szrb"\n'
                           'name = "朔州日报"\ncity = "朔州"\nbase_url = "http://epaper.example"\n'
                           'timezone = "Asia/Shanghai"\nserves_from = "2024-05-09"\n', encoding="utf-8")  # fmt: skip
    config = tmp_path / "settings.toml"
    config.write_text(f'[[source]]\nprofile = "{old_profile}"\nbase_url = "{site.url}"\n'
                      f'[[source]]\nprofile = "{new_profile}"\nbase_url = "{new_site.url}"\n', encoding="utf-8")  # fmt: skip
    new_site.reset()

    done = subprocess.run([sys.executable, "-m", "szwatch", "--quiet", "crawl", "--paper", "szrb", "--from",
                           "2024-05-07", "--to", "2024-05-10", "--delay", "0", "--config", str(config), "--db", db_url],
                          capture_output=True, text=True, timeout=180)  # fmt: skip

    assert done.returncode == 0, done.stderr
    with Session(open_store(db_url)) as session:
        issues = session.exec(select(Issue).order_by(Issue.issue_date)).all()
    from_new = [i.url.startswith(new_site.url) for i in issues]
    assert [(i.source, i.issue_date.day, i.status) for i in issues] == [("szrb", d, "complete") for d in (7, 8, 9, 10)]
    assert from_new == [False, False, True, True]
    assert not any("20240507" in p or "20240508" in p for p in new_site.hits)  # the new site was not asked for them


def test_an_issue_half_on_each_site_is_one_set_of_articles_with_both_urls_and_one_alert_each(
    engine: Engine, site: ReplicaServer, new_site: ReplicaServer, webhook: WebhookReceiver
):
    """The old site loses page 3 of 7 May, the new one page 2: between them the issue is whole. An article both
    served is stored once, under the old site's URL with the new one kept beside it; nothing is alerted twice."""
    from szwatch.app.settings import Route, Settings
    from szwatch.monitor.alerts.channels.webhook import WebhookChannel
    from szwatch.monitor.alerts.deliver import deliver_due

    new_site.reset()
    site.fail("/shtml/szrb/20240507/vA3.shtml", *["500"] * 4)
    new_site.fail("/szrb/20240507/html/page_02.htm", *["500"] * 4)
    settings = Settings(channels=(WebhookChannel(name="hook", url=webhook.url, timeout=2),),
                        routes=(Route(channel="hook"),))  # fmt: skip
    watchlist = load_watchlist()

    old = crawl_site(engine, site, dates=(DAY,))
    detect(engine, watchlist, routes=settings.routes, alert_existing=True)
    first = deliver_due(engine, settings)
    new = crawl_site(engine, new_site, profile="szrb-epaper", dates=(DAY,))
    detect(engine, watchlist, routes=settings.routes, alert_existing=True)
    second = deliver_due(engine, settings)

    assert old.stats["issues_incomplete"] == new.stats["issues_incomplete"] == 1  # each site alone lacks a page
    assert new.stats["articles_from_other_site"] > 0 and new.stats["articles_new"] > 0
    with Session(engine) as session:
        stored = session.exec(select(Article).order_by(Article.id)).all()
        pages = {p.id: p for p in session.exec(select(Page)).all()}
        others = {a.id: alternate_urls(session, a.id or 0) for a in stored}
    on_page = {a.url: pages[a.page_id].number for a in stored}
    assert sorted({n for n in on_page.values()}) == [1, 2, 3, 4]  # the whole issue, four pages, not eight
    assert len(pages) == 4
    stories = [(a.title, a.text) for a in stored]
    assert len(stories) == len(set(stories)) == len(_day_articles(site))  # each article once, none missing
    for article in stored:
        mine, theirs = article.url.startswith(site.url), others[article.id]
        if on_page[article.url] == 3:  # only the new site served page 3
            assert not mine and theirs == []
        elif on_page[article.url] == 2:  # only the old one served page 2
            assert mine and theirs == []
        else:  # both: the old site's URL first, the new site's beside it
            assert mine and len(theirs) == 1 and theirs[0].startswith(new_site.url)
    with Session(engine) as session:  # the issue page: each article once on its page, under its first URL
        view = issue_view(session, DAY)
    assert view is not None and len(view.pages) == 4
    for page in view.pages:
        ids = [line["id"] for line in page.articles]
        assert None not in ids and len(ids) == len(set(ids))
    assert {line["id"] for page in view.pages for line in page.articles} == {a.id for a in stored}
    sent = [a for request in webhook.requests for a in request.json()["alerts"]]
    assert first.sent and second.sent and len(sent) == len({a["dedupe_key"] for a in sent})
    told = [(a["rule"], a["watch_id"], a["story"]["title"]) for a in sent]
    assert len(told) == len(set(told))  # no story alerted twice, whichever site it came from

    again = crawl_site(engine, new_site, profile="szrb-epaper", dates=(DAY,))  # the new site's page 2 is back
    assert 0 < again.stats["article_requests"] <= len([u for u in on_page if on_page[u] == 2])
    assert again.stats["articles_new"] == 0 and again.stats["issues_complete"] == 1
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Article)).one() == len(stories)


def _day_articles(site: ReplicaServer) -> list[Path]:
    return list((site.root / "shtml" / "szrb" / "20240507").glob("[0-9]*.shtml"))
