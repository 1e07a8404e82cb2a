"""``szwatch demo``: the whole job, offline, on the bundled replica of the paper.

Builds the replica in a work folder, serves it on a free localhost port, crawls every date of it plus the
latest issue into a fresh SQLite database, shows what landed, then runs detection with the example
watchlist and shows what it found, and finally delivers the alerts to a webhook receiver and an SMTP
server it starts on localhost, and shows what they received. Nothing here is demo-only logic: it
calls the same library functions as ``szwatch crawl`` and ``szwatch search``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from szwatch.app import cli_text as render
from szwatch.app.settings import Route, Settings
from szwatch.app.sinks import MailCatcher, WebhookReceiver
from szwatch.crawler.replica.build import build_replica
from szwatch.crawler.replica.server import ReplicaServer
from szwatch.crawler.run import CrawlRequest, crawl, date_range
from szwatch.monitor.alerts.channels.email import EmailChannel
from szwatch.monitor.alerts.channels.webhook import WebhookChannel
from szwatch.monitor.alerts.deliver import DeliveryReport, deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.store import detections
from szwatch.store.db import open_store, session_scope
from szwatch.store.search import search

SAMPLE_QUERIES = ("多晶硅", "烯烃")
WEB_URL = "http://127.0.0.1:8080/"


def run_demo(workdir: Path, echo: Callable[[str], None]) -> int:
    workdir = workdir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    manifest = build_replica(workdir / "replica")
    db_url = demo_db_url(workdir)
    engine = open_store(db_url)
    echo(f"replica: {len(manifest.dates)} issues, {manifest.pages} pages, {manifest.articles} articles")
    with ReplicaServer(workdir / "replica") as site:
        echo(f"serving the replica at {site.url}; crawling into {db_url}")
        days = date_range(min(manifest.dates), max(manifest.dates + manifest.missing))
        report = crawl(CrawlRequest(latest=True, dates=days, base_url=site.url, delay=0, concurrency=8), engine)
    echo(render.crawl_summary(report))
    with session_scope(engine) as session:
        for query in SAMPLE_QUERIES:
            hits = search(session, query, limit=3)
            echo(f"\nszwatch search {query}  ({len(hits)} shown)")
            echo(render.hits_table(hits) if hits else "  (nothing)")
    watchlist = load_watchlist()
    with WebhookReceiver() as hook, MailCatcher() as mail:
        settings = demo_settings(hook.url, mail.port)
        echo(f"\nszwatch detect  (watchlist: {watchlist.path.name}, {len(watchlist.watches)} watches)")
        echo(render.detect_summary(detect(engine, watchlist, routes=settings.routes)))
        names = {w.id: w.name for w in watchlist.watches}
        echo(f"\nszwatch deliver  (webhook {hook.url}, SMTP 127.0.0.1:{mail.port}, started for the demo)")
        echo(render.delivery_summary(_quiet(deliver_all(engine, settings, names))))
        _show_received(hook, mail, echo)
    with session_scope(engine) as session:
        mentions = list(detections.mention_rows(session, "dongli-polysilicon"))[:3]
        gdp = list(detections.observation_rows(session, "gdp"))
    echo("\nszwatch mentions dongli-polysilicon  (first 3)")
    echo(render.mentions_table(mentions))
    echo("\nszwatch indicators gdp")
    echo(render.indicators_table(gdp))
    echo(f"\ntry: szwatch --db {db_url} search 集大原   |   szwatch --db {db_url} indicators fai"
         f"   |   szwatch --db {db_url} alerts")  # fmt: skip
    echo(f"web view: szwatch --db {db_url} web   then open {WEB_URL}watches/gdp   (or: szwatch demo --web)")
    return report.exit_code


def demo_db_url(workdir: Path) -> str:
    return f"sqlite:///{workdir.resolve() / 'demo.db'}"


def demo_settings(webhook_url: str, smtp_port: int) -> Settings:
    """Every alert to the webhook at once; a digest of them by mail, as a team would set it up."""
    hook = WebhookChannel(name="demo-webhook", url=webhook_url, secret="demo-secret")
    mail = EmailChannel(name="demo-mail", host="127.0.0.1", port=smtp_port, sender="szwatch@localhost",
                        to=("analyst@localhost",))  # fmt: skip
    routes = (Route(channel="demo-webhook"), Route(channel="demo-mail", mode="digest"))
    return Settings(channels=(hook, mail), routes=routes, operator_channel="demo-mail")


def deliver_all(engine: Engine, settings: Settings, names: dict[str, str]) -> DeliveryReport:
    """Delivery passes until nothing is due (the daemon would spread them over its polls)."""
    total = DeliveryReport()
    while (report := deliver_due(engine, settings, names)).lines:
        total.sent, total.retried, total.failed = (
            total.sent + report.sent,
            total.retried + report.retried,
            total.failed + report.failed,
        )
        total.lines.extend(report.lines)
        if not report.sent:
            break
    return total


def _quiet(report: DeliveryReport) -> DeliveryReport:
    report.lines = report.lines[:5] + ([f"… {len(report.lines) - 5} more"] if len(report.lines) > 5 else [])
    return report


def _show_received(hook: WebhookReceiver, mail: MailCatcher, echo: Callable[[str], None]) -> None:
    echo(f"\nthe webhook receiver got {len(hook.accepted())} POSTs; the first three:")
    for request in hook.accepted()[:3]:
        alert = request.json()["alerts"][0]
        story = alert["story"]
        echo(f"  {alert['rule']:<15} {alert['watch_name']}  {story['issue_date']} {story['page']} {story['title']}")
        echo(f"      {alert['snippet']}")
    echo(f"the mail catcher got {len(mail.messages)} message(s):")
    for recipients, message in mail.messages[:3]:
        body = message.get_body(preferencelist=("plain",))
        first = body.get_content().splitlines()[:3] if body else []
        echo(f"  to {', '.join(recipients)}: {message['Subject']}")
        echo("\n".join(f"      {line}" for line in first))
