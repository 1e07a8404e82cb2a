"""A watchlist is refused whole, with the file, line and key named, when anything in it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from szwatch.monitor.detection.watchlist import EXAMPLE, WatchlistError, load_watchlist

GOOD = """
[[project]]
id = "olefin"
name = "中煤平朔煤基烯烃一体化项目"
aliases = ["煤基烯烃一体化项目"]
keywords = [["中煤", "平朔"], ["烯烃"]]

[[indicator]]
id = "gdp"
name = "地区生产总值"
aliases = ["GDP"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "watchlist.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_watchlist_has_a_dozen_real_watches():
    watchlist = load_watchlist(EXAMPLE)
    assert len(watchlist.projects) >= 6 and len(watchlist.indicators) >= 6
    assert {"zhongmei-olefin", "dongli-polysilicon", "jidayuan-hsr", "gdp", "fai"} <= {w.id for w in watchlist.watches}


def test_good_file_loads_normalised(tmp_path: Path):
    watchlist = load_watchlist(write(tmp_path, GOOD.replace("地区生产总值", "地区 生产总值")))
    assert watchlist.get("gdp").name == "地区生产总值"  # type: ignore[union-attr]
    assert watchlist.get("olefin").keywords == (("中煤", "平朔"), ("烯烃",))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (GOOD.replace('aliases = ["GDP"]', 'aliasses = ["GDP"]'), r"watchlist.toml:11: aliasses: unknown key"),
        (
            GOOD.replace('id = "gdp"', 'id = "olefin"'),
            r"watchlist.toml:9: id: duplicate id 'olefin' \(first at line 3\)",
        ),
        (GOOD.replace('name = "地区生产总值"', 'name = ""'), r"watchlist.toml:10: name: gdp: name is missing or empty"),
        (
            GOOD.replace('[["中煤", "平朔"], ["烯烃"]]', '[["中煤"], []]'),
            r"watchlist.toml:6: keywords: olefin: a keyword",
        ),
        (
            GOOD.replace('name = "地区生产总值"', 'name = "地区生产总值'),
            r"watchlist.toml:10: \(syntax\): not valid TOML",
        ),
        (GOOD + "\n[[projekt]]\nid = 'x'\n", r"projekt: unknown table"),
    ],
    ids=["unknown-key", "duplicate-id", "empty-name", "empty-group", "toml-syntax", "unknown-table"],
)
def test_bad_watchlist_names_file_line_and_key(tmp_path: Path, broken: str, message: str):
    with pytest.raises(WatchlistError, match=message):
        load_watchlist(write(tmp_path, broken))


def test_a_paused_watch_stays_in_the_file_but_out_of_detection(tmp_path: Path):
    from szwatch.monitor.detection.match import Matcher

    watchlist = load_watchlist(write(tmp_path, GOOD.replace('aliases = ["GDP"]', 'aliases = ["GDP"]\npaused = true')))

    assert [w.id for w in watchlist.watches] == ["olefin"] and [w.id for w in watchlist.paused] == ["gdp"]
    assert Matcher(watchlist).find("上半年全市地区生产总值增长5.3%。") == []


def test_paused_must_be_true_or_false(tmp_path: Path):
    path = write(tmp_path, GOOD.replace('aliases = ["GDP"]', 'paused = "yes"'))
    with pytest.raises(WatchlistError, match=r"watchlist\.toml:\d+: paused: gdp: paused must be true or false"):
        load_watchlist(path)
