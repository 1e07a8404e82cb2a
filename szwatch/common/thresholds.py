"""Threshold rules on an indicator's series, written next to the indicator in the watchlist:

    thresholds = ["growth < 0", "value falls by more than 10% against the same period last year",
                  "rank leaves 全省前三"]

``growth``/``value`` compared with a number (``<``, ``<=``, ``>``, ``>=``); ``value falls|rises by more than X%``
against the same period a year before (``yoy`` for short; Chinese ``比上年同期下降超过10%``); ``rank leaves
全省前三`` (Chinese ``排名跌出全省前三``) when the figure's rank in that area drops out of the first N after an
earlier period's rank was in. A rule is checked on each new figure (never on a watch's silent baseline) and
alerts once per figure — indicator, period, area — and rule, saying in Chinese what was crossed and against
which earlier figure and source.

Parsing is apart from checking (pure; the store's look-ups are passed in), so the watchlist refuses a rule it
cannot read with its file and line, and a test reads a rule without a database. Being pure — text in, a rule out;
figures as plain dicts in, a Chinese sentence out — it lives in ``common`` beside ``period_names``, and detection
(the watchlist, the rules) uses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from szwatch.common.numerals import small_number

_COMPARE = re.compile(r"(value|growth|数值|增速)\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*%?")
_YOY = re.compile(r"value\s+(falls|rises)\s+(?:by\s+)?(?:more\s+than|>)\s*(\d+(?:\.\d+)?)\s*%"
                  r"(?:\s+(?:against\s+the\s+same\s+period\s+last\s+year|yoy))?")  # fmt: skip
_YOY_ZH = re.compile(r"比上年同期(下降|增长|上升)超过(\d+(?:\.\d+)?)%")
_RANK = re.compile(r"(?:rank\s+leaves\s*|排名跌出)(\S*?)前(\S+)")
_RANK_TEXT = re.compile(r"(\S*?)第(\S+?)[位名]?$")
_CN = "一二三四五六七八九十"
_OPS = {"<": "低于", "<=": "不高于", ">": "高于", ">=": "不低于"}
FORMS = ('"growth < 0"', '"value falls by more than 10% against the same period last year"',
         '"rank leaves 全省前三"')  # fmt: skip


@dataclass(frozen=True)
class Threshold:
    text: str  # as the user wrote it
    kind: str  # compare, yoy or rank
    field: str = ""  # compare: value or growth
    op: str = ""  # compare: <, <=, >, >=; yoy: falls or rises
    limit: float = 0.0  # compare: the number; yoy: the percentage
    area: str = ""  # rank: 全省
    top: int = 0  # rank: N of 前N


def parse(text: str) -> Threshold | None:
    """The rule ``text`` states, or None when it is none of the forms above."""
    rule = " ".join(text.split())
    if found := _COMPARE.fullmatch(rule):
        field = "growth" if found[1] in ("growth", "增速") else "value"
        return Threshold(text, "compare", field, found[2], float(found[3]))
    if found := _YOY.fullmatch(rule):
        return Threshold(text, "yoy", "value", found[1], float(found[2]))
    if found := _YOY_ZH.fullmatch(rule):
        return Threshold(text, "yoy", "value", "falls" if found[1] == "下降" else "rises", float(found[2]))
    if (found := _RANK.fullmatch(rule)) and (top := small_number(found[2])):
        return Threshold(text, "rank", area=found[1], top=top)
    return None


Figure = dict[str, Any]  # a figure as alerts carry it (value, unit, growth_pct, period, scope, rank, …)
Earlier = tuple[Figure, dict[str, Any]]  # an earlier figure and its source (issue_date, title, url)


@dataclass(frozen=True)
class Crossing:
    """What a new figure crossed: the Chinese sentence a group reads, and the earlier figure it was measured
    against (with its source), if any."""

    says: str
    before: Figure | None = None
    previous: dict[str, Any] | None = None


def check(
    rule: Threshold, figure: Figure, last_year: Callable[[], Earlier | None], earlier_rank: Callable[[], Earlier | None]
) -> Crossing | None:
    """Whether ``figure`` crosses ``rule``; the look-ups are called only by the rules that need them."""
    if rule.kind == "compare":
        return _compare(rule, figure)
    if rule.kind == "yoy":
        return _yoy(rule, figure, last_year) if figure.get("value") is not None else None
    return _rank(rule, figure, earlier_rank)


def _compare(rule: Threshold, figure: Figure) -> Crossing | None:
    actual = figure.get("growth_pct" if rule.field == "growth" else "value")
    if actual is None or not _holds(actual, rule.op, rule.limit):
        return None
    if rule.field == "growth":
        return Crossing(f"同比增速{actual:+g}%，{_OPS[rule.op]}{rule.limit:g}%")
    unit = figure.get("unit") or ""
    return Crossing(f"数值{actual:g}{unit}，{_OPS[rule.op]}{rule.limit:g}{unit}")


def _holds(actual: float, op: str, limit: float) -> bool:
    return {"<": actual < limit, "<=": actual <= limit, ">": actual > limit, ">=": actual >= limit}[op]


def _yoy(rule: Threshold, figure: Figure, last_year: Callable[[], Earlier | None]) -> Crossing | None:
    value = figure["value"]
    earlier = last_year()
    if earlier is None:
        return None
    before, source = earlier
    old = before.get("value")
    if not old or (before.get("unit") or "") != (figure.get("unit") or ""):
        return None  # no base to compare with, or figures in other units
    change = (value - old) / abs(old) * 100
    if not (change < -rule.limit if rule.op == "falls" else change > rule.limit):
        return None
    verb = "下降" if change < 0 else "增长"
    says = f"比上年同期{verb}{abs(change):.1f}%，超过{rule.limit:g}%（上年同期{old:g}{before.get('unit') or ''}）"
    return Crossing(says, before, source)


def _rank(rule: Threshold, figure: Figure, earlier_rank: Callable[[], Earlier | None]) -> Crossing | None:
    now = rank_of(figure.get("rank") or "", rule.area)
    if now is None or now <= rule.top:
        return None  # unranked, or still in the first N: no look-up of the earlier rank needed
    earlier = earlier_rank()
    if earlier is None:
        return None
    before, source = earlier
    was = rank_of(before.get("rank") or "", rule.area)
    if was is None or was > rule.top:
        return None  # it was not in the first N: nothing was left
    top = _CN[rule.top - 1] if rule.top <= len(_CN) else str(rule.top)
    return Crossing(f"排名跌出{rule.area}前{top}：{figure.get('rank')}（此前{before.get('rank')}）", before, source)


def rank_of(rank: str, area: str) -> int | None:
    """3 of ``全省第三`` when its area is ``area`` (any area when ``area`` is empty)."""
    found = _RANK_TEXT.fullmatch(rank.strip())
    if not found or (area and found[1] != area):
        return None
    return small_number(found[2])
