"""Project facts as a careful reader takes them: per clause, for the project that governs it, only what happened."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from szwatch.monitor.detection.facts import mention_facts, story_facts
from szwatch.monitor.detection.findings import find, story_text
from szwatch.monitor.detection.match import Matcher
from szwatch.monitor.detection.watchlist import Watch, Watchlist, load_watchlist
from szwatch.store.models import Mention

WATCHLIST = Watchlist(
    Path("<test>"),
    (
        *load_watchlist().watches,
        Watch("hongda", "project", "宏达新材料项目"),
        Watch("hengtai", "project", "恒泰陶瓷项目"),
    ),
    "test",
)
MATCHER = Matcher(WATCHLIST)


def facts(text: str) -> list[tuple[str, str, str]]:
    found = find(story_text(None, None, None, [text]), MATCHER, WATCHLIST, date(2024, 5, 7))
    return sorted((f.watch_id, f.field, f.value) for f in found.facts)


def test_two_projects_of_one_sentence_keep_their_own_facts():
    assert facts("总投资52亿元的宏达新材料项目完成可研，投资38亿元的恒泰陶瓷项目开工。") == [
        ("hengtai", "investment", "38亿元"),
        ("hengtai", "stage", "开工"),
        ("hongda", "investment", "52亿元"),
    ]


def test_a_fact_in_a_later_clause_belongs_to_the_project_named_before():
    assert facts("东立20万吨高纯多晶硅及配套项目今年4月开工，总投资200亿元，分期建设。") == [
        ("dongli-polysilicon", "investment", "200亿元"),
        ("dongli-polysilicon", "stage", "开工"),
    ]


def test_another_project_in_a_later_clause_ends_the_carry():
    assert facts("东立、立晶等5个项目相继开工，海泰新能源等3个项目建成投产。") == [
        ("dongli-polysilicon", "stage", "开工"),
        ("lijing-sic", "stage", "开工"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "据测算，东立多晶硅项目全部建成后，年产值将超过400亿元。",
        "东立多晶硅项目将于年底投产。",
        "力争东立多晶硅项目年内投产。",
        "集大原高铁距离开通运营又近了一步。",
        "中煤平朔煤基烯烃一体化项目开工前准备工作全面提速。",
        "要推动煤基烯烃一体化项目早日开工。",
        "东立多晶硅项目尚未投产。",
        "宝武太钢集团是国内最大的钢企，太钢等大型钢企的订单稳定，企业开工率保持在85%以上。",
    ],
    ids=["after-completion", "will", "strive", "closer-to", "before-start", "push-for", "not-yet", "operating-rate"],
)
def test_a_stage_counts_only_when_it_happened(text: str):
    assert [f for f in facts(text) if f[1] == "stage"] == []


def test_happened_wins_over_a_plan_in_the_same_sentence():
    assert facts("东立多晶硅项目已于4月开工，计划年底投产。") == [("dongli-polysilicon", "stage", "开工")]


def test_a_group_shares_a_stage_but_not_an_investment():
    assert facts("东立多晶硅项目、长庚金晶高纯硅材料项目等重点项目合计总投资260亿元，均已开工建设。") == [
        ("changgeng-silicon", "stage", "开工"),
        ("dongli-polysilicon", "stage", "开工"),
    ]


def test_spending_so_far_is_not_the_investment():
    assert facts("东立多晶硅项目1—2月完成投资9.6亿元。") == []


def test_progress_in_either_order_and_partial_completion_is_construction():
    assert facts("中煤平朔煤基烯烃一体化项目前期要件21项已办结17项。") == [("zhongmei-olefin", "progress", "17/21")]
    assert facts("三一朔州光伏全产业链项目6个子项中已有4个完成主体施工。") == [
        ("sany-pv", "progress", "4/6"),
        ("sany-pv", "stage", "在建"),
    ]
    assert facts("东立20万吨高纯多晶硅及配套项目一期12个单体工程已完工9个。") == [
        ("dongli-polysilicon", "progress", "9/12"),
        ("dongli-polysilicon", "stage", "在建"),
    ]


def test_a_site_belongs_to_the_last_project_named():
    text = "观摩团来到中煤平朔在我市建设的百万吨级烯烃生产基地和立晶碳化硅项目二期施工现场。"
    assert facts(text) == [("lijing-sic", "stage", "在建")]


def test_stored_mentions_give_the_same_facts_as_the_hits():
    text = story_text(None, None, None, ["总投资52亿元的宏达新材料项目完成可研，投资38亿元的恒泰陶瓷项目开工。"])
    found = find(text, MATCHER, WATCHLIST, date(2024, 5, 7))
    rows = [
        Mention(watch_id=h.watch_id, story_url="u", article_id=1, surface=h.surface, kind=h.kind,
                snippet=h.sentence.text.strip(), sentence_index=h.sentence.index, start=h.start, end=h.end)
        for h in found.mentions
    ]  # fmt: skip
    stored = sorted((f.watch_id, f.field, f.value, f.clause) for f in story_facts(mention_facts(rows)))
    assert stored == sorted((f.watch_id, f.field, f.value, f.clause) for f in found.facts)
    assert ("hengtai", "stage", "开工", "投资38亿元的恒泰陶瓷项目开工") in stored


@pytest.mark.parametrize(
    ("text", "stages"),
    [
        ("立晶碳化硅项目的投产将填补我省在该领域的空白。", []),
        ("宏达新材料项目建成必将带动下游产业发展。", []),
        ("长庚金晶高纯硅材料项目的落地，为我市吸引更多外资企业落户探了路。", []),
        ("此前已建成的大张高铁、大西高铁与集大原高铁在大同交会衔接。", []),
        ("东立光伏的多晶硅项目建设如火如荼，其在乌海的基地也已投产。", ["在建"]),
    ],
    ids=["nominal-stage-then-future", "stage-then-future", "attracting-others", "attributive-of-another", "elsewhere"],
)
def test_a_stage_that_is_to_come_or_belongs_to_another_is_not_the_projects(text: str, stages: list[str]):
    assert [v for _, f, v in facts(text) if f == "stage"] == stages


def test_a_stage_followed_by_the_time_since_it_happened_counts():
    assert facts("东立多晶硅项目开工将近一年，进展顺利。") == [("dongli-polysilicon", "stage", "开工")]


def test_an_attributive_stage_counts_for_the_project_it_qualifies():
    assert facts("已建成的集大原高铁运行平稳。") == [("jidayuan-hsr", "stage", "投产")]
    assert facts("同日开工的还有东立20万吨高纯多晶硅及配套项目。") == [("dongli-polysilicon", "stage", "开工")]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("宝武低碳铬合金项目总投资386000万元。", "38.6亿元"),
        ("宏达新材料项目总投资1250000万元。", "125亿元"),
        ("宏达新材料项目总投资8000万元。", "8000万元"),
        ("长庚金晶高纯硅材料项目总投资13500万美元。", "1.35亿美元"),
    ],
    ids=["wan-to-yi", "large", "below-one-yi-stays", "dollars"],
)
def test_investments_in_wan_are_reported_in_yi(text: str, amount: str):
    assert [v for _, f, v in facts(text) if f == "investment"] == [amount]


def test_respective_investments_of_a_list_go_in_order_or_not_at_all():
    assert facts("东立多晶硅项目和山西立晶碳化硅项目计划总投资分别为200亿元和15亿元，均已于4月7日开工建设。") == [
        ("dongli-polysilicon", "investment", "200亿元"),
        ("dongli-polysilicon", "stage", "开工"),
        ("lijing-sic", "investment", "15亿元"),
        ("lijing-sic", "stage", "开工"),
    ]
    assert facts("东立多晶硅项目和山西立晶碳化硅项目总投资分别为200亿元、15亿元和3亿元。") == []


@pytest.mark.parametrize(
    ("text", "progress"),
    [
        ("朔州能源职业技术学院一期8栋单体建筑中已有6栋完成主体封顶。", "6/8"),
        ("宝武太钢低碳铬合金项目一期4台矿热炉中已有3台完成安装。", "3/4"),
        ("集大原铁路朔州境内的3座车站中，山阴南站、应县西站已完成主体施工。", "2/3"),
        ("集大原高铁沿线5座车站中，已有3座完成主体施工。", "3/5"),
        ("东立多晶硅项目一期12台还原炉中已有10台投入使用。", "10/12"),
    ],
    ids=["buildings", "furnaces", "done-parts-listed", "done-part-after-a-comma", "in-use"],
)
def test_progress_counted_in_any_unit_or_listed(text: str, progress: str):
    assert [v for _, f, v in facts(text) if f == "progress"] == [progress]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # checks before opening are no stage
        ("集大原高铁全线进入联调联试阶段。", None),
        ("集大原高铁已完成竣工验收。", None),
        # the work described, not where it stands
        ("集大原高铁穿越山区，施工难度大。", None),
        ("集大原高铁恒山隧道地质复杂，施工安全风险极高。", None),
        ("中铁六局承建施工的集大原高铁二标段长35.9公里。", None),
        # a noun phrase, a slogan, a route
        ("集大原高铁开工建设对完善山西铁路网具有积极作用。", None),
        ("集大原高铁开通运营初期，每日开行列车20对。", None),
        ("东立多晶硅项目实现当年建设、当年投产。", None),
        ("集大原高铁北起乌兰察布，经由大西高铁与太原市贯通。", None),
        # a part of the project built is construction of the project
        ("在集大原高铁应县南互通桥施工现场，记者看到互通桥已建成。", "在建"),
        # a ceremony of a start is the start, whatever work its name mentions
        ("集大原高铁开工暨基础施工首基试点仪式在朔州举行。", "开工"),
        ("宣布集大原高铁全线建设正式启动。", "开工"),
        # construction words of lines and tunnels; a work mostly done is still under construction
        ("集大原高铁恒山隧道斜井全部开挖完成。", "在建"),
        ("集大原高铁1A合同段进行路面铺筑作业。", "在建"),
        ("集大原高铁应县西站站房已基本完工。", "在建"),
        ("集大原高铁项目负责人介绍说，主体工程已全部完成，金融中心建设已经进入尾声。", "在建"),
        # signing written as an agreement signed; operating written as trains run or machines turning
        ("集大原高铁建设合作协议签署仪式在太原举行。", "签约"),
        ("一季度运行图调整后，经集大原高铁开行的列车增加到124趟。", "投产"),
        ("在集大原高铁投产的同时，积极推进配套项目建设。", "投产"),
    ],
)
def test_stage_words_that_say_no_stage_of_the_project(text: str, expected: str | None):
    stages = [value for _, field, value in facts(text) if field == "stage"]
    assert stages == ([expected] if expected else [])


def test_an_approximate_amount_is_the_amount_stated():
    assert facts("总投资达290多亿元的中煤平朔煤基烯烃一体化项目已上报国家发改委。") == [
        ("zhongmei-olefin", "investment", "290亿元")
    ]


def test_a_total_built_in_a_clause_naming_no_project_is_not_the_stage_of_the_one_before():
    assert facts("推动东立多晶硅项目开工，已建成运营光伏装机851万千瓦。") == []


def test_companies_standing_for_their_projects_in_a_list_share_its_stage():
    assert facts("以宝武太钢、东立为代表的12个项目集中开工。") == [
        ("baowu-chrome", "stage", "开工"),
        ("dongli-polysilicon", "stage", "开工"),
    ]


def test_the_venue_of_a_ceremony_did_not_start_the_project_there_did():
    watches = Watchlist(Path("<test>"), (*WATCHLIST.watches, Watch("park", "project", "低碳硅芯产业园")), "test")
    text = story_text(None, None, None, ["开工仪式在低碳硅芯产业园东立多晶硅项目现场举行。"])
    found = find(text, Matcher(watches), watches, date(2024, 5, 7))
    assert sorted((f.watch_id, f.field, f.value) for f in found.facts) == [("dongli-polysilicon", "stage", "开工")]
