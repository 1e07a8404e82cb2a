"""A provincial paper has no default city: its figures count for Shuozhou only where the story names 朔州 or one
of its counties. A city paper's figures with no place named are the city's, as always."""

from __future__ import annotations

from datetime import date

from szwatch.monitor.detection.findings import find, story_text
from szwatch.monitor.detection.match import Matcher
from szwatch.monitor.detection.places import OTHER
from szwatch.monitor.detection.watchlist import load_watchlist

WATCHLIST = load_watchlist()
MATCHER = Matcher(WATCHLIST)
CITY_PAPER, PROVINCIAL_PAPER = None, OTHER  # the story's default place, as the app passes it per paper


def shuozhou_figures(text: str, default_place: str | None) -> list[tuple[str, float | None, str]]:
    story = story_text(None, None, None, text.split("\n"))
    found = find(story, MATCHER, WATCHLIST, date(2024, 5, 7), default_place).observations
    return [(o.indicator_id, o.growth_pct, o.scope) for o in found if o.scope != OTHER]


def test_an_unplaced_figure_is_the_citys_in_a_city_paper_and_nobodys_in_a_provincial_one():
    text = "今年一季度，全市地区生产总值完成298.6亿元，同比增长5.4%。"

    assert shuozhou_figures(text, CITY_PAPER) == [("gdp", 5.4, "全市")]
    assert shuozhou_figures(text, PROVINCIAL_PAPER) == []


def test_a_provincial_story_about_taiyuan_gives_no_shuozhou_figure():
    text = "太原市一季度地区生产总值完成1300亿元，同比增长5.1%。"

    assert shuozhou_figures(text, PROVINCIAL_PAPER) == []


def test_a_provincial_story_that_names_shuozhou_gives_its_figure():
    assert shuozhou_figures("朔州市一季度地区生产总值完成298.6亿元，同比增长5.4%。", PROVINCIAL_PAPER) == [
        ("gdp", 5.4, "全市")
    ]
    assert shuozhou_figures("怀仁市一季度地区生产总值完成156.3亿元，同比增长6.8%。", PROVINCIAL_PAPER) == [
        ("gdp", 6.8, "怀仁市")
    ]
