"""The indicator page's series and table, as a reader of the statistics would expect them."""

from __future__ import annotations

from datetime import date
from typing import Any

from szwatch.app.web.present import chart_data, compared_area, table_rows
from szwatch.common.period_names import period_kind, period_label
from szwatch.monitor.detection.watchlist import Watch

GDP = Watch(id="retail", kind="indicator", name="社会消费品零售总额")


def report(n: int, start: str, end: str, value: float | None, growth: float | None, words: str,
           scope: str = "全市", revised: bool = False, relative: bool = False, snippet: str = "") -> dict[str, Any]:  # fmt: skip
    return {"id": n, "period": words, "period_start": start, "period_end": end, "scope": scope, "value": value,
            "unit": "亿元" if value is not None else "", "growth": growth, "rank": None, "relative": relative,
            "snippet": snippet or words, "revised": revised, "previous": None,
            "source": {"article_id": n, "issue_date": f"2024-05-{n:02d}", "page": "A1", "title": f"第{n}篇"}}  # fmt: skip


def test_periods_are_named_as_the_paper_names_them():
    assert period_label(date(2023, 1, 1), date(2023, 6, 30)) == "2023年上半年"
    assert period_label(date(2024, 1, 1), date(2024, 4, 30)) == "2024年1—4月"
    assert period_label(date(2024, 4, 1), date(2024, 6, 30)) == "2024年二季度"
    assert period_label(date(2023, 1, 1), date(2023, 12, 31)) == "2023年"
    assert period_label(date(2023, 1, 1), date(2023, 6, 30), "en") == "2023 H1"
    assert period_kind(date(2024, 1, 1), date(2024, 2, 29)) == "cumulative"
    assert period_kind(date(2024, 1, 1), date(2024, 12, 31)) == "year"
    assert period_kind(date(2024, 4, 1), date(2024, 6, 30)) == "quarter"


def test_the_same_figure_reported_twice_is_one_row_with_both_sources():
    rows = table_rows([
        report(3, "2024-01-01", "2024-04-30", 12.6, 6.4, "前四个月"),
        report(5, "2024-01-01", "2024-04-30", None, 6.4, "1—4月"),
        report(9, "2024-01-01", "2024-04-30", 12.9, 6.4, "1—4月", revised=True),
    ])  # fmt: skip

    first, revised = rows[1], rows[0]
    assert (first["value"], first["growth"]) == (12.6, 6.4)
    assert [s["title"] for s in first["sources"]] == ["第3篇", "第5篇"]
    assert {s["words"] for s in first["sources"]} == {"前四个月", "1—4月"}
    assert revised["revised"] and revised["value"] == 12.9  # a changed figure keeps a row of its own


def test_a_comparison_names_its_area():
    assert compared_area("增速高于【全省】1.7个百分点") == "全省"
    [row] = table_rows([report(4, "2024-01-01", "2024-03-31", None, 3.5, "一季度", relative=True,
                               snippet="增速高于全省3.5个百分点")])  # fmt: skip
    assert row["area"] == "全省"


def test_cumulative_months_are_one_series_per_area_on_a_time_axis():
    chart = chart_data(GDP, [
        report(1, "2024-01-01", "2024-02-29", 40.0, 5.0, "1—2月"),
        report(2, "2024-01-01", "2024-03-31", 61.0, 5.2, "一季度"),
        report(3, "2024-01-01", "2024-04-30", 80.0, 5.4, "1—4月"),
        report(4, "2023-01-01", "2023-12-31", 250.0, 4.8, "去年"),
        report(5, "2024-01-01", "2024-03-31", 20.0, 6.0, "一季度", scope="怀仁市"),
    ])  # fmt: skip

    names = {s["name"]: [end for end, _ in s["points"]] for s in chart["value"]}
    assert names == {"全市·年度": ["2023-12-31"], "全市·累计": ["2024-02-29", "2024-03-31", "2024-04-30"],
                     "怀仁市·累计": ["2024-03-31"]}  # fmt: skip
