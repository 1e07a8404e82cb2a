"""A page is named as it is printed. Founder's classic system (大同日报) calls its pages by node id — node_2 is
第01版 — so the alert, the ``szwatch mentions`` rows, the web issue, article and search pages and the JSON API say
第01版, never 第2版; the 朔州日报's own codes (A1) are what it prints and stay."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.app.settings import load_settings
from szwatch.crawler.profile import load_profile
from szwatch.crawler.run import date_range
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.build import Manifest, ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.replica.sinks import ChatReceiver
from szwatch.store.db import open_store
from szwatch.store.findings.finding_reads import mention_rows
from szwatch.store.models import Article, Issue, Page
from tests.app.web.conftest import WebServer
from tests.conftest import crawl_site

WATCHLIST = load_watchlist()


def crawl_replica(engine: Engine, root: Path, spec: ReplicaSpec, profile: str) -> Manifest:
    """One week of a paper's replica on localhost, crawled whole with the paper's bundled profile."""
    manifest = build_replica(root, spec)
    with ReplicaServer(root, hang_seconds=4) as site:
        report = crawl_site(engine, site, profile=profile, dates=date_range(manifest.dates[0], manifest.dates[-1]))
    assert report.status == "ok", report.groups
    return manifest


@dataclass
class Founder:
    db_url: str
    chats: list[str]  # what the team's 企业微信 robot received


@pytest.fixture(scope="module")
def founder(tmp_path_factory: pytest.TempPathFactory) -> Founder:
    """The 大同日报 replica on Founder's classic system, crawled and scanned, its alerts sent to a local robot."""
    root = tmp_path_factory.mktemp("founder-node")
    db_url = f"sqlite:///{root / 'szwatch.db'}"
    engine = open_store(db_url)
    spec = ReplicaSpec(family="founder-node", code="dtrb", name=load_profile("dtrb").name, weeks=1)
    crawl_replica(engine, root / "site", spec, "dtrb")
    chat.LIMITER.reset()
    with ChatReceiver("wecom") as wecom:
        (root / "settings.toml").write_text(f'[[channel]]\ntype = "wecom"\nname = "wecom"\nurl = "{wecom.url}"\n'
                                            '[[route]]\nchannel = "wecom"\n', encoding="utf-8")  # fmt: skip
        settings = load_settings(root / "settings.toml")
        detect(engine, WATCHLIST, routes=settings.routes, alert_existing=True, max_age_days=0)
        deliver_due(engine, settings, {w.id: w.name for w in WATCHLIST.watches})
        chats = [m.text for m in wecom.accepted()]
    engine.dispose()
    return Founder(db_url, chats)


def test_the_replica_node_ids_are_not_the_printed_numbers(founder: Founder):
    engine = open_store(founder.db_url)
    with Session(engine) as session:
        pages = {(p.code, p.number) for p in session.exec(select(Page)).all()}
    engine.dispose()

    assert ("2", 1) in pages and all(code != str(number) for code, number in pages)


def test_a_chat_alert_names_the_printed_page(founder: Founder):
    assert any("第01版" in text for text in founder.chats)
    assert not any(f"第{node}版" in text for text in founder.chats for node in ("2", "3", "4", "5"))


def test_mentions_rows_name_the_printed_page(founder: Founder):
    assert mentioned_pages(founder.db_url) <= {"01", "02", "03", "04"}


def test_the_issue_and_article_pages_head_with_the_printed_number(founder: Founder):
    engine = open_store(founder.db_url)
    with Session(engine) as session:
        article, day = session.exec(
            select(Article.id, Issue.issue_date).join(Issue).join(Page).where(Page.code == "2")
        ).first() or (None, None)
    engine.dispose()
    server = WebServer(founder.db_url).wait()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            issue = client.get(f"/issues/{day}", params={"paper": "dtrb"}).text
            page = client.get(f"/articles/{article}").text
    finally:
        server.stop()

    assert '<h2 lang="zh-CN">01' in issue and '<h2 lang="zh-CN">2 ' not in issue
    assert '#page-2">01' in page  # the link still finds the page on the issue page


def test_search_results_and_the_api_name_the_printed_page(founder: Founder):
    engine = open_store(founder.db_url)
    with Session(engine) as session:
        article, title, day = session.exec(
            select(Article.id, Article.title, Issue.issue_date).join(Issue).join(Page).where(Page.code == "2")
        ).first() or (None, "", None)
    engine.dispose()
    server = WebServer(founder.db_url).wait()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            found = client.get("/api/search", params={"q": title, "paper": "dtrb"}).json()["results"]
            shown = client.get("/search", params={"q": title, "paper": "dtrb"}).text
            pages = client.get(f"/api/issues/{day}", params={"paper": "dtrb"}).json()["pages"]
    finally:
        server.stop()

    hit = next(h for h in found if h["article_id"] == article)
    assert (hit["page"], hit["page_label"]) == ("2", "01")  # the code still filters; the label is what a reader knows
    assert '<span class="page">01' in shown and '<span class="page">2' not in shown
    assert all(p["label"] == f"{int(p['label']):02d}" != p["code"] for p in pages)  # 01, 02 …: never node ids
    assert {"code": "2", "label": "01"}.items() <= next(p for p in pages if p["code"] == "2").items()


def test_szrb_keeps_its_own_page_codes(tmp_path: Path):
    engine = open_store(f"sqlite:///{tmp_path / 'szwatch.db'}")
    crawl_replica(engine, tmp_path / "site", ReplicaSpec(weeks=1), "szrb")
    detect(engine, WATCHLIST, alert_existing=True, max_age_days=0)
    engine.dispose()

    assert mentioned_pages(f"sqlite:///{tmp_path / 'szwatch.db'}") <= {"A1", "A2", "A3", "A4"}


def mentioned_pages(db_url: str) -> set[str]:
    """The pages ``szwatch mentions`` names (the rows it prints and exports)."""
    engine = open_store(db_url)
    with Session(engine) as session:
        pages = {row["page"] for row in mention_rows(session)}
    engine.dispose()
    assert pages
    return pages
