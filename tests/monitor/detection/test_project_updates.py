"""project_update alerts over a real store: a project moved only when its own clause says it has."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
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
