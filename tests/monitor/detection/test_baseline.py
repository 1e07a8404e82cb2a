"""Baseline and age: the first detection is silent, a backfill is archive work, alerts keep their watch's name."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.server import ReplicaServer
from szwatch.replica.sinks import WebhookReceiver
from szwatch.store.models import Alert, WatchBaseline
from tests.app.test_cli import szwatch
from tests.conftest import crawl_site, store_story
from tests.monitor.alerts.test_alerts import WATCHLIST, hook_settings

TWO_PROJECTS = """
[[project]]
id = "dongli-polysilicon"
name = "东立多晶硅项目"
tags = ["新能源"]
"""
RENAMED = """
[[project]]
id = "dongli-polysilicon"
name = "东立高纯多晶硅项目（更名）"
aliases = ["东立多晶硅项目"]
tags = ["改名后"]

[[project]]
id = "jidayuan-hsr"
name = "集大原高铁"
tags = ["交通"]
"""


def all_alerts(engine: Engine) -> list[Alert]:
    with Session(engine) as session:
        return list(session.exec(select(Alert).where(Alert.audience == "user").order_by(Alert.id)).all())


def test_first_detection_on_a_crawled_archive_is_silent_then_a_new_issue_alerts(
    engine: Engine, site: ReplicaServer, webhook: WebhookReceiver, tmp_path: Path
):
    db_url = engine.url.render_as_string(hide_password=False)
    config = tmp_path / "settings.toml"
    config.write_text(f'[[channel]]\ntype = "webhook"\nname = "hook"\nurl = "{webhook.url}"\ntimeout = 2\n'
                      '[[route]]\nchannel = "hook"\n', encoding="utf-8")  # fmt: skip
    crawl_site(engine, site, dates=(date(2024, 5, 6), date(2024, 5, 7), date(2024, 5, 8)))

    first = szwatch("detect", "--config", str(config), db_url=db_url)
    silent = szwatch("deliver", "--config", str(config), db_url=db_url)
    before = len(webhook.requests)
    crawl_site(engine, site, dates=(date(2024, 5, 9),))
    second = szwatch("detect", "--config", str(config), "--json", db_url=db_url)
    sent = szwatch("deliver", "--config", str(config), db_url=db_url)

    watches = len(WATCHLIST.watches)
    assert first.returncode == 0, first.stderr
    assert (
        f"findings; baseline for {watches} new watches (stories stored so far raise no alerts for them), no alerts "
        "raised" in first.stdout
    )
    assert silent.returncode == 0 and before == 0 and all_alerts(engine)[-1].issue_date == date(2024, 5, 9)
    report = json.loads(second.stdout)
    assert report["baselined"] == [] and report["alerts"] > 0 and sent.returncode == 0
    raised = all_alerts(engine)
    assert len(raised) == report["alerts"] == len(webhook.accepted())
    assert {a.issue_date for a in raised} == {date(2024, 5, 9)}  # only the issue stored after the baseline


def test_a_watch_added_later_gets_its_own_silent_baseline(engine: Engine, tmp_path: Path):
    small, large = tmp_path / "small.toml", tmp_path / "large.toml"
    small.write_text(TWO_PROJECTS, encoding="utf-8")
    large.write_text(RENAMED, encoding="utf-8")
    store_story(engine, date(2024, 5, 6), 1, "旧闻", ["东立多晶硅项目开工建设。", "集大原高铁加快建设。"])
    detect(engine, load_watchlist(small))  # baseline of dongli only
    store_story(engine, date(2024, 5, 7), 2, "新闻", ["东立多晶硅项目建成投产。", "集大原高铁联调联试。"])

    added = detect(engine, load_watchlist(large), rescan=True)
    store_story(engine, date(2024, 5, 8), 3, "又一条", ["集大原高铁开通运营。"])
    later = detect(engine, load_watchlist(large))

    assert added.baselined == ["jidayuan-hsr"]
    by_story = {(a.watch_id, a.issue_date) for a in all_alerts(engine)}
    assert ("dongli-polysilicon", date(2024, 5, 7)) in by_story  # stored after dongli's baseline: news
    assert ("jidayuan-hsr", date(2024, 5, 7)) not in by_story  # stored before jidayuan's baseline: silent
    assert not {("jidayuan-hsr", date(2024, 5, 6)), ("dongli-polysilicon", date(2024, 5, 6))} & by_story
    now = {(a.watch_id, a.issue_date) for a in all_alerts(engine)}
    assert later.alerts >= 1 and ("jidayuan-hsr", date(2024, 5, 8)) in now
    with Session(engine) as session:
        assert {b.watch_id for b in session.exec(select(WatchBaseline)).all()} == {"dongli-polysilicon", "jidayuan-hsr"}


def test_backfill_of_old_issues_never_alerts_unless_asked(engine: Engine):
    store_story(engine, date(2024, 5, 9), 1, "今日", ["市区天气晴好。"])
    detect(engine, WATCHLIST)  # baseline
    store_story(engine, date(2024, 3, 1), 2, "三月旧闻", ["东立多晶硅项目开工建设。"])  # a backfill, stored after it
    store_story(engine, date(2024, 5, 3), 3, "上周", ["集大原高铁联调联试。"])  # six days older: still news

    report = detect(engine, WATCHLIST, max_age_days=7)

    assert (report.alerts, report.held_back_age) == (1, 1)
    assert [(a.watch_id, a.issue_date) for a in all_alerts(engine)] == [("jidayuan-hsr", date(2024, 5, 3))]
    unlimited = detect(engine, WATCHLIST, rescan=True, max_age_days=0)
    assert unlimited.alerts == 1 and all_alerts(engine)[-1].issue_date == date(2024, 3, 1)


def test_alert_existing_opts_in_on_a_new_database(engine: Engine, tmp_path: Path):
    db_url = engine.url.render_as_string(hide_password=False)
    store_story(engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设。"])
    store_story(engine, date(2024, 1, 7), 2, "旧闻", ["集大原高铁联调联试。"])

    result = szwatch("detect", "--alert-existing", db_url=db_url)

    assert result.returncode == 0, result.stderr
    assert {a.watch_id for a in all_alerts(engine)} == {"dongli-polysilicon", "jidayuan-hsr"}
    assert "2 alerts raised" in result.stdout
    assert "new watches alerted on stories already stored (--alert-existing: no baseline), 2 alerts raised" in (
        result.stdout
    )  # not "baseline for 18 new watches, 2 alerts raised", which reads as a contradiction
    assert result.stderr.count("no channel is configured") == 1  # said once, not once per alert


def test_alerts_keep_the_watch_name_and_tags_they_were_raised_with(
    engine: Engine, webhook: WebhookReceiver, tmp_path: Path
):
    small, large = tmp_path / "small.toml", tmp_path / "large.toml"
    small.write_text(TWO_PROJECTS, encoding="utf-8")
    large.write_text(RENAMED, encoding="utf-8")
    store_story(engine, date(2024, 5, 6), 1, "旧闻", ["市区天气晴好。"])
    detect(engine, load_watchlist(small))
    store_story(engine, date(2024, 5, 7), 2, "新闻", ["东立多晶硅项目开工建设。"])
    settings = hook_settings(webhook)
    detect(engine, load_watchlist(small), routes=settings.routes)

    renamed = {w.id: w.name for w in load_watchlist(large).watches}  # the watchlist at hand has changed since
    deliver_due(engine, settings, renamed)
    listed = szwatch("alerts", "--json", db_url=engine.url.render_as_string(hide_password=False))
    table = szwatch("alerts", db_url=engine.url.render_as_string(hide_password=False))

    [sent] = webhook.requests[0].json()["alerts"]
    assert (sent["watch_name"], sent["tags"]) == ("东立多晶硅项目", ["新能源"])
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["watch_name"], row["tags"]) == ("东立多晶硅项目", ["新能源"])
    assert "东立多晶硅项目 (新能源)" in table.stdout


def test_upgrading_a_database_that_had_detections_raises_nothing(engine: Engine):
    from alembic import command
    from alembic.config import Config

    from szwatch.store.db import MIGRATIONS

    store_story(engine, date(2024, 5, 6), 1, "旧闻", ["东立多晶硅项目开工建设。"])
    detect(engine, WATCHLIST, alert_existing=True)  # as the old rules did: the first detection alerted
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")  # the database as it was before this change
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    store_story(engine, date(2024, 5, 7), 2, "新闻", ["东立多晶硅项目建成投产。"])
    report = detect(engine, WATCHLIST)

    with Session(engine) as session:
        baselines = {b.watch_id: b.last_article_id for b in session.exec(select(WatchBaseline)).all()}
    assert "dongli-polysilicon" in baselines  # a watch with findings before the upgrade keeps alerting …
    assert ("dongli-polysilicon", date(2024, 5, 7)) in {(a.watch_id, a.issue_date) for a in all_alerts(engine)}
    assert set(report.baselined) == {w.id for w in WATCHLIST.watches} - {"dongli-polysilicon"}  # … others: baseline now
