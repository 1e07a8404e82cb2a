"""Operations with the token, over HTTP against a real ``szwatch web --token`` process on a copy of the archive:
watches edited in the user's own file, failed deliveries retried, a channel paused and resumed, a check asked for,
and the Atom feed — each write refused without the token and without the CSRF token."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from szwatch.app.settings import load_settings
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.alerts.outbox import delivery_for
from szwatch.monitor.detection.watchlist import EXAMPLE, load_watchlist
from szwatch.replica.sinks import WebhookReceiver
from szwatch.store import operations
from szwatch.store.db import open_store, session_scope
from szwatch.store.models import Alert, AlertDelivery, DeliveryStatus
from tests.app.web.conftest import Archive, WebServer

TOKEN = "ops-token-1"
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Site:
    server: WebServer
    db_url: str
    watchlist: Path
    settings: Path
    receiver: WebhookReceiver


@pytest.fixture(scope="module")
def site(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A copy of the archive whose first six alerts failed for good on a webhook (it answered 400), served with
    a token, the user's own copy of the watchlist and a settings file naming the webhook."""
    folder = tmp_path_factory.mktemp("ops")
    shutil.copy(archive.db_url.removeprefix("sqlite:///"), folder / "ops.db")
    db_url = f"sqlite:///{folder / 'ops.db'}"
    watchlist = folder / "watchlist.toml"
    shutil.copy(EXAMPLE, watchlist)
    with WebhookReceiver() as receiver:
        settings = folder / "settings.toml"
        settings.write_text(f'[[channel]]\nname = "team-hook"\ntype = "webhook"\nurl = "{receiver.url}"\n\n'
                            '[[route]]\nchannel = "team-hook"\ntags = ["能源"]\n', encoding="utf-8")  # fmt: skip
        engine = open_store(db_url)
        with session_scope(engine) as session:
            for alert in session.exec(select(Alert).order_by(Alert.id).limit(6)).all():
                session.add(delivery_for(alert, "team-hook"))
        receiver.answer(*[400] * 6)
        assert deliver_due(engine, load_settings(settings)).failed == 6
        engine.dispose()
        server = WebServer(db_url, "--token", TOKEN, "--watchlist", str(watchlist), "--config", str(settings))
        server.wait(headers={"Authorization": f"Bearer {TOKEN}"})
        yield Site(server, db_url, watchlist, settings, receiver)
        server.stop()


@pytest.fixture
def browser_like(site: Site) -> Iterator[httpx.Client]:
    """A client that logged in with ?token= once, as a browser does (the token is then an HttpOnly cookie)."""
    with httpx.Client(base_url=site.server.url, timeout=60) as client:
        assert client.get(f"/operations?token={TOKEN}", follow_redirects=True).status_code == 200
        yield client


