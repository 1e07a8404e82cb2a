"""Alerts rendered for people and machines: the webhook JSON (schema ``szwatch.alert/v1``), e-mail, and the
markdown of team chats (企业微信, 钉钉, 飞书), split into messages that fit each service's size limit.

Rendering is apart from sending (urlwatch's habit), so every channel says the same thing and a test can
read a message without a server.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape
from typing import Any

from szwatch.common.clock import SHANGHAI, local_iso
from szwatch.monitor.alerts.settings import Rule
from szwatch.store.models import Alert

SCHEMA = "szwatch.alert/v1"
RULE_LABEL = {
    Rule.NEW_MENTION: "新提及 new mention",
    Rule.NEW_FIGURE: "新数据 new figure",
    Rule.REVISED_FIGURE: "数据修订 revised figure",
    Rule.PROJECT_UPDATE: "项目进展 project update",
    "crawl_problems": "抓取问题 crawl problems",
    "site_unreachable": "网站无法访问 site unreachable",
    "health": "运行异常 health",
    "health_recovered": "已恢复 recovered",
    "test": "测试 test",
}


def watch_label(alert: Alert, names: dict[str, str] | None = None) -> str:
    """The watch's name as it was when the alert was raised; older rows fall back to today's watchlist."""
    return alert.watch_name or (names or {}).get(alert.watch_id or "") or alert.watch_id or "operator"


def alert_dict(alert: Alert, names: dict[str, str] | None = None) -> dict[str, Any]:
    """One alert as the webhook body carries it (documented in the README)."""
    return {
        "id": alert.id,
        "rule": alert.rule,
        "audience": alert.audience,
        "watch_id": alert.watch_id,
        "watch_name": watch_label(alert, names) if alert.watch_id else None,
        "tags": list(alert.tags or []),
        "story": {
            "issue_date": alert.issue_date.isoformat() if alert.issue_date else None,
            "page": alert.page,
            "title": alert.title,
            "url": alert.story_url,
            "page_print_url": alert.page_print_url,  # the page as printed (PDF or picture), when the paper offers it
        },
        "snippet": alert.snippet,
        "figures": alert.figures,
        "change": alert.change or None,
        "created_at": local_iso(alert.created_at),
        "dedupe_key": alert.dedupe_key,
    }


def webhook_body(alerts: list[Alert], event: str, key: str, names: dict[str, str] | None = None) -> bytes:
    payload = {
        "schema": SCHEMA,
        "event": event,
        "idempotency_key": key,
        "sent_at": local_iso(datetime.now(UTC)),
        "alerts": [alert_dict(a, names) for a in alerts],
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")


def subject(alerts: list[Alert], names: dict[str, str] | None = None) -> str:
    if len(alerts) == 1:
        alert = alerts[0]
        watch = watch_label(alert, names) if alert.watch_id else ""
        return f"[szwatch] {RULE_LABEL.get(alert.rule, alert.rule)}: {watch} — {alert.title or ''}".strip(" —")
    return f"[szwatch] {len(alerts)} alerts / {len(alerts)}条提醒"


def text_body(alerts: list[Alert], names: dict[str, str] | None = None) -> str:
    blocks = []
    for watch, group in _by_watch(alerts, names).items():
        lines = [f"== {watch} =="]
        for alert in group:
            lines.append(f"{RULE_LABEL.get(alert.rule, alert.rule)}  {alert.issue_date or ''} {alert.page or ''} "
                         f"{alert.title or ''}".rstrip())  # fmt: skip
            lines.append(f"  {alert.snippet}")
            if alert.change:
                lines.append(f"  {_change_text(alert.change)}")
            if alert.story_url:
                lines.append(f"  {alert.story_url}")
            if alert.page_print_url:
                lines.append(f"  版面原样 {alert.page_print_url}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def html_body(alerts: list[Alert], names: dict[str, str] | None = None) -> str:
    """Every piece of article text is escaped: the paper's text must never become markup in a mail client."""
    parts = ['<html><body style="font-family:sans-serif">']
    for watch, group in _by_watch(alerts, names).items():
        parts.append(f"<h3>{escape(watch)}</h3><ul>")
        for alert in group:
            title = escape(alert.title or "")
            link = f'<a href="{escape(alert.story_url, quote=True)}">{title}</a>' if alert.story_url else title
            marked = escape(alert.snippet).replace("【", "<mark>").replace("】", "</mark>")
            change = f"<br><small>{escape(_change_text(alert.change))}</small>" if alert.change else ""
            if alert.page_print_url:
                change += f' <a href="{escape(alert.page_print_url, quote=True)}">版面原样</a>'
            parts.append(f"<li><b>{escape(RULE_LABEL.get(alert.rule, alert.rule))}</b> "
                         f"{escape(str(alert.issue_date or ''))} {escape(alert.page or '')} {link}"
                         f"<br>{marked}{change}</li>")  # fmt: skip
        parts.append("</ul>")
    parts.append("</body></html>")
    return "".join(parts)


