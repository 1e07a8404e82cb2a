"""What the matcher finds in a sentence, read as a reader would: one case per phrasing the paper uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from szwatch.monitor.detection.findings import story_text
from szwatch.monitor.detection.match import Matcher
from szwatch.monitor.detection.places import places
from szwatch.monitor.detection.watchlist import Watch, Watchlist, load_watchlist

MATCHER = Matcher(load_watchlist())


def found(text: str) -> list[tuple[str, str, str]]:
    return [(h.watch_id, h.kind, h.surface) for h in MATCHER.find(story_text(None, None, None, [text]))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("中煤平朔煤基烯烃一体化项目顺利推进。", [("zhongmei-olefin", "name", "中煤平朔煤基烯烃一体化项目")]),
        ("煤基烯烃一体化项目前期手续完成八成。", [("zhongmei-olefin", "alias", "煤基烯烃一体化项目")]),
        ("宝武朔州绿色低碳铬基合金项目主厂房封顶。", [("baowu-chrome", "variant", "宝武朔州绿色低碳铬基合金项目")]),
        ("中煤朔州煤基烯烃一体化项目加快推进。", [("zhongmei-olefin", "variant", "中煤朔州煤基烯烃一体化项目")]),
        ("东立20万吨高纯多晶硅及配套项目开工。", [("dongli-polysilicon", "variant", "东立20万吨高纯多晶硅及配套项目")]),
        ("三一集团光伏全产业链项目建成投产。", [("sany-pv", "variant", "三一集团光伏全产业链项目")]),
        ("中煤平朔集团的烯烃项目环评获批。", [("zhongmei-olefin", "keywords", "中煤平朔集团的烯烃项目")]),
        ("中煤平朔集团的煤制烯烃项目环评获批。", [("zhongmei-olefin", "variant", "中煤平朔集团的煤制烯烃项目")]),
        ("在宝武朔州铬基合金项目现场。", [("baowu-chrome", "keywords", "宝武朔州铬基合金项目")]),
        (
            "东立20万吨高纯多晶硅及配套、立晶碳化硅等项目开工。",
            [
                ("dongli-polysilicon", "variant", "东立20万吨高纯多晶硅及配套"),
                ("lijing-sic", "alias", "立晶碳化硅"),
            ],
        ),
        ("晋北化工等4个项目年内开工。", []),
        ("结合三一等项目落地，推进光伏产业发展。", [("sany-pv", "company", "三一")]),
        (
            "三一集团、长庚金晶等项目进展顺利。",
            [("sany-pv", "company", "三一集团"), ("changgeng-silicon", "company", "长庚金晶")],
        ),
        ("三一光伏项目进展顺利。", [("sany-pv", "company", "三一光伏项目")]),
    ],
    ids=[
        "name",
        "alias",
        "variant-baowu",
        "variant-zhongmei",
        "variant-dongli",
        "variant-sany",
        "keywords",
        "synonym-inside-name",
        "keywords-surface-whole-phrase",
        "variant-surface-not-cut",
        "unwatched-company",
        "company-etc-projects",
        "companies-listed",
        "company-with-own-words",
    ],
)
def test_project_wordings_are_found(text: str, expected: list[tuple[str, str, str]]):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "海泰新能源2GW异质结光伏组件项目同日开工。",
        "中煤平朔安太堡露天煤矿完成年度剥离任务。",
        "三一重能风电装备项目首台风机下线。",
        "宝武集团在朔州的另一个项目也在洽谈中。",
        "该项目建成后年产值可达400亿元。",
        "这是三一集团继光伏之后在我市布局的又一新能源产业。",
        "三一、长庚金晶等企业发展势头良好。",
        "交通、水利、能源等项目加快建设。",
        "三一重能风电装备等项目签约落地。",
    ],
    ids=[
        "other-pv-project",
        "zhongmei-coal-mine",
        "sany-wind",
        "baowu-other-project",
        "anaphora",
        "sany-group-pv-word",
        "companies-without-projects",
        "common-word-is-no-company",
        "sany-other-project-etc",
    ],
)
def test_other_projects_do_not_match(text: str):
    assert [f for f in found(text) if f[0] not in {"gdp", "fai"}] == []


def test_ocr_gaps_do_not_hide_a_match():
    assert ("fai", "name", "固定资产投资") in found("全市固 定 资 产 投 资增长9.6%。")


def test_one_mention_per_watch_and_sentence_best_wording_first():
    text = "中煤平朔煤基烯烃一体化项目即煤基烯烃一体化项目。煤基烯烃一体化项目进展顺利。"
    assert found(text) == [
        ("zhongmei-olefin", "name", "中煤平朔煤基烯烃一体化项目"),
        ("zhongmei-olefin", "alias", "煤基烯烃一体化项目"),
    ]


def test_exclude_vetoes_an_indicator_inside_a_longer_phrase():
    assert found("全年人均地区生产总值达到79316元。") == []
    assert [f[0] for f in found("全市地区生产总值增长5.2%。")] == ["gdp"]


def test_a_company_name_longer_than_the_anchor_with_a_count_of_projects():
    watches = (*load_watchlist().watches, Watch("jinbei", "project", "晋北化工煤制乙二醇项目"))
    matcher = Matcher(Watchlist(Path("<test>"), watches, "test"))
    hits = matcher.find(story_text(None, None, None, ["晋北化工等4个项目年内开工。", "晋北铝业等企业参加。"]))
    assert [(h.watch_id, h.kind, h.surface, h.sentence.index) for h in hits] == [("jinbei", "company", "晋北化工", 0)]


@pytest.mark.parametrize(
    "text",
    [
        "东立光伏在内蒙古乌海市投资建设的10万吨多晶硅项目二期开工。",
        "东立光伏宁夏多晶硅项目投产。",
        "太钢集团在太原本部建设的高端含铬不锈钢精密带钢项目正式投产。",
        "宝武集团同期在新疆推进的铬铁合金冶炼项目也已完成主体施工。",
        "三一集团在湖南长沙的光伏全产业链项目已建成。",
        "长庚金晶的母公司在日本本土拥有两座硅材料工厂。",
        "东立光伏在临猗县投资建设的多晶硅项目开工。",
        "乌海市东立光伏多晶硅项目开工。",
    ],
    ids=[
        "city-in-province",
        "province-no-suffix",
        "city",
        "region",
        "province-and-city",
        "country",
        "other-county",
        "place-right-before",
    ],
)
def test_a_wording_with_no_name_in_a_clause_placed_elsewhere_is_another_project(text: str):
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("东立光伏在我市平鲁区投资建设的多晶硅项目开工。", "variant"),
        ("宝武太钢在山西朔州建设的铬系合金项目已开工。", "keywords"),
        ("来自北京的东立光伏多晶硅项目负责人介绍，项目已开工。", "variant"),
        ("长庚金晶引进日本技术建设的高纯硅材料工厂正在调试。", "variant"),
        ("东立光伏的多晶硅项目产品销往江苏、浙江等地。", "variant"),
    ],
    ids=["city-place-in-clause", "province-of-the-city", "origin", "technology-of-a-country", "destination"],
)
def test_a_place_that_does_not_locate_the_project_keeps_it(text: str, expected: str):
    assert [kind for _, kind, _ in found(text)] == [expected]


def test_an_exact_name_or_alias_matches_wherever_the_clause_is():
    assert found("宝武太钢低碳铬合金项目在太原签约。") == [("baowu-chrome", "name", "宝武太钢低碳铬合金项目")]
    assert found("集大原高铁北起内蒙古乌兰察布市。") == [("jidayuan-hsr", "name", "集大原高铁")]


@pytest.mark.parametrize(
    ("text", "other"),
    [
        ("临猗县固定资产投资同比增长18.3%", ["临猗县"]),
        ("东立光伏在内蒙古乌海市投资建设", ["内蒙古", "乌海市"]),
        ("宝武集团同期在新疆推进", ["新疆"]),
        ("全市、我市、该市、本市、城市、超市、市场、县域、市级、省级、全省、全县、工业强市、养殖大县", []),
        ("记者从市统计局获悉，市县两级将成立专班，企业开拓市场", []),
        ("四季长春，长治久安，复合肥，幸福建设，朔城区南榆林乡", []),
        ("朔州市、朔城区、平鲁区、怀仁市、山阴县、应县、右玉县、朔州经济开发区、山西省", []),
    ],
    ids=["county", "province-and-city", "region", "generic-words", "city-organs", "false-friends", "the-city"],
)
def test_other_places_are_told_from_the_city_and_from_generic_words(text: str, other: list[str]):
    assert [p.name for p in places(text) if not p.ours] == other


def test_a_demonstrative_description_may_share_the_keywords_but_not_point_at_a_company():
    named = "宝武太钢低碳铬合金项目开工。\n"
    hits = MATCHER.find(named + "太钢集团表示，这座以铬矿为原料的合金冶炼基地建成后将年产铬铁40万吨。")
    assert [(h.watch_id, h.kind) for h in hits] == [("baowu-chrome", "name"), ("baowu-chrome", "described")]
    hits = MATCHER.find(named + "太钢集团表示，该集团在新疆的铬铁冶炼基地也已投产。")
    assert [h.kind for h in hits] == ["name"]


@pytest.mark.parametrize(
    "text",
    [
        "国家发改委批复同意新建集宁经大同至原平铁路。",
        "集宁至大同至原平高速铁路北起乌兰察布站。",
        "集(集宁)大(大同)原(原平)高铁是呼南通道的一部分。",
    ],
)
def test_a_line_named_by_the_places_it_joins_is_the_watched_line(text: str):
    assert [(h.watch_id, h.kind) for h in MATCHER.find(text)] == [("jidayuan-hsr", "variant")]


def test_places_joined_by_a_dash_are_a_route_not_where_the_project_is():
    watches = [Watch("uhv", "project", "晋北—江苏±800千伏特高压直流输电工程")]
    hits = Matcher(watches).find("晋北—江苏南京±800千伏特高压直流输电工程在朔州市平鲁区开工建设。")
    assert [h.watch_id for h in hits] == ["uhv"]


def test_a_name_without_its_qualifier_a_county_or_its_specifications_is_a_variant():
    watches = [
        Watch("olefin", "project", "中煤平朔煤基烯烃一体化项目", aliases=("煤基烯烃一体化项目",)),
        Watch("parlor", "project", "右玉县城市会客厅项目"),
        Watch("uhv", "project", "晋北—江苏±800千伏特高压直流输电工程"),
    ]
    matcher = Matcher(watches)
    assert [h.watch_id for h in matcher.find("市煤基烯烃项目专班召开会议。")] == ["olefin"]
    assert [h.watch_id for h in matcher.find("右玉县文旅项目建设正酣。\n城市会客厅项目施工现场一片繁忙。")] == [
        "parlor"
    ]
    assert matcher.find("城市会客厅项目施工现场一片繁忙。") == []  # no 右玉 in the story: any city's parlour
    assert [h.watch_id for h in matcher.find("晋北—江苏特高压工程江苏段开工。")] == ["uhv"]


def test_a_mine_sharing_only_the_kind_of_plant_is_another_mine():
    matcher = Matcher([Watch("anjialing", "project", "平朔安家岭露天煤矿")])
    assert matcher.find("平朔安太堡露天煤矿是我国规模最大的煤炭生产基地之一。") == []
    assert [h.surface for h in matcher.find("2006年建成投产的平朔安家岭项目首创露井联采模式。")] == ["平朔安家岭项目"]


def test_a_qualifier_inside_a_countys_project_name_is_a_variant():
    matcher = Matcher([Watch("yingxian-airport", "project", "应县机场")])
    assert [(h.watch_id, h.kind, h.surface) for h in matcher.find("新建应县通用机场项目获批。")] == [
        ("yingxian-airport", "variant", "应县通用机场项目")
    ]


def test_a_company_word_names_its_project_only_with_the_names_words_or_a_project_reference():
    """Most company words in a story are left out before any watch is looked at (the speed of a large watchlist);
    the ones that name a project — with the name's words written as a synonym (煤制 for 煤基), or before 等项目 —
    are still found."""
    matcher = Matcher([Watch("olefin", "project", "中煤朔州煤基烯烃一体化项目"),
                       Watch("sany", "project", "三一光伏产业园项目")])  # fmt: skip

    def hits(text: str) -> list[tuple[str, str, str]]:
        return [(h.watch_id, h.kind, h.surface) for h in matcher.find(text)]

    assert hits("中煤集团在朔州投资的煤制烯烃一体化项目正式开工。") == [
        ("olefin", "variant", "中煤集团在朔州投资的煤制烯烃一体化项目")
    ]
    assert hits("三一等项目集中开工。") == [("sany", "company", "三一")]
    assert hits("中煤集团召开年度工作会议，部署安全生产。") == []
    assert hits("三一集团董事长来朔考察。") == []
