"""The Atom feed of alerts (RFC 4287), for people who read feeds: all users' alerts, one route's or one tag's.

``/feed.atom`` (every alert for users), ``?route=CHANNEL/MODE`` (the alerts that route delivers) or ``?tag=能源``
(alerts whose watch had that tag when raised). With a token the feed takes it as ``?token=`` every time (feed
readers keep no cookies) or as ``Authorization: Bearer``. Built with ``xml.etree`` so every text is escaped by
the serialiser; times are Asia/Shanghai with their offset (``2024-05-07T08:31:04+08:00``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from szwatch.app.web import present
from szwatch.app.web.context import context
from szwatch.common.clock import local_iso
from szwatch.store import operations as ops
from szwatch.store.models import utcnow
from szwatch.store.reads.alerts import AlertRow, DeliveryRow, list_alerts

ATOM = "http://www.w3.org/2005/Atom"
LIMIT = 100


def atom(request: Request) -> Response:
    params = request.query_params
    route, tag = params.get("route") or None, params.get("tag") or None
    if route and "/" not in route:
        raise HTTPException(400, "route: CHANNEL/MODE, e.g. team-hook/instant")
    with Session(context(request).engine) as session:
        rows = [(a, d) for a, d in list_alerts(session, None, 500) if a.audience == "user"]
    chosen = [a for a, deliveries in rows if _wanted(a, deliveries, route, tag)][:LIMIT]
    body = ET.tostring(_feed(request, chosen, route, tag), encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _wanted(alert: AlertRow, deliveries: list[DeliveryRow], route: str | None, tag: str | None) -> bool:
    if tag and tag not in (alert.tags or []):
        return False
    return not route or any(ops.route_name(d.channel, d.mode) == route for d in deliveries)


def _feed(request: Request, alerts: list[AlertRow], route: str | None, tag: str | None) -> ET.Element:
    base = str(request.base_url).rstrip("/")
    about = f"路由 {route}" if route else f"标签 {tag}" if tag else "全部"
    feed = ET.Element("feed", xmlns=ATOM)
    feed.set("xml:lang", "zh-CN")
    _text(feed, "id", f"{base}/feed.atom?" + (f"route={route}" if route else f"tag={tag}" if tag else "all"))
    _text(feed, "title", f"szwatch 提醒 · {about}")
    _text(feed, "updated", local_iso(alerts[0].created_at if alerts else utcnow()) or "")
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = "szwatch"
    ET.SubElement(feed, "link", rel="alternate", type="text/html", href=f"{base}/alerts")
    for alert in alerts:
        feed.append(_entry(base, alert))
    return feed


def _entry(base: str, alert: AlertRow) -> ET.Element:
    entry = ET.Element("entry")
    _text(entry, "id", f"{base}/alerts#alert-{alert.id}")
    rule = present.RULE_LABELS.get(alert.rule, alert.rule)
    _text(entry, "title", f"【{rule}】{alert.watch_name or alert.watch_id or ''}：{alert.title or ''}")
    _text(entry, "updated", local_iso(alert.created_at) or "")
    _text(entry, "published", local_iso(alert.created_at) or "")
    if alert.story_url:
        ET.SubElement(entry, "link", rel="alternate", type="text/html", href=alert.story_url)
    for tag in alert.tags or []:
        ET.SubElement(entry, "category", term=tag)
    summary = ET.SubElement(entry, "summary", type="text")
    summary.text = _summary(alert)
    return entry


def _summary(alert: AlertRow) -> str:
    where: list[Any] = [alert.issue_date, f"第{alert.page}版" if alert.page else ""]
    return " ".join(str(part) for part in where if part) + ("\n" if alert.issue_date else "") + (alert.snippet or "")


def _text(parent: ET.Element, name: str, text: str) -> None:
    ET.SubElement(parent, name).text = text
