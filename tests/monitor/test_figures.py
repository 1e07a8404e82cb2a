"""Indicator figures as a careful reader lists them: value, unit, growth, period, scope, rank, relative."""

from __future__ import annotations

from datetime import date

import pytest

from szwatch.monitor.detection.figures import extract, find_period
from szwatch.monitor.detection.findings import story_text
from szwatch.monitor.detection.match import Matcher
from szwatch.monitor.detection.watchlist import load_watchlist

WATCHLIST = load_watchlist()
MATCHER = Matcher(WATCHLIST)
ISSUE = date(2024, 5, 7)


def figures(text: str, issue: date = ISSUE) -> list[tuple]:
    story = story_text(None, None, None, text.split("\n"))
    hits = [h for h in MATCHER.find(story) if WATCHLIST.get(h.watch_id).kind == "indicator"]  # type: ignore[union-attr]
    return [(o.indicator_id, o.value, o.unit, o.growth_pct, o.period, o.scope, o.rank, o.relative)
            for o in extract(story, hits, issue)]  # fmt: skip


def test_level_growth_and_relative_statement():
    assert figures("今年一季度，全市地区生产总值完成298.6亿元，同比增长5.4%，增速高于全省1.2个百分点。") == [
        ("gdp", 298.6, "亿元", 5.4, "今年一季度", "全市", "", False),
        ("gdp", None, "", 1.2, "今年一季度", "全市", "", True),
    ]


def test_packed_enumeration_gives_one_observation_each():
    assert figures("1—11月，全市工业投资、民间投资、技改投资分别增长6.2%、11.4%、23.7%。") == [
        ("industrial-investment", None, "", 6.2, "1—11月", "全市", "", False),
        ("private-investment", None, "", 11.4, "1—11月", "全市", "", False),
        ("techrenovation-investment", None, "", 23.7, "1—11月", "全市", "", False),
    ]


def test_chinese_numerals_decline_and_ocr_spaces():
    assert figures("去年全市地区生产总值增长百分之五点二。") == [("gdp", None, "", 5.2, "去年", "全市", "", False)]
    assert figures("前三季度，全市固 定 资 产 投 资完成 312.4 亿元，同比下降 8.3%。") == [
        ("fai", 312.4, "亿元", -8.3, "前三季度", "全市", "", False)
    ]


def test_county_scope_rank_and_period_carried_from_earlier_sentence():
    text = "上半年，怀仁市地区生产总值完成156.3亿元，同比增长6.8%，增速居全市第一。\n该市社会消费品零售总额增长5.9%。"
    assert figures(text) == [
        ("gdp", 156.3, "亿元", 6.8, "上半年", "怀仁市", "全市第一", False),
        ("retail-sales", None, "", 5.9, "上半年", "怀仁市", "", False),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "今年全市经济发展的主要预期目标是：地区生产总值增长6%左右，固定资产投资增长8%以上。",
        "东立多晶硅项目计划总投资200亿元，今年完成投资9.6亿元。",
        "其中，技改投资增速连续8个月保持在20%以上。",
        "2023年，全市城镇居民人均可支配收入增长5.6%。",
        "一般公共预算收入完成168.4亿元，其中税收收入完成121.7亿元。",
    ],
    ids=["targets", "project-figures", "threshold", "unwatched-indicator", "other-subject"],
)
def test_what_is_not_an_observation(text: str):
    assert [f for f in figures(text) if f[1] == 121.7 or f[0] not in {"public-revenue"}] == []


@pytest.mark.parametrize(
    ("phrase", "issue", "start", "end"),
    [
        ("去年", date(2024, 5, 7), date(2023, 1, 1), date(2023, 12, 31)),
        ("今年一季度", date(2023, 4, 25), date(2023, 1, 1), date(2023, 3, 31)),
        ("前三季度", date(2024, 10, 28), date(2024, 1, 1), date(2024, 9, 30)),
        ("1—11月", date(2024, 12, 18), date(2024, 1, 1), date(2024, 11, 30)),
        ("上半年", date(2024, 7, 30), date(2024, 1, 1), date(2024, 6, 30)),
        ("四季度", date(2024, 1, 20), date(2023, 10, 1), date(2023, 12, 31)),
        ("前4个月", date(2024, 5, 20), date(2024, 1, 1), date(2024, 4, 30)),
        ("2023年", date(2024, 1, 30), date(2023, 1, 1), date(2023, 12, 31)),
    ],
)
def test_periods_resolve_against_the_issue_date(phrase: str, issue: date, start: date, end: date):
    period = find_period(f"{phrase}，全市", issue)
    assert period is not None and (period.start, period.end) == (start, end)
