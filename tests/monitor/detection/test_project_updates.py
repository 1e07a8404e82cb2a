"""project_update alerts over a real store: a project moved only when its own clause says it has."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import session_scope
from szwatch.store.models import Alert, ProjectFact
from tests.conftest import store_story

WATCHLIST = load_watchlist()


def updates(engine: Engine) -> list[Alert]:
    with Session(engine) as session:
        return list(session.exec(select(Alert).where(Alert.rule == "project_update").order_by(Alert.id)).all())


def test_closer_to_and_after_completion_are_no_new_stage(engine: Engine):
    store_story(
        engine,
        date(2024, 3, 1),
        1,
        "项目建设",
        ["集大原高铁怀仁东站站房施工现场机器轰鸣。", "东立多晶硅项目开工建设。"],
    )
    detect(engine, WATCHLIST)
    store_story(engine, date(2024, 5, 7), 2, "联调联试", [
        "集大原高铁全线进入联调联试阶段，距离开通运营又近了一步。",
        "据测算，东立多晶硅项目全部建成后，年产值将超过400亿元。",
    ])  # fmt: skip
    detect(engine, WATCHLIST)
    assert updates(engine) == []


def test_each_project_keeps_its_own_investment_and_the_clause_is_the_evidence(engine: Engine):
    store_story(
        engine,
        date(2024, 1, 5),
        1,
        "签约",
        ["宝武太钢低碳铬合金项目总投资40亿元。", "长庚金晶高纯硅材料项目签约落户我市。"],
    )
    detect(engine, WATCHLIST)
    store_story(engine, date(2024, 4, 2), 2, "两大项目同步推进", [
        "总投资52亿元的宝武太钢低碳铬合金项目完成可研批复，投资1.35亿美元的长庚金晶高纯硅材料项目已于3月初开工。"
    ])  # fmt: skip
    detect(engine, WATCHLIST)

    by_watch = {(a.watch_id, a.change["field"]): a for a in updates(engine)}
    assert set(by_watch) == {("baowu-chrome", "investment"), ("changgeng-silicon", "stage")}
    investment = by_watch["baowu-chrome", "investment"].change
    assert (investment["before"], investment["after"]) == ("40亿元", "52亿元")
    assert investment["evidence"] == "总投资52亿元的宝武太钢低碳铬合金项目完成可研批复"
    stage = by_watch["changgeng-silicon", "stage"]
    assert (stage.change["before"], stage.change["after"]) == ("签约", "开工")
    assert stage.change["evidence"] == "投资1.35亿美元的长庚金晶高纯硅材料项目已于3月初开工"
    assert "【投资1.35亿美元的长庚金晶高纯硅材料项目已于3月初开工】" in (stage.snippet or "")
    with Session(engine) as session:
        facts = {(f.watch_id, f.field): f.value for f in session.exec(select(ProjectFact)).all()}
    assert facts[("changgeng-silicon", "investment")] == "1.35亿美元"
    assert facts[("baowu-chrome", "investment")] == "52亿元"
    assert ("baowu-chrome", "stage") not in facts


def store_page(engine: Engine, day: date, stories: dict[int, str], stored_first: list[int]) -> None:
    """Stories listed on page A1 of the day's issue in the order of ``stories`` (the paper's), stored in the order
    ``stored_first`` (a crawl's: ids follow it)."""
    base = f"http://szb.example/shtml/szrb/{day:%Y%m%d}/"
    urls = [f"{base}{number}.shtml" for number in stories]
    with session_scope(engine) as session:
        issue = articles.upsert_issue(session, day, base + "vA1.shtml")
        page = articles.upsert_page(session, issue, "A1", base + "vA1.shtml", "要闻", 0, urls)
    for number in stored_first:
        with session_scope(engine) as session:
            record = ArticleRecord(url=f"{base}{number}.shtml", number=str(number), title=f"报道{number}",
                                   paragraphs=[stories[number]], raw_paragraphs=[stories[number]])  # fmt: skip
            articles.save_article(session, issue.id or 0, page.id or 0, record)


@pytest.mark.parametrize("stored_first", [[7, 8], [8, 7]], ids=["in-page-order", "reversed"])
def test_two_stories_of_one_day_move_a_project_the_same_way_whatever_order_they_were_stored_in(
    engine: Engine, stored_first: list[int]
):
    store_story(engine, date(2024, 1, 5), 1, "签约", ["长庚金晶高纯硅材料项目签约落户我市。"])
    detect(engine, WATCHLIST)  # the baseline: the project was signed
    store_page(engine, date(2024, 6, 3), {7: "长庚金晶高纯硅材料项目开工建设。", 8: "长庚金晶高纯硅材料项目正式投产。"},
               stored_first)  # fmt: skip
    detect(engine, WATCHLIST)

    moves = [(a.change["before"], a.change["after"], a.story_url[-7:]) for a in updates(engine)]
    assert moves == [("签约", "开工", "7.shtml"), ("开工", "投产", "8.shtml")]  # read as the page lists them
