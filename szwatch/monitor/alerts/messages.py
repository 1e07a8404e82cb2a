"""Alerts rendered for people and machines: the webhook JSON (schema ``szwatch.alert/v1``), e-mail, and the
markdown of team chats (企业微信, 钉钉, 飞书), split into messages that fit each service's size limit.

A group acts on what a message says, on a phone, in Chinese: so each alert names its rule (新提及, 新数据, 数据修订,
项目进展), the watch, the paper's date and page, the title as a link and the sentence with the match marked — and
what was read: a figure as ``地区生产总值 2023年上半年 全市 628.7亿元 同比+5.3%`` (the period it was resolved
to, the area, the growth), a revision as before → after with both sources, a project's fact as field, before →
after and the clause. Internal keys stay out of the text (they travel in headers; ``[alerts] show_key`` adds a
quiet footer). ``[alerts] language`` chooses "zh" (default), "en" or "zh-en".

Rendering is apart from sending (urlwatch's habit), so every channel says the same thing and a test can
read a message without a server.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape
from typing import TYPE_CHECKING, Any

from szwatch.common.clock import SHANGHAI, local_iso
from szwatch.common.period_names import period_label
from szwatch.monitor.alerts.channels.base import MessageStyle

if TYPE_CHECKING:  # names only: `szwatch alerts` renders plain rows (store.reads.alerts) without loading the ORM
    from szwatch.store.models import Alert
    from szwatch.store.reads.alerts import AlertRow

SCHEMA = "szwatch.alert/v1"
PLAIN = MessageStyle()
_LABELS: dict[str, tuple[str, str]] = {  # key → (Chinese, English)
    "new_mention": ("新提及", "new mention"),
    "new_figure": ("新数据", "new figure"),
    "revised_figure": ("数据修订", "revised figure"),
    "project_update": ("项目进展", "project update"),
    "crawl_problems": ("抓取问题", "crawl problems"),
    "site_unreachable": ("网站无法访问", "site unreachable"),
    "health": ("运行异常", "health"),
    "health_recovered": ("已恢复", "recovered"),
    "test": ("测试消息", "test message"),
    "heartbeat": ("每日报告", "daily report"),
    "threshold": ("阈值提醒", "threshold crossed"),
    "alerts": ("{n}条提醒", "{n} alerts"),
    "continued": ("续", "cont."),
    "page": ("第{page}版", "page {page}"),
    "growth": ("同比{growth}", "{growth} y/y"),
    "earlier": ("此前", "earlier"),
    "now": ("此次", "now"),
    "operator": ("运维", "operator"),
    "stage": ("阶段", "stage"),
    "investment": ("投资", "investment"),
    "progress": ("进度", "progress"),
    "figure": ("数据", "figure"),
    "test_body": (
        "这是 szwatch 的测试消息，用来确认本群能收到提醒；不是新闻，无需处理。",
        "This is a szwatch test message to check that this channel receives alerts; it is not news.",
    ),
}
_TEST_TITLE = "szwatch"


def label(key: str, language: str = "zh", **values: Any) -> str:
    """A label in the style's language; "zh-en" gives both (``新数据 new figure``)."""
    zh, en = _LABELS.get(key, (key, key))
    zh, en = zh.format(**values), en.format(**values)
    return zh if language == "zh" else en if language == "en" else f"{zh} {en}"


def rule_label(rule: str, language: str = "zh") -> str:
    return label(rule, language)


def watch_label(alert: Alert | AlertRow, names: dict[str, str] | None = None, language: str = "zh") -> str:
    """The watch's name as it was when the alert was raised; older rows fall back to today's watchlist."""
    if alert.rule == "test":
        return label("test", language)
    fallback = label("operator", language)
    return alert.watch_name or (names or {}).get(alert.watch_id or "") or alert.watch_id or fallback


