"""The span a period word means, in a January, a mid-year and a December paper: what a chart puts on its axis.

A span named without a year is the latest such span that has begun by the paper's date (一季度 in a January
paper is last year's first quarter; 1—11月 in July is last year's); 去年 is the year before the paper's; 今年以来
runs from the year's first day to the paper's date and 去年同期 is that span a year earlier.
"""

from __future__ import annotations

from datetime import date

import pytest

from szwatch.monitor.detection.findings import find, story_text
from szwatch.monitor.detection.match import Matcher
from szwatch.monitor.detection.periods import find_period
from szwatch.monitor.detection.watchlist import load_watchlist

JANUARY, JULY, DECEMBER = date(2024, 1, 15), date(2024, 7, 15), date(2024, 12, 20)
PAPERS = {"January": JANUARY, "July": JULY, "December": DECEMBER}


def span(first: str, last: str) -> tuple[date, date]:
    return date.fromisoformat(first), date.fromisoformat(last)


# period word -> its span in the January, the July and the December paper
TABLE = {
    "一季度": (span("2023-01-01", "2023-03-31"), span("2024-01-01", "2024-03-31"), span("2024-01-01", "2024-03-31")),
    "上半年": (span("2023-01-01", "2023-06-30"), span("2024-01-01", "2024-06-30"), span("2024-01-01", "2024-06-30")),
    "前三季度": (span("2023-01-01", "2023-09-30"), span("2023-01-01", "2023-09-30"), span("2024-01-01", "2024-09-30")),
    "1—11月": (span("2023-01-01", "2023-11-30"), span("2023-01-01", "2023-11-30"), span("2024-01-01", "2024-11-30")),
    "1-4月": (span("2023-01-01", "2023-04-30"), span("2024-01-01", "2024-04-30"), span("2024-01-01", "2024-04-30")),
    "1至10月": (span("2023-01-01", "2023-10-31"), span("2023-01-01", "2023-10-31"), span("2024-01-01", "2024-10-31")),
    "前11个月": (span("2023-01-01", "2023-11-30"), span("2023-01-01", "2023-11-30"), span("2024-01-01", "2024-11-30")),
    "全年": (span("2023-01-01", "2023-12-31"), span("2023-01-01", "2023-12-31"), span("2024-01-01", "2024-12-31")),
    "去年": (span("2023-01-01", "2023-12-31"), span("2023-01-01", "2023-12-31"), span("2023-01-01", "2023-12-31")),
    "今年以来": (span("2024-01-01", "2024-01-15"), span("2024-01-01", "2024-07-15"), span("2024-01-01", "2024-12-20")),
    "截至6月底": (span("2023-01-01", "2023-06-30"), span("2024-01-01", "2024-06-30"), span("2024-01-01", "2024-06-30")),
    "截至11月底": (span("2023-01-01", "2023-11-30"), span("2023-01-01", "2023-11-30"), span("2024-01-01", "2024-11-30")),
    "去年同期": (span("2023-01-01", "2023-01-15"), span("2023-01-01", "2023-07-15"), span("2023-01-01", "2023-12-20")),
}  # fmt: skip


@pytest.mark.parametrize(
    ("words", "paper", "expected"),
    [
        pytest.param(words, issue, spans[i], id=f"{words}-{name}")
        for words, spans in TABLE.items()
        for i, (name, issue) in enumerate(PAPERS.items())
    ],
)
def test_period_words_mean_a_span_from_the_papers_date(words: str, paper: date, expected: tuple[date, date]):
    period = find_period(f"{words}，全市地区生产总值增长5.2%。", paper)
    assert period is not None and (period.start, period.end) == expected


@pytest.mark.parametrize("paper", list(PAPERS.values()), ids=list(PAPERS))
def test_an_observation_stores_the_span_of_its_clause(paper: date):
    watchlist = load_watchlist()
    text = story_text(None, None, None, ["前三季度，全市地区生产总值完成912.4亿元，同比增长5.3%。"])
    [observation] = find(text, Matcher(watchlist), watchlist, paper).observations
    assert (observation.period_start, observation.period_end) == TABLE["前三季度"][list(PAPERS.values()).index(paper)]


def test_last_years_same_span_compared_with_is_no_period_of_the_figure():
    assert find_period("同比增长5.2%，比去年同期提高1.1个百分点。", JULY) is None


# -- a span named without its year, in a story that names its year ------------------------------------------

MARCH = date(2024, 3, 4)  # the demo puts the story below in a March paper: 上半年 alone would be last year's


def observations(title: str, paragraphs: list[str], paper: date) -> list[tuple[str, float | None, date, date]]:
    watchlist = load_watchlist()
    found = find(story_text(None, title, None, paragraphs), Matcher(watchlist), watchlist, paper).observations
    return [(o.indicator_id, o.growth_pct, o.period_start, o.period_end) for o in found]


def test_a_titles_bare_half_year_is_the_half_year_its_body_names():
    found = observations("上半年怀仁市地区生产总值增长6.1%",
                         ["今年上半年，怀仁市经济运行稳中向好。全市地区生产总值完成142.3亿元，同比增长6.1%。",
                          "上半年，怀仁市规模以上工业增加值增长7.4%。"], MARCH)  # fmt: skip

    assert {(start, end) for _, _, start, end in found} == {span("2024-01-01", "2024-06-30")}  # title and body
    assert ("gdp", 6.1, *span("2024-01-01", "2024-06-30")) in found


def test_a_titles_bare_months_are_the_months_its_body_names_this_year():
    found = observations("山阴县前4个月规上工业增加值增长6.5%",
                         ["今年1—4月，山阴县规模以上工业增加值同比增长6.5%。"], MARCH)  # fmt: skip

    assert found == [("industrial-va", 6.5, *span("2024-01-01", "2024-04-30"))]  # one figure, one period


def test_a_bare_span_in_title_and_body_follows_the_papers_date_alike():
    found = observations("上半年怀仁市地区生产总值增长6.1%", ["上半年，怀仁市地区生产总值同比增长6.1%。"], MARCH)

    assert found == [("gdp", 6.1, *span("2023-01-01", "2023-06-30"))]


def test_a_story_naming_the_span_in_two_years_leaves_a_bare_one_to_the_papers_date():
    found = observations("上半年地区生产总值增长5.6%",
                         ["去年上半年，全市地区生产总值增长4.1%。今年上半年，全市地区生产总值增长5.6%。"], JULY)  # fmt: skip

    assert ("gdp", 5.6, *span("2024-01-01", "2024-06-30")) in found
    assert ("gdp", 4.1, *span("2023-01-01", "2023-06-30")) in found
    assert all(start.year == 2024 for indicator, growth, start, _ in found if growth == 5.6)
