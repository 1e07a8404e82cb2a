"""Extraction on saved HTML alone: each saved page has a JSON of what a reader sees on it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from szwatch.crawler.pages import ArticleView, EntryView, PageShapeError, PageView, decode_body
from szwatch.crawler.profile import load_profile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "html"
PROFILE = load_profile()
BASE = "http://szb.example/shtml/szrb/20240507/"


def cases(kind: str) -> list[Path]:
    return sorted((FIXTURES / kind).glob("*.html"))


def open_case(path: Path) -> tuple[str, str | None, dict]:
    decoded = decode_body(path.read_bytes(), "text/html", PROFILE.charset["fallbacks"])
    return decoded.text, decoded.note, json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", cases("article"), ids=lambda p: p.stem)
def test_article_fields(path: Path):
    html, note, expected = open_case(path)
    view = ArticleView(BASE + "1150001.shtml", html, PROFILE)

    assert view.title() == expected["title"]
    assert view.kicker() == expected["kicker"]
    assert view.subtitle() == expected["subtitle"]
    assert view.byline() == expected["byline"]
    assert view.paragraphs() == expected["paragraphs"]
    assert view.continued_to() == expected["continued_to"]
    assert view.continued_from() == expected["continued_from"]
    assert [list(p) for p in view.pictures()] == expected["pictures"]
    assert bool(note) == expected.get("charset_note", False)


def test_raw_paragraphs_keep_what_the_page_said():
    html, _, _ = open_case(FIXTURES / "article" / "byline_in_body_ocr_gaps_and_continued_from.html")
    raw = ArticleView(BASE + "1.shtml", html, PROFILE).raw_paragraphs()
    assert any("固 定 资 产 投 资" in p for p in raw)
    assert any("（上接第1版）" in p for p in raw)


@pytest.mark.parametrize("path", cases("page"), ids=lambda p: p.stem)
def test_page_fields(path: Path):
    html, _, expected = open_case(path)
    view = PageView(BASE + "vA1.shtml", html, PROFILE)

    assert view.issue_date() == date.fromisoformat(expected["issue_date"])
    assert view.issue_no() == expected["issue_no"]
    assert view.pages_declared() == expected["pages_declared"]
    assert [(p.code, p.name) for p in view.nav()] == [tuple(x) for x in expected["nav"]]
    assert view.article_links() == [BASE + link for link in expected["article_links"]]


@pytest.mark.parametrize("path", cases("entry"), ids=lambda p: p.stem)
def test_entry_points_at_newest_issue(path: Path):
    html, _, expected = open_case(path)
    view = EntryView("http://szb.example/shtml/index_szrb.shtml", html, PROFILE)
    if expected["issue_url"] is None:
        with pytest.raises(PageShapeError, match="newest issue"):
            view.issue_url()
    else:
        assert view.issue_url() == "http://szb.example/shtml/" + expected["issue_url"]


def test_fallback_selector_is_reported_as_layout_note():
    html = '<div class="detailCon"><h1>标题</h1><div id="content_div"><p>第一段。</p><p>第二段。</p></div></div>'
    view = ArticleView(BASE + "1.shtml", html, PROFILE)
    assert view.paragraphs() == ["第一段。", "第二段。"]
    assert any("article.paragraphs" in note for note in view.notes)


def test_gb2312_declared_page_with_gb18030_only_characters_decodes():
    body = '<html><head><meta charset="gb2312"></head><body>记者 王䶮</body></html>'.encode("gb18030")
    decoded = decode_body(body, "text/html", ["gb18030"])
    assert "王䶮" in decoded.text and decoded.note is None