def number(value: float) -> str:
    """628.7, 1200, 0.35: no exponent, no trailing zeros."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def figure_text(figure: dict[str, Any], name: str = "", language: str = "zh") -> str:
    """A figure as read: ``地区生产总值 2023年上半年 全市 628.7亿元 同比+5.3% 全省第三``."""
    start, end = _day(figure.get("period_start")), _day(figure.get("period_end"))
    period = period_label(start, end, "en" if language == "en" else "zh") or figure.get("period") or ""
    value = figure.get("value")
    growth = figure.get("growth_pct")
    parts = [
        name,
        period,
        figure.get("scope") or "",
        f"{number(value)}{figure.get('unit') or ''}" if value is not None else "",
        label("growth", language, growth=f"{growth:+g}%") if growth is not None else "",
        figure.get("rank") or "",
    ]
    return " ".join(p for p in parts if p)


def amount_text(figure: dict[str, Any] | None, language: str = "zh") -> str:
    """The value and growth of a figure (one side of a revision)."""
    if not figure:
        return "—"
    value, growth = figure.get("value"), figure.get("growth_pct")
    parts = [f"{number(value)}{figure.get('unit') or ''}" if value is not None else "",
             label("growth", language, growth=f"{growth:+g}%") if growth is not None else ""]  # fmt: skip
    return " ".join(p for p in parts if p) or "—"


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def alert_dict(alert: Alert | AlertRow, names: dict[str, str] | None = None) -> dict[str, Any]:
    """One alert as the webhook body carries it (documented in docs/alerts.md)."""
    test = alert.rule == "test"
    return {
        "id": alert.id,
        "rule": alert.rule,
        "audience": alert.audience,
        "watch_id": alert.watch_id,
        "watch_name": watch_label(alert, names) if alert.watch_id else None,
        "tags": list(alert.tags or []),
        "story": {
            "paper": alert.paper,  # the paper's name (山西日报)
            "issue_date": alert.issue_date.isoformat() if alert.issue_date else None,
            "page": alert.page,
            "title": _TEST_TITLE if test else alert.title,
            "url": alert.story_url,
            "page_print_url": alert.page_print_url,  # the page as printed (PDF or picture), when the paper offers it
        },
        "snippet": label("test_body") if test else alert.snippet,
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


def subject(alerts: list[Alert], names: dict[str, str] | None = None, style: MessageStyle = PLAIN) -> str:
    lang = style.language
    if len(alerts) == 1:
        alert = alerts[0]
        if alert.rule == "test":
            return f"[szwatch] {label('test', lang)}"
        watch = watch_label(alert, names, lang) if alert.watch_id else ""
        return f"[szwatch] {rule_label(alert.rule, lang)}：{watch} — {alert.title or ''}".strip(" —：")
    return f"[szwatch] {label('alerts', lang, n=len(alerts))}"


def _where(alert: Alert, language: str) -> str:
    """``《朔州日报》2024-05-07 第A1版``: the paper, its date and page (several papers are watched)."""
    page = label("page", language, page=alert.page) if alert.page else ""
    paper = f"《{alert.paper}》" if alert.paper else ""
    return " ".join(p for p in (paper + str(alert.issue_date or ""), page) if p)


def detail_lines(alert: Alert, names: dict[str, str] | None, language: str) -> list[tuple[str, str]]:
    """What an alert says besides its source and sentence, as (kind, text): "figure" (the figure as read),
    "change" (before → after), "earlier" (the earlier source: date, title or words, URL)."""
    name = watch_label(alert, names, language)
    lines: list[tuple[str, str]] = []
    change = alert.change or {}
    if alert.rule == "new_figure" and alert.figures:
        lines.append(("figure", figure_text(alert.figures[0], name, language)))
    elif alert.rule == "revised_figure" and change:
        after = change.get("after") or (alert.figures[0] if alert.figures else {})
        head = figure_text({**after, "value": None, "growth_pct": None, "rank": ""}, name, language)
        text = f"{head}：{amount_text(change.get('before'), language)} → {amount_text(after, language)}"
        lines.append(("change", text))
    elif alert.rule == "threshold" and change:  # the figure as read, then what it crossed (said in Chinese)
        if alert.figures:
            lines.append(("figure", figure_text(alert.figures[0], name, language)))
        lines.append(("change", str(change.get("rule") if language == "en" else change.get("says"))))
    elif alert.rule == "project_update" and change:
        field = label(str(change.get("field")), language)
        lines.append(("change", f"{field}：{change.get('before')} → {change.get('after')}"))
    previous = change.get("previous") or {}
    if previous:
        words = previous.get("title") or previous.get("snippet") or previous.get("url") or ""
        lines.append(("earlier", f"{label('earlier', language)}：{previous.get('issue_date') or ''}|{words}|"
                                 f"{previous.get('url') or ''}"))  # fmt: skip
    return lines


def text_body(alerts: list[Alert], names: dict[str, str] | None = None, style: MessageStyle = PLAIN) -> str:
    lang = style.language
    blocks = []
    for watch, group in _by_watch(alerts, names, lang).items():
        lines = [f"== {watch} =="]
        for alert in group:
            if alert.rule == "test":
                lines.append(label("test_body", lang))
                continue
            lines.append(f"{rule_label(alert.rule, lang)}  {_where(alert, lang)} {alert.title or ''}".rstrip())
            for kind, text in detail_lines(alert, names, lang):
                lines.append(f"  {_plain_earlier(text) if kind == 'earlier' else text}")
            lines.append(f"  {alert.snippet}")
            if alert.story_url:
                lines.append(f"  {alert.story_url}")
            if alert.page_print_url:
                lines.append(f"  版面原样 {alert.page_print_url}")
        blocks.append("\n".join(lines))
    footer = "\n\n-- \nszwatch" if style.show_key else ""
    return "\n\n".join(blocks) + footer + "\n"


def _plain_earlier(text: str) -> str:
    head, words, url = text.split("|", 2)
    return " ".join(p for p in (head + words, url) if p)


def html_body(alerts: list[Alert], names: dict[str, str] | None = None, style: MessageStyle = PLAIN) -> str:
    """Every piece of article text is escaped: the paper's text must never become markup in a mail client."""
    lang = style.language
    parts = [f'<html lang="{"en" if lang == "en" else "zh-CN"}"><body style="font-family:sans-serif">']
    for watch, group in _by_watch(alerts, names, lang).items():
        parts.append(f"<h3>{escape(watch)}</h3><ul>")
        for alert in group:
            if alert.rule == "test":
                parts.append(f"<li>{escape(label('test_body', lang))}</li>")
                continue
            title = escape(alert.title or "")
            link = f'<a href="{escape(alert.story_url, quote=True)}">{title}</a>' if alert.story_url else title
            marked = escape(alert.snippet).replace("【", "<mark>").replace("】", "</mark>")
            details = "".join(f"<br>{_html_detail(kind, text)}" for kind, text in detail_lines(alert, names, lang))
            if alert.page_print_url:
                details += f'<br><a href="{escape(alert.page_print_url, quote=True)}">版面原样</a>'
            parts.append(f"<li><b>{escape(rule_label(alert.rule, lang))}</b> {escape(_where(alert, lang))} {link}"
                         f"{details}<br>{marked}</li>")  # fmt: skip
        parts.append("</ul>")
    parts.append("</body></html>")
    return "".join(parts)


