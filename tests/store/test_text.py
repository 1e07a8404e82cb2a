"""The normal form that both the store and the matcher use."""

import pytest

from szwatch.store.text import normalize, snippet


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("固 定 资 产 投 资", "固定资产投资"),
        ("完成投资872.6 亿元", "完成投资872.6亿元"),
        ("增长 5 . 1 %", "增长5.1%"),
        ("\u3000\u3000全市ＧＤＰ增长５．２％", "全市GDP增长5.2%"),
        ("新质\n生产力", "新质生产力"),
        ("全市\u00a0规模以上", "全市规模以上"),
        ("“双碳” 目标", "“双碳”目标"),
        ("10GW 单晶硅片 and 5 GW", "10GW单晶硅片and 5 GW"),
        ("a\u200bb", "ab"),
    ],
)
def test_normalize(raw: str, expected: str):
    assert normalize(raw) == expected


def test_normalize_is_idempotent():
    text = "　　今年一季度，全市固 定 资 产 投 资同比增长 5.1 %。"
    assert normalize(normalize(text)) == normalize(text)


def test_snippet_marks_the_match_and_trims_both_sides():
    text = "甲" * 50 + "多晶硅" + "乙" * 50
    assert snippet(text, "多晶硅", width=5) == "…甲甲甲甲甲【多晶硅】乙乙乙乙乙…"
