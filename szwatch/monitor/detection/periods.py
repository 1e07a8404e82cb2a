"""Periods: the span of time a figure covers, as the text names it and resolved against the paper's date.

一季度, 上半年, 前三季度, 1—11月, 前11个月, 截至6月底, 全年, 去年, 今年以来, 去年同期 …: each becomes a
``Period`` with its first and last day, so figures of different spans are never compared as if they were the
same (a quarter is not the year). A span named without a year belongs to the latest such span that has begun
by the issue date (四季度 in a January paper is last year's; tests/monitor/detection/test_periods.py).
今年以来 runs from the year's first day to the paper's date, and 去年同期 (not after 比/较, where it is what
a figure is compared with) is that span one year earlier.

Within one story a bare span is the span the story names with its year (``StoryPeriods``): a title's 上半年
over a body's 今年上半年 is that half-year, whatever the paper's date alone would make of it.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from szwatch.common.numerals import DIGITS, cn_integer
from szwatch.monitor.detection import grammar as g

# 比去年, 较去年同期, 与去年全年相比: a comparison with last year, not the period of the figure
_NOT_BEFORE_YEAR = ")(?<!".join(g.COMPARED_WITH)

COMPARED = re.compile(rf"(?:{g.alternation(g.COMPARED_WITH)})(?:{g.alternation(g.RELATIVE_YEARS)})?$")

_MONTH = rf"\d{{1,2}}|[{g.CN_MONTH}]{{1,2}}"

PERIOD_PART = (
    r"(?P<quarter>[一二三四1-4])季度|第(?P<quarter2>[一二三四])季度|(?P<half>上|下)半年|前三季度(?P<q3>)|全年(?P<full>)"
    rf"|(?P<m1>{_MONTH})月?\s*[{g.RANGE_MARKS}]\s*(?P<m2>{_MONTH})月(?:份)?(?!\d{{0,2}}日)"
    r"|前(?P<firstn>\d{1,2}|[一二两三四五六七八九十]{1,2})个月"
    r"|(?:截至|截止|到)?(?P<monthend>\d{1,2})月(?:末|底)|(?P<month>\d{1,2})月(?:份|当月|单月)"
)

# Every part of a period is optional but one must be there: the closing conditional fails a match that found none
# (``(?!)`` when neither ``same``, ``year``, ``rel`` nor ``tail`` was set). Empty matches, at each digit or 一/上/全…
# of a text, were handed to Python one by one and skipped there (a twentieth of a story's analysis); the
# non-empty matches are the same, as an empty one is only ever the last choice at its position.
PERIOD = re.compile(
    r"(?=[\d今本去前上下全一二三四五六七八九十第截到])"  # where a period can start: skips the rest of the text fast
    rf"(?:(?P<same>{g.alternation(g.SAME_PERIOD_LAST_YEAR)})"
    rf"|(?:(?P<year>\d{{4}})年|(?<!{_NOT_BEFORE_YEAR})(?P<rel>{g.alternation(g.RELATIVE_YEARS)})(?!同期))?"
    rf"(?P<tail>(?<=[年今去前本度])(?:年?底|年?末)|(?<=[年今])以来(?P<sofar>)|{PERIOD_PART})?)"
    r"(?(same)|(?(year)|(?(rel)|(?(tail)|(?!)))))"
)


# What a period's words say of its year: a span without one (上半年), a span with one (今年上半年, 2024年1-5月),
# a whole year by its name (去年, 2023年), or a span of another shape (今年以来, 去年同期)
BARE, NAMED, YEAR, OTHER = "bare", "named", "year", "other"


@dataclass(frozen=True)
class Period:
    text: str
    start: date
    end: date
    kind: str = NAMED


def find_period(text: str, issue_date: date) -> Period | None:
    return next(periods_in(text, issue_date), None)


def periods_in(text: str, issue_date: date) -> Iterator[Period]:
    """Every period the text names as a figure's (not what it is compared with), in order."""
    for match in PERIOD.finditer(text):
        if COMPARED.search(text, max(0, match.start() - 4), match.start()):  # 较去年全年…
            continue
        if (period := _resolve(match, issue_date)) is not None:
            yield period


class StoryPeriods:
    """The periods of one story: a bare span (上半年 in a title) is the one the story names with its year for
    the same months (今年上半年 in the body) when it names one year only; else the paper's date decides.

    The story is read for named spans only when a bare one needs them: most stories never do."""

    def __init__(self, text: str, issue_date: date) -> None:
        self.text, self.issue_date = text, issue_date
        self._years: dict[tuple[int, int], set[int]] | None = None

    def find(self, text: str) -> Period | None:
        period = find_period(text, self.issue_date)
        return self.aligned(period) if period is not None else None

    def aligned(self, period: Period) -> Period:
        if period.kind != BARE:
            return period
        years = self._named_years().get((period.start.month, period.end.month), set())
        if len(years) != 1 or (year := next(iter(years))) == period.start.year:
            return period
        return replace(period, start=period.start.replace(year=year),
                       end=date(year, period.end.month, monthrange(year, period.end.month)[1]))  # fmt: skip

    def _named_years(self) -> dict[tuple[int, int], set[int]]:
        if self._years is None:
            self._years = {}
            for period in periods_in(self.text, self.issue_date):
                if period.kind == NAMED:
                    self._years.setdefault((period.start.month, period.end.month), set()).add(period.start.year)
        return self._years


def _resolve(match: re.Match[str], issue_date: date) -> Period | None:
    if match["same"] is not None:  # 去年同期: the year so far, one year earlier
        return Period(match.group(0), date(issue_date.year - 1, 1, 1), _year_earlier(issue_date), OTHER)
    explicit = match["year"] is not None or match["rel"] is not None
    year = int(match["year"]) if match["year"] else issue_date.year
    year -= g.RELATIVE_YEARS.get(match["rel"] or "", 0)
    if match["sofar"] is not None:  # 今年以来, 2023年以来: from the year's first day to the paper's
        return Period(match.group(0), date(year, 1, 1), issue_date, OTHER)
    months = _months(match)
    kind = NAMED if explicit else BARE
    if months is None:
        if not explicit:
            return None
        months, kind = (1, 12), YEAR
    first, last = months
    if not 1 <= first <= last <= 12:
        return None
    if not explicit and date(year, last, 1) > issue_date:  # 四季度 in a January paper is last year's
        year -= 1
    return Period(match.group(0), date(year, first, 1), date(year, last, monthrange(year, last)[1]), kind)


def _year_earlier(day: date) -> date:
    return day.replace(year=day.year - 1, day=min(day.day, monthrange(day.year - 1, day.month)[1]))


def _months(match: re.Match[str]) -> tuple[int, int] | None:
    quarter = match["quarter"] or match["quarter2"]
    if quarter:
        q = int(quarter) if quarter.isdigit() else DIGITS[quarter]
        return 3 * q - 2, 3 * q
    if match["half"]:
        return (1, 6) if match["half"] == "上" else (7, 12)
    if match["q3"] is not None:
        return 1, 9
    if match["full"] is not None:
        return 1, 12
    if match["m1"]:
        return cn_integer(match["m1"]), cn_integer(match["m2"])
    if match["firstn"]:
        return 1, cn_integer(match["firstn"])
    if match["monthend"]:  # 截至6月底: the year so far
        return 1, int(match["monthend"])
    if match["month"]:
        return int(match["month"]), int(match["month"])
    return None