def _html_detail(kind: str, text: str) -> str:
    if kind == "earlier":
        head, words, url = text.split("|", 2)
        link = f'<a href="{escape(url, quote=True)}">{escape(words or url)}</a>' if url else escape(words)
        return f"<small>{escape(head)}{link}</small>"
    return f"<b>{escape(text)}</b>" if kind == "figure" else escape(text)


def email_message(alerts: list[Alert], sender: str, to: tuple[str, ...], key: str,
                  names: dict[str, str] | None = None, style: MessageStyle = PLAIN) -> EmailMessage:  # fmt: skip
    message = EmailMessage()
    message["Subject"] = subject(alerts, names, style)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(datetime.now(SHANGHAI))
    message["Message-ID"] = f"<{key}@szwatch>" if key else make_msgid(domain="szwatch")
    message["X-Szwatch-Idempotency-Key"] = key
    message.set_content(text_body(alerts, names, style), charset="utf-8")
    message.add_alternative(html_body(alerts, names, style), subtype="html", charset="utf-8")
    return message


def _by_watch(alerts: list[Alert], names: dict[str, str] | None, language: str = "zh") -> dict[str, list[Alert]]:
    grouped: dict[str, list[Alert]] = {}
    for alert in alerts:
        grouped.setdefault(watch_label(alert, names, language), []).append(alert)
    return grouped


_MD_SAFE = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "*": "＊", "`": "'", "#": "＃", "_": "＿"})


def _md(text: str) -> str:
    """Article text never becomes chat markup: the few characters the robots' markdown reads are swapped for
    their full-width forms, which read the same in Chinese text."""
    return " ".join(text.split()).translate(_MD_SAFE)


