"""What the alert rules of #23 cost (prints figures; not a test). CPU seconds of this process (user + sys, which a
busy shared machine barely moves) and wall seconds, for:

(1) delivering BULK instant alerts to a local webhook receiver (the path every alert takes; runs on a checkout from
    before the rules too, for a before/after comparison);
(2) the same BULK alerts raised outside a route's push window, held, and sent when it opens (window held rows are
    checked on every pass);
(3) detecting BULK stories with indicator figures, without and with three threshold rules on the indicator.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from alerts import add_story  # bench/alerts.py: one story on A1 through the store's write path
from record import recorded  # bench/record.py: the dated record of this run

from szwatch.app.settings import Route, Settings
from szwatch.common.logs import configure_logging
from szwatch.monitor.alerts.channels.webhook import WebhookChannel
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.sinks import WebhookReceiver
from szwatch.store.db import open_store

BULK = 500
GDP = """
[[indicator]]
id = "gdp"
name = "地区生产总值"
aliases = ["GDP", "生产总值"]
{rules}
"""
RULES = ('thresholds = ["growth < 0", "value falls by more than 10% against the same period last year", '
         '"rank leaves 全省前三"]')  # fmt: skip


def measured(work: Callable[[], Any]) -> tuple[Any, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def deliveries(work: Path, name: str, route: Route, moment: datetime | None) -> tuple[int, float, float]:
    engine = open_store(f"sqlite:///{work / f'{name}.db'}")
    watchlist = load_watchlist()
    names = {w.id: w.name for w in watchlist.watches}
    add_story(engine, date(2023, 12, 31), 99_999, "市区天气晴好。")
    detect(engine, watchlist)  # baseline
    with WebhookReceiver() as hook:
        settings = Settings(channels=(WebhookChannel("hook", hook.url, secret="s"),), routes=(route,))
        for number in range(BULK):
            add_story(engine, date(2024, 1, 1) + timedelta(days=number % 7), 10_000 + number,
                      f"报道{number}：东立多晶硅项目开工建设。")  # fmt: skip
        if moment is None:
            detect(engine, watchlist, routes=settings.routes)
            now = None
        else:  # raised at night, outside 08:00-22:00; sent at 08:00 the next morning
            detect(engine, watchlist, routes=settings.routes, clock=lambda: moment)
            assert deliver_due(engine, settings, names, now=lambda: moment).sent == 0
            opening = moment + timedelta(hours=9)
            now = lambda: opening  # noqa: E731

        def send_all() -> int:
            sent = 0
            while report := deliver_due(engine, settings, names, **({"now": now} if now else {})):
                if not report.sent:
                    break
                sent += report.sent
            return sent

        return measured(send_all)


def thresholds(work: Path, rules: str) -> tuple[int, float, float]:
    path = work / f"watchlist{len(rules)}.toml"
    path.write_text(GDP.format(rules=rules), encoding="utf-8")
    watchlist = load_watchlist(path)
    engine = open_store(f"sqlite:///{work / f'figures{len(rules)}.db'}")
    add_story(engine, date(2023, 12, 31), 99_999, "2023年，全市地区生产总值增长5.1%，增速居全省第二。")
    detect(engine, watchlist)  # baseline
    for number in range(BULK):
        add_story(engine, date(2024, 1, 1) + timedelta(days=number % 7), 10_000 + number,
                  f"{number % 12 + 1}月份，全市地区生产总值完成{600 - number % 50}亿元，同比下降{number % 9}.5%，"
                  f"增速居全省第{'一二三四五六'[number % 6]}。")  # fmt: skip
    return measured(lambda: detect(engine, watchlist, routes=(Route("nowhere"),)).alerts)


def main() -> None:
    configure_logging("WARNING")
    work = Path(tempfile.mkdtemp(prefix="szwatch-alert-rules-"))
    sent, cpu, wall = deliveries(work, "instant", Route("hook"), None)
    print(f"(1) {sent} instant deliveries: CPU {cpu:.2f} s ({cpu / sent * 1000:.1f} ms each), wall {wall:.1f} s")
    try:
        held_route = Route("hook", window="08:00-22:00")  # type: ignore[call-arg]
    except TypeError:
        print("(2), (3): this checkout has no push windows or threshold rules")
        return
    night = datetime(2024, 1, 7, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    sent, cpu, wall = deliveries(work, "held", held_route, night)
    print(f"(2) {sent} deliveries held by a window, sent when it opened: CPU {cpu:.2f} s "
          f"({cpu / sent * 1000:.1f} ms each), wall {wall:.1f} s")  # fmt: skip
    for label, rules in (("no threshold rules", ""), ("three threshold rules", RULES)):
        alerts, cpu, wall = thresholds(work, rules)
        print(f"(3) detect {BULK} stories with figures, {label}: CPU {cpu:.2f} s, wall {wall:.1f} s, "
              f"{alerts} alerts")  # fmt: skip


if __name__ == "__main__":
    with recorded("alert-rules"):
        main()
