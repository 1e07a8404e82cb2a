"""Soak and fault benchmark of the daemon (prints figures; not a test).

The daemon runs in this process with short intervals against the replica for at least 200 poll cycles. Its
clock (the only thing simulated) moves on a day every 40 cycles, and that day's issue appears on the site at
that moment. Meanwhile the webhook receiver answers 500 for a while and the site answers 503 for a while.
Printed: RSS at start and end, alerts expected / delivered / duplicated / lost, and each new issue's delay
from appearing on the site to its first alert at the receiver. The first crawl's detection is the baseline
(silent); the alerts counted are those of the issues that appear during the run.
Goals: 0 duplicated, 0 lost, RSS growth under 20 MB.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from record import recorded  # bench/record.py: the dated record of this run
from sqlmodel import Session, select

from szwatch.app.daemon import Daemon
from szwatch.app.settings import DaemonSettings, DeliveryPolicy, Route, Settings
from szwatch.common.clock import local_today
from szwatch.common.logs import configure_logging
from szwatch.monitor.alerts.channels.webhook import WebhookChannel
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.build import ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.replica.sinks import WebhookReceiver
from szwatch.store.db import open_store
from szwatch.store.models import Alert, AlertDelivery

CYCLES, DAY_EVERY, NEW_DAYS = 200, 40, 4
WEBHOOK_DOWN, SITE_DOWN = (78, 100), (158, 178)  # each covers a new issue appearing


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Clock:
    def __init__(self) -> None:
        self.days = 0

    def __call__(self) -> datetime:
        return datetime.now(UTC) + timedelta(days=self.days)


class SoakDaemon(Daemon):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.cycles = 0

    def poll(self) -> None:
        self.cycles += 1
        super().poll()


def main() -> None:
    configure_logging("WARNING")
    work = Path(tempfile.mkdtemp(prefix="szwatch-soak-"))
    today = local_today(datetime.now(UTC))  # the daemon's day is Shanghai's
    spec = ReplicaSpec(start=today - timedelta(days=3), weeks=2, holidays=(), weekdays=tuple(range(7)), per_page=6)
    root, staging = work / "site", work / "staging"
    build_replica(root, spec)
    future = [today + timedelta(days=i) for i in range(1, NEW_DAYS + 1)]
    staging.mkdir()
    for day in [d for d in (spec.start + timedelta(days=i) for i in range(14)) if d > today]:
        folder = root / "shtml" / "szrb" / f"{day:%Y%m%d}"
        if day in future:
            shutil.move(folder, staging / folder.name)
        else:
            shutil.rmtree(folder)
    publish_entry(root, today)

    engine = open_store(f"sqlite:///{work / 'soak.db'}")
    clock = Clock()
    with ReplicaServer(root) as site, WebhookReceiver() as hook:
        settings = Settings(
            channels=(WebhookChannel("hook", hook.url, secret="soak", timeout=2),), routes=(Route("hook"),),
            delivery=DeliveryPolicy(poll_seconds=1.0, max_attempts=50, backoff_seconds=1.0, backoff_max_seconds=4.0),
            daemon=DaemonSettings(base_url=site.url, poll_every_minutes=0.01, check_every_minutes=0.01,
                                  poll_start="00:00", poll_end="23:59",
                                  catch_up_days=3, crawl_delay_seconds=0, crawl_concurrency=8,
                                  health_every_minutes=0.1, lease_seconds=30, no_issue_by="23:59"),
        )  # fmt: skip
        daemon = SoakDaemon(engine, settings, load_watchlist(), clock=clock)
        appeared: dict[date, float] = {}
        started_rss = {}
        threading.Thread(target=orchestrate, args=(daemon, clock, site, hook, root, staging, future, appeared,
                                                   started_rss, engine), daemon=True).start()  # fmt: skip
        started = time.monotonic()
        daemon.run()
        report(engine, hook, appeared, started_rss["mb"], rss_mb(), daemon.cycles, time.monotonic() - started)


def orchestrate(daemon: SoakDaemon, clock: Clock, site: ReplicaServer, hook: WebhookReceiver, root: Path,
                staging: Path, future: list[date], appeared: dict[date, float], started_rss: dict[str, float],
                engine) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    while daemon.cycles < 5:
        time.sleep(0.2)
    started_rss["mb"] = rss_mb()  # after start-up and the first crawls: the baseline of growth
    published = 0
    while daemon.cycles < CYCLES:
        cycle = daemon.cycles
        if cycle >= DAY_EVERY * (published + 1) and published < len(future):
            day = future[published]
            shutil.move(staging / f"{day:%Y%m%d}", root / "shtml" / "szrb" / f"{day:%Y%m%d}")
            publish_entry(root, day)
            clock.days = published + 1
            appeared[day] = time.monotonic()
            published += 1
        hook.answers.clear()
        if WEBHOOK_DOWN[0] <= cycle < WEBHOOK_DOWN[1]:
            hook.answer(*[500] * 50)
        site.down = SITE_DOWN[0] <= cycle < SITE_DOWN[1]
        time.sleep(0.1)
    site.down = False
    hook.answers.clear()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and pending(engine):
        time.sleep(0.5)
    daemon.stop()


def pending(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return len(session.exec(select(AlertDelivery).where(AlertDelivery.status == "pending")).all())


def publish_entry(root: Path, day: date) -> None:
    target = f"szrb/{day:%Y%m%d}/vA1.shtml"
    html = f'<html><head><meta http-equiv="refresh" content="0; url={target}" /></head><body></body></html>'
    (root / "shtml" / "index_szrb.shtml").write_bytes(html.encode("gb18030"))


def report(engine, hook: WebhookReceiver, appeared: dict[date, float], rss_start: float, rss_end: float,
           cycles: int, seconds: float) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    with Session(engine) as session:
        alerts = session.exec(select(Alert).where(Alert.audience == "user")).all()
        rows = session.exec(select(AlertDelivery)).all()
    keys = {r.idempotency_key: r for r in rows}
    accepted = [r.headers["idempotency-key"] for r in hook.accepted()]
    delivered = set(accepted) & set(keys)
    print(f"{cycles} poll cycles in {seconds:.0f} s; webhook down for cycles {WEBHOOK_DOWN}, site down for {SITE_DOWN}")
    print(
        f"RSS of the daemon process: {rss_start:.1f} MB at start, {rss_end:.1f} MB at end "
        f"(growth {rss_end - rss_start:+.1f} MB, goal < 20 MB)"
    )
    print(
        f"alerts expected {len(alerts)}, delivered {len(delivered)}, duplicated {len(accepted) - len(set(accepted))}, "
        f"lost {len(alerts) - len(delivered)}  (goal: 0 duplicated, 0 lost); "
        f"{len(hook.requests) - len(accepted)} refused attempts were retried"
    )
    for day, at in sorted(appeared.items()):
        first = min((r.at for r in hook.accepted() if any(a["story"]["issue_date"] == day.isoformat()
                     for a in r.json()["alerts"])), default=None)  # fmt: skip
        delay = f"{first - at:.1f} s" if first else "no alert"
        print(f"  issue {day} appeared → first alert after {delay}")


if __name__ == "__main__":
    with recorded("soak"):
        main()
