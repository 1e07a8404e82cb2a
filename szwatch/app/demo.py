"""``szwatch demo``: the whole job, offline, on the bundled replicas of two papers.

Builds the replicas in a work folder — 朔州日报 on its old ``/shtml/`` system and 大同日报 on Founder's classic
one (a paper with no default city, read as a provincial paper is), so the demo shows two papers and two families
in one store — serves each on a free localhost port, crawls every date but the newest into a fresh SQLite
database and shows what landed. The first detection with the example watchlist
is the baseline: findings are stored, no alert is raised (a new user is not flooded with the archive).
Then "a new issue appears": the newest issue is crawled, detection raises alerts for it alone, and they are
delivered to a 企业微信-style robot, a webhook receiver and an SMTP server started on localhost, whose
receipts are shown. Nothing here is demo-only logic: it calls the same library functions as the commands.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from szwatch.app import cli_text as render
from szwatch.app.settings import Route, Settings
from szwatch.app.source_health import paper_names, provincial_papers
from szwatch.crawler.run import CrawlReport, CrawlRequest, crawl, date_range
from szwatch.monitor.alerts.channels.email import EmailChannel
from szwatch.monitor.alerts.channels.webhook import WebhookChannel
from szwatch.monitor.alerts.channels.wecom import WecomChannel
from szwatch.monitor.alerts.deliver import DeliveryReport, deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.build import Manifest, ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.replica.sinks import ChatReceiver, MailCatcher, WebhookReceiver
from szwatch.store.db import open_store, session_scope
from szwatch.store.findings import finding_reads
from szwatch.store.search import search

SAMPLE_QUERIES = ("多晶硅", "烯烃")
# The second paper: its bundled profile, and its replica (another family; its own order of the same stories).
SECOND_PROFILE = "dtrb"
# Its last week only, ending on the same day as 朔州日报's: "a new issue appears" in both, and the demo stays quick.
SECOND = ReplicaSpec(start=date(2024, 5, 13), weeks=1, family="founder-node", code="dtrb", name="大同日报", seed=2024)
WEB_URL = "http://127.0.0.1:8080/"


def run_demo(workdir: Path, echo: Callable[[str], None]) -> int:
    workdir = workdir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    manifest = build_replica(workdir / "replica")
    second = build_replica(workdir / "replica-dtrb", SECOND)
    db_url = demo_db_url(workdir)
    engine = open_store(db_url)
    echo(f"replicas: 朔州日报 (shtml) {len(manifest.dates)} issues and 大同日报 (founder-node) {len(second.dates)}, "
         f"{manifest.pages + second.pages} pages, {manifest.articles + second.articles} articles")  # fmt: skip
    newest = max(manifest.dates)
    watchlist = load_watchlist()
    provincial, papers = provincial_papers(Settings()), paper_names(Settings())  # how detection reads each paper
    with ReplicaServer(workdir / "replica") as site, ReplicaServer(workdir / "replica-dtrb") as other, \
            ChatReceiver("wecom") as robot, WebhookReceiver() as hook, MailCatcher() as mail:  # fmt: skip
        sites = {"szrb": site.url, SECOND_PROFILE: other.url}
        echo(f"serving 朔州日报 at {site.url} and 大同日报 at {other.url}; crawling all but the newest issue "
             f"into {db_url}")  # fmt: skip
        report = _crawl_each(engine, sites, echo, {"szrb": _backfill(manifest), SECOND_PROFILE: _backfill(second)})
        with session_scope(engine) as session:
            for query in SAMPLE_QUERIES:
                hits = search(session, query, limit=3)
                echo(f"\nszwatch search {query}  ({len(hits)} shown)")
                echo(render.hits_table(hits) if hits else "  (nothing)")
        settings = demo_settings(hook.url, mail.port, robot.url)
        echo(f"\nszwatch detect  (watchlist: {watchlist.path.name}, {len(watchlist.watches)} watches) — the first "
             "detection is the baseline")  # fmt: skip
        echo(render.detect_summary(detect(engine, watchlist, routes=settings.routes, provincial=provincial,
                                                papers=papers)))  # fmt: skip
        echo(f"\na new issue appears: szwatch crawl --latest  (the issue of {newest}, in both papers)")
        report = _crawl_each(engine, sites, echo)
        echo("\nszwatch detect")
        echo(render.detect_summary(detect(engine, watchlist, routes=settings.routes, provincial=provincial,
                                                papers=papers)))  # fmt: skip
        names = {w.id: w.name for w in watchlist.watches}
        echo(f"\nszwatch deliver  (企业微信-style robot {robot.url.split('?')[0]}, webhook {hook.url}, "
             f"SMTP 127.0.0.1:{mail.port}, started for the demo)")  # fmt: skip
        echo(render.delivery_summary(_quiet(deliver_all(engine, settings, names))))
        _show_chat(robot, echo)
        _show_received(hook, mail, echo)
    with session_scope(engine) as session:
        mentions = list(finding_reads.mention_rows(session, "dongli-polysilicon"))[:3]
        gdp = list(finding_reads.observation_rows(session, "gdp"))
    echo("\nszwatch mentions dongli-polysilicon  (first 3)")
    echo(render.mentions_table(mentions))
    echo("\nszwatch indicators gdp")
    echo(render.indicators_table(gdp))
    echo(f"\ntry: szwatch --db {db_url} search 集大原   |   szwatch --db {db_url} indicators fai"
         f"   |   szwatch --db {db_url} alerts")  # fmt: skip
    echo(f"web view: szwatch --db {db_url} web   then open {WEB_URL}watches/gdp   (or: szwatch demo --web); "
         f"大同日报's issues: {WEB_URL}issues?paper={SECOND_PROFILE}")  # fmt: skip
    return report.exit_code


def _backfill(manifest: Manifest) -> tuple[date, ...]:
    """Every date of a replica but its newest issue's: what is already out when the demo starts."""
    newest = max(manifest.dates)
    return tuple(d for d in date_range(min(manifest.dates), max(manifest.dates + manifest.missing)) if d < newest)