def _md_marked(text: str) -> str:
    """The sentence with the match in bold (the snippet marks it with 【】)."""
    return _md(text).replace("【", "**").replace("】", "**")


def _md_detail(kind: str, text: str) -> str:
    if kind == "earlier":
        head, words, url = text.split("|", 2)
        shown = _md(words) or url
        return f"{_md(head)}[{shown}]({url})" if url.startswith(("http://", "https://")) else _md(head + words)
    return f"**{_md(text)}**" if kind == "figure" else _md(text)


def markdown_blocks(
    alerts: list[Alert], names: dict[str, str] | None = None, style: MessageStyle = PLAIN, titled: bool = False
) -> list[tuple[str, str]]:
    """(watch heading, block) per alert, grouped by watch: the units a long message is split between. ``titled``:
    the message's title names the rule and the watch already (one alert), so the block does not repeat them."""
    lang = style.language
    blocks = []
    for watch, group in _by_watch(alerts, names, lang).items():
        heading = f"### {_md(watch)}"
        for alert in group:
            if alert.rule == "test":
                blocks.append((heading, label("test_body", lang)))
                continue
            title = _md(alert.title or "")
            link = f"[{title or alert.story_url}]({alert.story_url})" if alert.story_url else title
            lines = [] if titled else [f"**{rule_label(alert.rule, lang)}**"]
            lines.extend(_md_detail(kind, text) for kind, text in detail_lines(alert, names, lang))
            lines.append(" ".join(f"{_where(alert, lang)} {link}".split()))
            lines.append(f"> {_md_marked(alert.snippet)}")
            if alert.page_print_url:
                lines.append(f"[版面原样]({alert.page_print_url})")
            blocks.append(("" if titled else heading, "\n".join(lines)))
    return blocks


def chat_messages(
    alerts: list[Alert], key: str, event: str, limit: int, names: dict[str, str] | None = None,
    style: MessageStyle = PLAIN,
) -> list[str]:  # fmt: skip
    """Markdown messages of at most ``limit`` UTF-8 bytes each, in order; a message in several parts says so in
    its title (``（2/3）``). The key is shown only with ``show_key`` (a quiet last line); a block too long on its
    own is cut."""
    title = _chat_title(alerts, event, names, style)
    footer = f"\n\nszwatch · {key}" if style.show_key else ""
    room = limit - len(f"{footer}（{label('continued', style.language)} 999/999）".encode())
    chunks: list[list[str]] = [[title]]
    current_heading = ""
    titled = event != "digest" and len(alerts) == 1 and alerts[0].rule != "test"
    for heading, block in markdown_blocks(alerts, names, style, titled):
        piece = block if heading == current_heading else f"{heading}\n\n{block}"
        if _size([*chunks[-1], piece]) > room and len(chunks[-1]) > 1:
            chunks.append([f"{title}（{label('continued', style.language)}）"])
            piece = f"{heading}\n\n{block}"
        if _size([*chunks[-1], piece]) > room:
            piece = _cut(piece, room - _size(chunks[-1]) - 2)
        chunks[-1].append(piece)
        current_heading = heading
    total = len(chunks)
    if total > 1:
        for n, chunk in enumerate(chunks, 1):
            chunk[0] = (
                f"{title}（{n}/{total}）" if n == 1 else f"{title}（{label('continued', style.language)} {n}/{total}）"
            )
    return ["\n\n".join(chunk) + footer for chunk in chunks]


def _chat_title(alerts: list[Alert], event: str, names: dict[str, str] | None, style: MessageStyle) -> str:
    lang = style.language
    if event == "digest" or len(alerts) != 1:
        return f"## [szwatch] {label('alerts', lang, n=len(alerts))}"
    alert = alerts[0]
    if alert.rule == "test":
        return f"## [szwatch] {label('test', lang)}"
    watch = f"：{_md(watch_label(alert, names, lang))}" if alert.watch_id else ""
    return f"## [szwatch] {rule_label(alert.rule, lang)}{watch}"


def _size(parts: list[str]) -> int:
    return len("\n\n".join(parts).encode("utf-8"))


def _cut(text: str, room: int) -> str:
    data = text.encode("utf-8")[: max(room - 3, 0)]
    return data.decode("utf-8", "ignore") + "…"