def csrf_of(client: httpx.Client, path: str) -> str:
    """The CSRF token a page's forms carry."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def deliveries(site: Site) -> list[AlertDelivery]:
    engine = open_store(site.db_url)
    with Session(engine) as session:
        rows = list(session.exec(select(AlertDelivery).order_by(AlertDelivery.id)).all())
    engine.dispose()
    return rows


def test_writes_are_refused_without_the_token_or_the_csrf_token(site: Site, browser_like: httpx.Client):
    failed = [d.id for d in deliveries(site) if d.status == DeliveryStatus.FAILED]
    with httpx.Client(base_url=site.server.url, timeout=30) as stranger:
        assert stranger.post("/operations/retry", data={"one": str(failed[0])}).status_code == 403
    no_csrf = browser_like.post("/operations/retry", data={"one": str(failed[0])})
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text
    csrf_of(browser_like, "/alerts")
    wrong = browser_like.post("/operations/retry", data={"one": str(failed[0]), "csrf": "forged"})
    assert wrong.status_code == 403
    assert [d.id for d in deliveries(site) if d.status == DeliveryStatus.FAILED] == failed  # nothing changed


def test_the_read_only_view_still_refuses_every_write(web: WebServer):
    answer = httpx.post(f"{web.url}/operations/retry", data={"all": "1"})
    assert answer.status_code == 405
    assert "新增监测" not in httpx.get(f"{web.url}/watches").text
    assert httpx.get(f"{web.url}/watches/new").status_code == 403


def test_retry_one_then_all_of_a_channel_and_they_are_sent(site: Site, browser_like: httpx.Client):
    failed = [d.id for d in deliveries(site) if d.status == DeliveryStatus.FAILED]
    token = csrf_of(browser_like, "/alerts?status=failed")
    answer = browser_like.post("/operations/retry", data={"one": str(failed[0]), "csrf": token})
    assert answer.status_code == 303 and "重新排队 1 条" in httpx.URL(answer.headers["location"]).params["done"]
    states = {d.id: (d.status, d.attempts) for d in deliveries(site)}
    assert states[failed[0]] == (DeliveryStatus.PENDING, 0) and states[failed[1]][0] == DeliveryStatus.FAILED
    answer = browser_like.post("/operations/retry", data={"channel": "team-hook", "csrf": token})
    assert answer.status_code == 303
    assert all(d.status == DeliveryStatus.PENDING for d in deliveries(site))
    engine = open_store(site.db_url)
    before = len(site.receiver.accepted())
    assert deliver_due(engine, load_settings(site.settings)).sent == 6
    engine.dispose()
    assert len(site.receiver.accepted()) == before + 6
    trail = browser_like.get("/operations").text
    assert "requeued 1" in trail and "requeued 5" in trail and "token@127.0.0.1" in trail


def test_a_paused_channel_holds_its_alerts_and_sends_them_in_order_when_resumed(site: Site, browser_like: httpx.Client):
    engine = open_store(site.db_url)
    with session_scope(engine) as session:
        for alert in session.exec(select(Alert).order_by(Alert.id).offset(6).limit(3)).all():
            session.add(delivery_for(alert, "team-hook"))
    token = csrf_of(browser_like, "/operations")
    paused = browser_like.post("/operations/pause", data={"kind": "channel", "name": "team-hook", "action": "pause",
                                                          "csrf": token})  # fmt: skip
    assert paused.status_code == 303
    assert "已暂停" in browser_like.get("/operations").text
    before = len(site.receiver.accepted())
    report = deliver_due(engine, load_settings(site.settings))
    assert (report.sent, report.failed, report.retried) == (0, 0, 0) and len(site.receiver.accepted()) == before
    held = [d for d in deliveries(site) if d.status == DeliveryStatus.PENDING]
    assert len(held) == 3 and all(d.attempts == 0 for d in held)
    browser_like.post("/operations/pause", data={"kind": "channel", "name": "team-hook", "action": "resume",
                                                 "csrf": token})  # fmt: skip
    assert deliver_due(engine, load_settings(site.settings)).sent == 3
    engine.dispose()
    sent = [r.json()["alerts"][0]["id"] for r in site.receiver.accepted()[before:]]
    assert sent == sorted(d.alert_id for d in held)


def test_check_now_is_left_in_the_store_for_the_daemon(site: Site, browser_like: httpx.Client):
    token = csrf_of(browser_like, "/operations")
    assert browser_like.post("/operations/check", data={"source": "szrb", "csrf": token}).status_code == 303
    assert browser_like.post("/operations/check", data={"source": "szrb", "csrf": token}).status_code == 303
    assert browser_like.post("/operations/check", data={"source": "nope", "csrf": token}).status_code == 400
    engine = open_store(site.db_url)
    with session_scope(engine) as session:
        assert operations.take_checks(session, ["szrb"]) == ["szrb"]  # one request however often clicked
        assert operations.take_checks(session, ["szrb"]) == []
    engine.dispose()


def test_a_watch_is_previewed_refused_with_its_line_saved_paused_and_deleted(site: Site, browser_like: httpx.Client):
    original = site.watchlist.read_text(encoding="utf-8")
    token = csrf_of(browser_like, "/watches/new")
    digest = load_watchlist(site.watchlist).digest
    fields = {"csrf": token, "digest": digest, "original": "", "kind": "project", "id": "pingshuo-group",
              "name": "平朔集团", "aliases": "中煤平朔集团、平朔公司", "tags": "能源"}  # fmt: skip
    preview = browser_like.post("/watches/preview", data=fields)
    assert preview.status_code == 200 and 'id="preview-hits"' in preview.text and "平朔" in preview.text
    assert site.watchlist.read_text(encoding="utf-8") == original  # a preview writes nothing
    bad = browser_like.post("/watches/save", data=fields | {"id": "gdp"})
    assert bad.status_code == 400
    assert re.search(r"watchlist\.toml:\d+: id: duplicate id &#39;gdp&#39;", bad.text)
    saved = browser_like.post("/watches/save", data=fields)
    assert saved.status_code == 303
    text = site.watchlist.read_text(encoding="utf-8")
    assert text.startswith(original.split("[[project]]")[0])  # the comments at the top are kept
    assert '[[project]]\nid = "pingshuo-group"\nname = "平朔集团"\naliases = ["中煤平朔集团", "平朔公司"]' in text
    assert load_watchlist(site.watchlist).get("pingshuo-group") is not None
    stale = browser_like.post("/watches/save", data=fields | {"original": "pingshuo-group", "name": "平朔"})
    assert stale.status_code == 400 and "changed since this form was opened" in stale.text
    new_digest = load_watchlist(site.watchlist).digest
    paused = browser_like.post("/watches/pingshuo-group/pause", data={"csrf": token, "digest": new_digest,
                                                                     "action": "pause"})  # fmt: skip
    assert paused.status_code == 303
    reread = load_watchlist(site.watchlist)
    assert reread.get("pingshuo-group") is None and [w.id for w in reread.paused] == ["pingshuo-group"]
    assert "已暂停" in browser_like.get("/watches").text
    gone = browser_like.post("/watches/pingshuo-group/delete", data={"csrf": token, "digest": reread.digest})
    assert gone.status_code == 303
    assert site.watchlist.read_text(encoding="utf-8") == original  # back to the user's file, byte for byte
    trail = browser_like.get("/operations").text
    assert "added project pingshuo-group" in trail and "deleted project pingshuo-group" in trail


def test_the_atom_feed_per_route_and_tag(site: Site):
    with httpx.Client(base_url=site.server.url, timeout=30) as reader:
        assert reader.get("/feed.atom").status_code == 401
        everything = reader.get("/feed.atom", params={"token": TOKEN})
        by_route = reader.get("/feed.atom", params={"token": TOKEN, "route": "team-hook/instant"})
        by_tag = reader.get("/feed.atom", params={"tag": "宏观"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert everything.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(everything.content)
    entries = feed.findall(f"{ATOM}entry")
    assert feed.tag == f"{ATOM}feed" and feed.find(f"{ATOM}title") is not None and len(entries) > 9
    for entry in entries:
        assert entry.find(f"{ATOM}id") is not None and entry.find(f"{ATOM}title").text  # type: ignore[union-attr]
        assert entry.find(f"{ATOM}updated").text.endswith("+08:00")  # type: ignore[union-attr]
        assert entry.find(f"{ATOM}link").get("href", "").startswith("http")  # type: ignore[union-attr]
    routed = ET.fromstring(by_route.content).findall(f"{ATOM}entry")
    assert len(routed) == 9  # the nine alerts given to team-hook above
    tagged = ET.fromstring(by_tag.content).findall(f"{ATOM}entry")
    assert tagged and all("宏观" in [c.get("term") for c in e.findall(f"{ATOM}category")] for e in tagged)
