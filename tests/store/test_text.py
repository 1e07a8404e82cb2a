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


def test_text_already_in_normal_form_is_returned_as_it_is_and_every_other_is_normalised():
    """``normalize`` returns text that has nothing to change at once (most stored text, read again by every
    detection); a single character it would change — a space, an invisible mark, a full-width digit — is enough
    to take the whole way."""
    plain = "今年一季度，全市固定资产投资同比增长5.1%。"
    assert normalize(plain) is plain
    changing = [
        chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000 and normalize(f"甲{chr(c)}乙") != f"甲{chr(c)}乙"
    ]
    assert len(changing) > 30  # spaces, invisible marks, full-width letters and digits
    for char in changing:
        assert normalize(f"{plain}{char}1") != f"{plain}{char}1"