def email_message(alerts: list[Alert], sender: str, to: tuple[str, ...], key: str,
                  names: dict[str, str] | None = None) -> EmailMessage:  # fmt: skip
    message = EmailMessage()
    message["Subject"] = subject(alerts, names)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(datetime.now(SHANGHAI))
    message["Message-ID"] = f"<{key}@szwatch>" if key else make_msgid(domain="szwatch")
    message["X-Szwatch-Idempotency-Key"] = key
    message.set_content(text_body(alerts, names), charset="utf-8")
    message.add_alternative(html_body(alerts, names), subtype="html", charset="utf-8")
    return message


def _by_watch(alerts: list[Alert], names: dict[str, str] | None) -> dict[str, list[Alert]]:
    grouped: dict[str, list[Alert]] = {}
    for alert in alerts:
        grouped.setdefault(watch_label(alert, names), []).append(alert)
    return grouped


def _change_text(change: dict[str, Any]) -> str:
    before, after = change.get("before"), change.get("after")
    previous = change.get("previous") or {}
    source = " ".join(str(previous.get(k) or "") for k in ("issue_date", "title", "url")).strip()
    return f"{change.get('field')}: {_short(before)} → {_short(after)} (earlier: {source})"


def _short(value: Any) -> str:
    if isinstance(value, dict):
        parts = [f"{value.get('value'):g}{value.get('unit', '')}" if value.get("value") is not None else "",
                 f"{value.get('growth_pct'):+g}%" if value.get("growth_pct") is not None else ""]  # fmt: skip
        return " ".join(p for p in parts if p) or "—"
    return str(value)


_MD_SAFE = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "*": "＊", "`": "'", "#": "＃", "_": "＿"})


def _md(text: str) -> str:
    """Article text never becomes chat markup: the few characters the robots' markdown reads are swapped for
    their full-width forms, which read the same in Chinese text."""
    return " ".join(text.split()).translate(_MD_SAFE)


def markdown_blocks(alerts: list[Alert], names: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(watch heading, block) per alert, grouped by watch: the units a long message is split between."""
    blocks = []
    for watch, group in _by_watch(alerts, names).items():
        heading = f"### {_md(watch)}"
        for alert in group:
            title = _md(alert.title or "")
            link = f"[{title or alert.story_url}]({alert.story_url})" if alert.story_url else title
            head = f"**{RULE_LABEL.get(alert.rule, alert.rule)}** {alert.issue_date or ''} {alert.page or ''} {link}"
            lines = [" ".join(head.split()), f"> {_md(alert.snippet)}"]
            if alert.change:
                lines.append(f"> {_md(_change_text(alert.change))}")
            if alert.page_print_url:
                lines.append(f"[版面原样]({alert.page_print_url})")
            blocks.append((heading, "\n\n".join(lines)))
    return blocks


def chat_messages(
    alerts: list[Alert], key: str, event: str, limit: int, names: dict[str, str] | None = None
) -> list[str]:
    """Markdown messages of at most ``limit`` UTF-8 bytes each, in order, each ending with the idempotency key
    (``szwatch · key · 2/3``) where the receiving group can see it. A block too long on its own is cut."""
    count = len(alerts)
    if event == "digest" or count != 1:
        title = f"## [szwatch] {count} alerts / {count}条提醒"
    else:
        alert = alerts[0]
        watch = f": {_md(watch_label(alert, names))}" if alert.watch_id else ""
        title = f"## [szwatch] {RULE_LABEL.get(alert.rule, alert.rule)}{watch} — {_md(alert.title or '')}".strip(" —")
    footer_room = len(f"\n\nszwatch · {key} · 999/999".encode())
    room = limit - footer_room
    chunks: list[list[str]] = [[title]]
    current_heading = ""
    for heading, block in markdown_blocks(alerts, names):
        piece = block if heading == current_heading else f"{heading}\n\n{block}"
        if _size([*chunks[-1], piece]) > room and len(chunks[-1]) > 1:
            chunks.append([f"{title} (续 cont.)"])
            piece = f"{heading}\n\n{block}"
        if _size([*chunks[-1], piece]) > room:
            piece = _cut(piece, room - _size(chunks[-1]) - 2)
        chunks[-1].append(piece)
        current_heading = heading
    total = len(chunks)
    return ["\n\n".join(chunk) + f"\n\nszwatch · {key} · {n}/{total}" for n, chunk in enumerate(chunks, 1)]


def _size(parts: list[str]) -> int:
    return len("\n\n".join(parts).encode("utf-8"))


def _cut(text: str, room: int) -> str:
    data = text.encode("utf-8")[: max(room - 3, 0)]
    return data.decode("utf-8", "ignore") + "…"
