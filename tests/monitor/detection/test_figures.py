"""Indicator figures as a careful reader lists them: value, unit, growth, period, scope, rank, relative."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from szwatch.monitor.detection.figures import extract
from szwatch.monitor.detection.findings import find, story_text
from szwatch.monitor.detection.match import Matcher
from szwatch.monitor.detection.periods import find_period
from szwatch.monitor.detection.watchlist import Watch, Watchlist, load_watchlist

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


def test_a_headline_figure_repeated_with_its_level_in_the_body_is_one_figure():
    """The title's growth and the body's level and growth of the same period and area are one figure: two rows
    would be two alerts for it. A different growth, period or area stays a figure of its own."""
    story = "上半年怀仁市地区生产总值增长6.1%\n今年上半年，怀仁市地区生产总值完成142.3亿元，同比增长6.1%。"
    assert figures(story) == [("gdp", 142.3, "亿元", 6.1, "今年上半年", "怀仁市", "", False)]
    other = "上半年怀仁市地区生产总值增长6.3%\n今年上半年，怀仁市地区生产总值完成142.3亿元，同比增长6.1%。"
    assert len(figures(other)) == 2


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


# Issue #10: the phrasings of real reporting, read with watches the example list does not have.
EXTRA = Watchlist(
    Path("<test>"),
    (
        *WATCHLIST.watches,
        Watch("transport-investment", "indicator", "交通投资"),
        Watch("water-investment", "indicator", "水利投资"),
        Watch("vegetable-output", "indicator", "蔬菜产量", aliases=("蔬菜总产量",)),
        Watch("signed-projects", "indicator", "招商引资项目"),
    ),
    "test",
)
EXTRA_MATCHER = Matcher(EXTRA)


def read(text: str, issue: date = ISSUE) -> list[tuple]:
    story = story_text(None, None, None, text.split("\n"))
    found = find(story, EXTRA_MATCHER, EXTRA, issue).observations
    return [(o.indicator_id, o.value, o.unit, o.growth_pct, o.scope, o.relative, o.rule) for o in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一季度，全市制造业增加值增速12.3%。", ("manufacturing-va", None, "", 12.3)),
        ("一季度，全市固定资产投资同比降低3.2%。", ("fai", None, "", -3.2)),
        ("一季度，全市规上工业增加值同比增长幅度为5.4%。", ("industrial-va", None, "", 5.4)),
        ("一季度，全市社零额同比增5.1%。", ("retail-sales", None, "", 5.1)),
    ],
    ids=["noun-without-verb", "jiangdi-is-a-decline", "zengzhang-fudu", "short-verb-after-comparison"],
)
def test_growth_written_without_a_verb_or_with_a_new_one(text: str, expected: tuple):
    assert [f[:4] for f in read(text)] == [expected]


def test_a_shared_head_is_distributed_over_the_enumeration():
    assert read("1—4月，全市交通、水利、能源投资分别增长8.1%、5.6%、12.0%。") == [
        ("transport-investment", None, "", 8.1, "全市", False, "shared-head+respectively"),
        ("water-investment", None, "", 5.6, "全市", False, "shared-head+respectively"),
    ]


def test_respectively_pairs_in_order_with_unwatched_members_or_refuses():
    assert [f[:4] for f in read("1—4月，全市工业投资、基础设施投资、民间投资分别增长8.1%、5.6%、12.0%。")] == [
        ("industrial-investment", None, "", 8.1),
        ("private-investment", None, "", 12.0),
    ]
    assert read("1—4月，全市工业投资、民间投资分别增长8.1%、5.6%、12.0%。") == []


def test_the_topic_of_a_clause_is_carried_to_an_elliptical_measure():
    assert read("去年，全市蔬菜种植面积12.5万亩，总产量86.3万吨，增长3.1%。") == [
        ("vegetable-output", 86.3, "万吨", 3.1, "全市", False, "topic+carried")
    ]


def test_a_count_and_an_amount_of_one_indicator():
    assert read("一季度，全市新签约招商引资项目58个，计划总投资312亿元。") == [
        ("signed-projects", 58.0, "个", None, "全市", False, "clause"),
        ("signed-projects", 312.0, "亿元", None, "全市", False, "attribute"),
    ]


def test_relative_figure_written_with_percent():
    assert read("一季度，全市地区生产总值增长5.2%，增速高于全省3.1%。") == [
        ("gdp", None, "", 5.2, "全市", False, "clause"),
        ("gdp", None, "", 3.1, "全市", True, "carried+relative"),
    ]


def test_an_explicit_city_subject_wins_over_the_county_of_earlier_sentences():
    found = read(
        "上半年，怀仁市地区生产总值增长6.8%，增速高于全市1.1个百分点。\n截至去年底，朔州市固定资产投资完成800亿元。"
    )
    assert [(f[0], f[4]) for f in found] == [("gdp", "怀仁市"), ("gdp", "怀仁市"), ("fai", "全市")]


def test_a_county_named_in_a_later_clause_scopes_its_figures():
    found = read("分县看，应县粮食产量7.8亿斤，居全市首位；山阴县紧随其后，达6.5亿斤。")
    assert [(f[0], f[1], f[4]) for f in found] == [("grain-output", 7.8, "应县"), ("grain-output", 6.5, "山阴县")]


@pytest.mark.parametrize(
    "text",
    [
        "据统计，去年示范区固定资产投资增长18.2%，规上工业增加值增长9.6%。",
        "全市民间投资项目达到286个，比一季度增加41个。",
        "去年，全省地区生产总值增长4.8%。",
        "去年，全市地区生产总值1482.6亿元，人均GDP为10.8万元。",
    ],
    ids=["another-zone", "count-of-projects", "the-province", "excluded-wording-in-a-later-clause"],
)
def test_figures_that_are_not_ours(text: str):
    assert [f for f in read(text) if f[1] != 1482.6] == []


def test_a_comparison_with_last_year_is_not_the_period():
    story = story_text(
        None,
        None,
        None,
        ["一季度，全市经济稳中有进。", "全市固定资产投资较去年同期增长7.9%，增速较去年全年提高0.5个百分点。"],
    )
    found = find(story, MATCHER, WATCHLIST, date(2026, 4, 22)).observations
    assert [(o.indicator_id, o.period_start, o.period_end) for o in found] == [
        ("fai", date(2026, 1, 1), date(2026, 3, 31))
    ]


def test_a_paragraph_broken_mid_sentence_is_read_as_one():
    story = story_text(None, None, None, ["一季度，全县一般公共预", "算收入完成5.12亿元，同比增长8.3%。"])
    found = find(story, MATCHER, WATCHLIST, date(2024, 4, 23)).observations
    assert [(o.indicator_id, o.value, o.growth_pct) for o in found] == [("public-revenue", 5.12, 8.3)]


def test_figures_of_another_county_or_city_are_not_ours():
    story = (
        "今年以来，运城市临猗县坚持以项目论英雄。\n"
        "1—2月，临猗县固定资产投资同比增长18.3%，规模以上工业增加值增长9.6%，两项指标增速均位列运城市第一。\n"
        "据临猗县统计局数据，2023年全县地区生产总值完成268.5亿元，增长5.7%；粮食总产量达到8.9亿斤。\n"
        "规模以上工业增加值增长9.9%。"
    )
    assert figures(story) == []
    assert figures("今年1—4月，忻州市固定资产投资同比增长12.1%。") == []


def test_the_city_named_again_ends_a_story_of_another_place():
    story = "近年来，大同市在保护古城风貌上下功夫。\n一季度，我市地区生产总值增长6.1%。"
    assert figures(story) == [("gdp", None, "", 6.1, "一季度", "全市", "", False)]


@pytest.mark.parametrize(
    "text",
    [
        "一季度，全市地区生产总值增长6.1%，增速比太原市高0.5个百分点。",
        "我市与大同市、忻州市签订区域合作协议。\n一季度，全市地区生产总值增长6.1%。",
        "右玉羊肉推介会走进太原。\n一季度，全市地区生产总值增长6.1%。",
        "据新华社太原电，一季度全省地区生产总值增长5.0%。\n一季度，全市地区生产总值增长6.1%。",
    ],
    ids=["compared-with", "partner", "destination", "news-source"],
)
def test_another_place_that_is_not_the_subject_leaves_the_figures_ours(text: str):
    assert [(o[0], o[3], o[5]) for o in figures(text) if not o[7]] == [("gdp", 6.1, "全市")]


def test_a_county_compared_with_the_city_and_ranked_in_it():
    story = "怀仁市上半年经济运行观察\n上半年全市实现地区生产总值152.3亿元，同比增长5.8%，高于朔州市平均水平0.9个百分点。\n规模以上工业增加值同比增长10.6%，增速居全朔州第二。"
    assert figures(story) == [
        ("gdp", 152.3, "亿元", 5.8, "上半年", "怀仁市", "", False),
        ("gdp", None, "", 0.9, "上半年", "怀仁市", "", True),
        ("industrial-va", None, "", 10.6, "上半年", "怀仁市", "全朔州第二", False),
    ]


def test_an_indicator_named_twice_in_a_clause_is_read_once():
    text = "一季度，全市地区生产总值（GDP）实现602.5亿元，同比增长5.4%，比全国平均水平高0.4个百分点。"
    found = find(story_text(None, None, None, [text]), MATCHER, WATCHLIST, ISSUE)  # every name of the indicator
    assert [(o.value, o.growth_pct, o.relative) for o in found.observations] == [(602.5, 5.4, False), (None, 0.4, True)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上半年，固定资产投资方面，全县完成投资增长9.4%。", ("fai", None, 9.4)),
        ("上半年，一般公共预算收入完成14.7亿元，同口径增长3.2%。", ("public-revenue", 14.7, 3.2)),
        ("上半年，全县地区生产总值增长6.2%，增速排名全市第一，比全市平均水平高出1.5个百分点。", ("gdp", None, 6.2)),
    ],
    ids=["measure-alone-names-its-subject", "same-basis-growth", "rank-verb-between"],
)
def test_subject_carried_over_a_measure_a_basis_or_a_rank(text: str, expected: tuple):
    assert [(o[0], o[1], o[3]) for o in figures(text) if not o[7]] == [expected]


def test_a_rank_verb_does_not_break_the_subject_of_a_relative_figure():
    got = figures("上半年，应县地区生产总值增长6.2%，增速排名全市第一，比全市平均水平高出1.5个百分点。")
    assert [(o[3], o[6], o[7]) for o in got] == [(6.2, "全市第一", False), (1.5, "", True)]


def test_a_single_month_inside_a_year_to_date_story():
    story = "1—10月，全市社会消费品零售总额完成84.2亿元。\n其中，10月当月实现社会消费品零售额9.1亿元。"
    assert [o.period_start for o in extract_story(story)] == [date(2024, 1, 1), date(2024, 10, 1)]


def extract_story(text: str):
    story = story_text(None, None, None, text.split("\n"))
    hits = [h for h in MATCHER.find(story) if WATCHLIST.get(h.watch_id).kind == "indicator"]  # type: ignore[union-attr]
    return extract(story, hits, date(2024, 11, 26))


def test_several_periods_in_one_clause_give_one_observation_each_with_its_own_span():
    story = story_text(None, None, None, ["规上工业增加值一季度增长5.1%、上半年增长6.3%、前三季度增长6.8%。"])
    hits = [h for h in MATCHER.find(story) if h.watch_id == "industrial-va"]
    found = [(o.growth_pct, o.period_start, o.period_end, o.rule) for o in extract(story, hits, date(2024, 11, 5))]
    assert found == [
        (5.1, date(2024, 1, 1), date(2024, 3, 31), "clause+periods"),
        (6.3, date(2024, 1, 1), date(2024, 6, 30), "clause+periods"),
        (6.8, date(2024, 1, 1), date(2024, 9, 30), "clause+periods"),
    ]


def test_a_year_before_each_level_dates_it():
    found = figures("全市地区生产总值由2020年的1100.5亿元增加至2024年的1328.5亿元。", date(2025, 3, 1))
    assert [(value, period) for _, value, _, _, period, *_ in found] == [(1100.5, "2020年"), (1328.5, "2024年")]


def test_a_threshold_passed_is_no_level_and_a_figure_printed_twice_is_one():
    text = "2021年全市GDP完成1420.6亿元。\n全市2021年GDP突破1400亿元大关，达到1420.6亿元。"
    assert [value for _, value, *_ in figures(text, date(2022, 2, 1))] == [1420.6]


def test_the_city_named_right_before_the_indicator_is_the_scope_after_a_county():
    text = "怀仁市是县级市。\n2022年朔州GDP达1536.2亿元。"
    assert [scope for *_, scope, _, _ in figures(text, date(2023, 2, 1))] == ["全市"]


def test_an_output_written_as_verb_and_object_is_the_indicator():
    watches = Watchlist(Path("<test>"), (Watch("coal-output", "indicator", "原煤产量"),), "test")
    story = story_text(None, None, None, ["全年生产原煤2.33亿吨，增长7.2%。"])
    hits = Matcher(watches).find(story)
    found = [(o.indicator_id, o.value, o.unit, o.growth_pct) for o in extract(story, hits, date(2024, 2, 27))]
    assert found == [("coal-output", 2.33, "亿吨", 7.2)]


def test_the_longest_watched_name_wins():
    watches = Watchlist(Path("<test>"), (*WATCHLIST.watches, Watch("iva-short", "indicator", "工业增加值")), "test")
    story = story_text(None, None, None, ["1-10月，全市规模以上工业增加值增长7.9%。"])
    hits = [
        h for h in Matcher(watches).find(story, every_indicator=True) if h.watch_id in ("industrial-va", "iva-short")
    ]
    assert [o.indicator_id for o in extract(story, hits, date(2024, 11, 5))] == ["industrial-va"]


def test_paired_comparisons_give_two_relative_figures_and_no_stray_level():
    assert figures("全市地区生产总值增长5.2%，增速分别高于全国、全省2.1个和0.6个百分点。") == [
        ("gdp", None, "", 5.2, "", "全市", "", False),
        ("gdp", None, "", 2.1, "", "全市", "", True),
        ("gdp", None, "", 0.6, "", "全市", "", True),
    ]


def test_a_count_and_an_amount_of_a_watch_about_signed_projects_are_both_its_figures():
    watches = Watchlist(Path("<test>"), (Watch("signed", "indicator", "签约招商项目"),), "test")
    story = story_text(None, None, None, ["前5个月全市签约招商项目63个，协议投资额158亿元。"])
    found = extract(story, Matcher(watches).find(story, every_indicator=True), date(2024, 6, 10), Matcher(watches))
    assert [(o.value, o.unit, o.period_start, o.period_end, o.rule) for o in found] == [
        (63.0, "个", date(2024, 1, 1), date(2024, 5, 31), "clause"),
        (158.0, "亿元", date(2024, 1, 1), date(2024, 5, 31), "attribute"),
    ]


def test_kilowatt_hours_written_as_du_are_kilowatt_hours():
    watches = Watchlist(Path("<test>"), (Watch("power", "indicator", "发电量"),), "test")
    story = story_text(None, None, None, ["全年发电量350亿度，增长3.2%。"])
    found = extract(story, Matcher(watches).find(story, every_indicator=True), date(2024, 2, 1))
    assert [(o.value, o.unit, o.growth_pct) for o in found] == [(350.0, "亿千瓦时", 3.2)]


def test_an_output_written_as_the_verb_before_an_amount_in_its_unit_is_the_indicator():
    watches = Watchlist(Path("<test>"), (Watch("power", "indicator", "发电量"),), "test")
    matcher = Matcher(watches)
    story = story_text(None, None, None, ["全市累计发电350亿度，增长3.2%。", "新增光伏发电装机120万千瓦。"])
    found = extract(story, matcher.find(story, every_indicator=True), date(2024, 2, 1), matcher)
    assert [(o.indicator_id, o.value, o.unit, o.growth_pct) for o in found] == [("power", 350.0, "亿千瓦时", 3.2)]
