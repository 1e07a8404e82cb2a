"""Several papers are watched, so every alert names its paper: 《山西日报》2024-05-07 第A1版 in mail, in the webhook
body and in every chat, in Chinese, English and both — checked on what real local receivers got."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from szwatch.app.settings import Settings, load_settings
from szwatch.app.source_health import paper_names
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.replica.sinks import ChatReceiver, MailCatcher, WebhookReceiver
from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import session_scope
from tests.monitor.alerts.test_alerts import NAMES, WATCHLIST, baseline

DAY = date(2024, 5, 7)


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    chat.LIMITER.reset()
    chat._progress.clear()


def store_provincial_story(engine: Engine) -> None:
    """A 山西日报 story on its page A1 that names a watched project."""
    base = f"http://epaper.sxrb.example/shtml/sxrb/{DAY:%Y%m%d}/"
    body = ["朔州市东立多晶硅项目今日开工建设，项目总投资120亿元。"]
    with session_scope(engine) as session:
        issue = articles.upsert_issue(session, DAY, base + "vA1.shtml", "sxrb")
        page = articles.upsert_page(session, issue, "A1", base + "vA1.shtml", "要闻", 0, [base + "1.shtml"])
        record = ArticleRecord(url=base + "1.shtml", number="1", title="全省重点项目集中开工", paragraphs=body,
                               raw_paragraphs=body)  # fmt: skip
        articles.save_article(session, issue.id or 0, page.id or 0, record)


def all_channels(tmp_path: Path, hook: WebhookReceiver, mail: MailCatcher, wecom: ChatReceiver, feishu: ChatReceiver,
                 language: str) -> Settings:  # fmt: skip
    lines = [
        "[[channel]]", 'type = "webhook"', 'name = "hook"', f'url = "{hook.url}"',
        "[[channel]]", 'type = "email"', 'name = "mail"', 'host = "127.0.0.1"', f"port = {mail.port}",
        'from = "szwatch@localhost"', 'to = ["team@localhost"]', 'security = "none"',
        "[[channel]]", 'type = "wecom"', 'name = "wecom"', f'url = "{wecom.url}"',
        "[[channel]]", 'type = "feishu"', 'name = "feishu"', f'url = "{feishu.url}"',
        *(line for name in ("hook", "mail", "wecom", "feishu") for line in ("[[route]]", f'channel = "{name}"')),
        "[alerts]", f'language = "{language}"',
    ]  # fmt: skip
    path = tmp_path / "settings.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_settings(path)


@pytest.mark.parametrize("language", ["zh", "en", "zh-en"])
def test_every_channel_names_the_paper_of_the_story(engine: Engine, tmp_path: Path, webhook: WebhookReceiver,
                                                    mail: MailCatcher, language: str):  # fmt: skip
    with ChatReceiver("wecom") as wecom, ChatReceiver("feishu") as feishu:
        settings = all_channels(tmp_path, webhook, mail, wecom, feishu, language)
        baseline(engine)
        store_provincial_story(engine)
        report = detect(engine, WATCHLIST, routes=settings.routes, papers=paper_names(settings))
        delivered = deliver_due(engine, settings, NAMES)
        chats = [m.text for m in wecom.accepted() + feishu.accepted()]

    assert report.alerts == 1 and delivered.sent == 4 and delivered.failed == 0
    where = "《山西日报》2024-05-07 " + ("page A1" if language == "en" else "第A1版")
    [(_, message)] = mail.messages
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert where in plain.get_content() and where in html.get_content()
    assert chats and all(where in text for text in chats)
    [request] = webhook.requests
    assert request.json()["alerts"][0]["story"]["paper"] == "山西日报"


def test_the_paper_name_comes_from_the_profiles_bundled_and_configured():
    names = paper_names(Settings())
    assert (names["szrb"], names["sxrb"], names["sxjjrb"]) == ("朔州日报", "山西日报", "山西经济日报")
