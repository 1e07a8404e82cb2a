"""Operator alerts: the crawler's troubles go to the operator's channel, not to the users'."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from szwatch.monitor.alerts.outbox import delivery_for
from szwatch.monitor.alerts.settings import AlertSettings as Settings
from szwatch.store import alerts as store_alerts
from szwatch.store import runs
from szwatch.store.db import session_scope
from szwatch.store.models import Alert, RunStatus

MAX_LISTED = 10
# The team reads operator alerts in its chat, in Chinese (only Chinese: the texts are also the store's record, and
# ``[alerts] language`` is the users' messages); the status code stays in brackets for whoever greps logs.
_RUN_STATUS: dict[str, str] = {
    RunStatus.PROBLEMS: "有问题（problems）",
    RunStatus.UNREACHABLE: "连不上网站（unreachable）",
    RunStatus.INTERRUPTED: "中断（interrupted）",
    RunStatus.FAILED: "抓取程序出错（failed）",
}


def crawl_run_alert(engine: Engine, settings: Settings, run_id: int) -> Alert | None:
    """One alert for a crawl run that did not end well (once per run), delivered to ``operator.channel``."""
    with session_scope(engine) as session:
        run = runs.get_run(session, run_id)
        if run is None or run.status == RunStatus.OK:
            return None
        key = f"operator|crawl|{run_id}"
        if store_alerts.known_keys(session, [key]):
            return None
        problems = runs.problems_of(session, run_id)
        rule = "site_unreachable" if run.status == RunStatus.UNREACHABLE else "crawl_problems"
        lines = [f"{p.kind} {p.url} {p.detail}" for p in problems[:MAX_LISTED]]
        if len(problems) > MAX_LISTED:
            lines.append(f"……另有 {len(problems) - MAX_LISTED} 条")
        summary = f"第 {run_id} 次抓取（{run.base_url}）结束：{_RUN_STATUS.get(run.status, run.status)}" + (
            f"（{run.error}）" if run.error else ""
        )
        listed = [{"kind": p.kind, "url": p.url} for p in problems[:MAX_LISTED]]
        alert = Alert(dedupe_key=key, rule=rule, audience="operator", crawl_run_id=run_id, title=summary,
                      snippet="\n".join(lines) or summary, figures=listed)  # fmt: skip
        session.add(alert)
        session.flush()
        if settings.operator_channel:
            session.add(delivery_for(alert, settings.operator_channel))
        return alert


def health_alerts(engine: Engine, settings: Settings, conditions: dict[str, str], today: date) -> list[Alert]:
    """One operator alert per unhealthy condition per day while it lasts, and one notice when it recovers."""
    raised: list[Alert] = []
    with session_scope(engine) as session:
        for condition, why in conditions.items():
            key = f"health|{condition}|{today.isoformat()}"
            if not store_alerts.known_keys(session, [key]):
                raised.append(_operator_alert(session, settings, key, "health", condition, why))
        for condition, last in store_alerts.latest_health(session).items():
            if last.rule == "health" and condition not in conditions:
                key = f"health|{condition}|recovered|{last.id}"
                raised.append(_operator_alert(session, settings, key, "health_recovered", condition,
                                              f"此前的异常已消除：{last.title}"))  # fmt: skip
    return raised


def _operator_alert(session: Session, settings: Settings, key: str, rule: str, condition: str, text: str) -> Alert:
    alert = Alert(dedupe_key=key, rule=rule, audience="operator", watch_id=condition, title=text, snippet=text)
    session.add(alert)
    session.flush()
    if settings.operator_channel:
        session.add(delivery_for(alert, settings.operator_channel))
    return alert
