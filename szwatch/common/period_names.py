"""A period (first and last day) named as the paper and a reader name it: 2023年上半年, 2024年1—9月, 2024年一季度.

Alerts, the CLI and the web view all show the period a figure was resolved to, so that a reader can check it
against the sentence (上半年 in a May 2024 paper is 2023's first half); they also group figures by the kind of
period (年度, 累计, 季度, 月度), because a cumulative 1—9月 and a 三季度 are different series.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date

QUARTERS = ("一", "二", "三", "四")
KINDS = {"year": ("年度", "annual"), "cumulative": ("累计", "year to date"), "half": ("半年", "half year"),
         "quarter": ("季度", "quarterly"), "month": ("月度", "monthly"), "other": ("其他", "other")}  # fmt: skip
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def whole_months(start: date, end: date) -> bool:
    return start.day == 1 and end.day == monthrange(end.year, end.month)[1] and start <= end


def period_kind(start: date | None, end: date | None) -> str:
    """year, cumulative (January to a month), half (second half), quarter, month or other."""
    if start is None or end is None or not whole_months(start, end) or start.year != end.year:
        return "other"
    first, last = start.month, end.month
    if (first, last) == (1, 12):
        return "year"
    if first == last:
        return "month"
    if first == 1:
        return "cumulative"
    if (first, last) == (7, 12):
        return "half"
    if last - first == 2 and first % 3 == 1:
        return "quarter"
    return "other"


def period_label(start: date | None, end: date | None, language: str = "zh") -> str:
    """The period's name in Chinese (``2023年上半年``) or English (``2023 H1``); "" when unknown."""
    if start is None or end is None:
        return ""
    if not whole_months(start, end) or start.year != end.year:
        return f"{start.isoformat()}—{end.isoformat()}"
    return _english(start, end) if language == "en" else _chinese(start, end)


def _chinese(start: date, end: date) -> str:
    year, first, last = start.year, start.month, end.month
    named = {(1, 12): "", (1, 6): "上半年", (7, 12): "下半年", (1, 3): "一季度", (1, 9): "前三季度"}
    if (first, last) in named:
        return f"{year}年{named[(first, last)]}"
    if first == last:
        return f"{year}年{first}月"
    if last - first == 2 and first % 3 == 1:
        return f"{year}年{QUARTERS[first // 3]}季度"
    return f"{year}年{first}—{last}月"


def _english(start: date, end: date) -> str:
    year, first, last = start.year, start.month, end.month
    named = {(1, 12): "", (1, 6): " H1", (7, 12): " H2"}
    if (first, last) in named:
        return f"{year}{named[(first, last)]}"
    if first == last:
        return f"{year} {_EN_MONTHS[first - 1]}"
    if last - first == 2 and first % 3 == 1:
        return f"{year} Q{first // 3 + 1}"
    return f"{year} {_EN_MONTHS[first - 1]}–{_EN_MONTHS[last - 1]}"


def kind_label(kind: str, language: str = "zh") -> str:
    zh, en = KINDS.get(kind, KINDS["other"])
    return en if language == "en" else zh