def _crawl_each(
    engine: Engine, sites: dict[str, str], echo: Callable[[str], None], dates: dict[str, tuple[date, ...]] | None = None
) -> CrawlReport:
    """Crawl each paper's replica with its bundled profile, as ``szwatch crawl --profile ID`` does: the ``dates``
    given for it, else the newest issue (``--latest``). The worst report is returned (its exit code is the demo's)."""
    reports = []
    for profile, url in sites.items():
        days = (dates or {}).get(profile, ())
        echo(f"\n{profile}: szwatch crawl --profile {profile}" + ("" if days else " --latest"))
        request = CrawlRequest(profile=profile, base_url=url, delay=0, concurrency=8, dates=days, latest=not days)
        reports.append(crawl(request, engine))
        echo(render.crawl_summary(reports[-1]))
    return max(reports, key=lambda r: r.exit_code)


def demo_db_url(workdir: Path) -> str:
    return f"sqlite:///{workdir.resolve() / 'demo.db'}"


def demo_settings(webhook_url: str, smtp_port: int, robot_url: str) -> Settings:
    """Every alert to the team's chat group and the webhook at once; a digest by mail, as a team would set it up."""
    robot = WecomChannel(name="demo-wecom", url=robot_url)
    hook = WebhookChannel(name="demo-webhook", url=webhook_url, secret="demo-secret")
    mail = EmailChannel(name="demo-mail", host="127.0.0.1", port=smtp_port, sender="szwatch@localhost",
                        to=("analyst@localhost",))  # fmt: skip
    routes = (Route(channel="demo-wecom"), Route(channel="demo-webhook"), Route(channel="demo-mail", mode="digest"))
    return Settings(channels=(robot, hook, mail), routes=routes, operator_channel="demo-mail")


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


def _show_chat(robot: ChatReceiver, echo: Callable[[str], None]) -> None:
    count = len(robot.accepted())
    echo(f"\nthe 企业微信-style group robot accepted {count} messages; the first two as the group reads them:")
    for request in robot.accepted()[:2]:
        echo("\n".join(f"  │ {line}" for line in request.text.splitlines()))


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
