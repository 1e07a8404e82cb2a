"""Extraction on saved HTML alone: each saved page has a JSON of what a reader sees on it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from szwatch.crawler.pages import ArticleView, EntryView, PageShapeError, PageView, decode_body, page_for_number
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


ARTICLE = (
    '<html><body><div class="detailCon"><h1>标题</h1><div id="content_div">'
    '<p align="left"><font>第一段，说完了。</font></p><p align="left">{tag}{last}{rest}'
)


@pytest.mark.parametrize(
    ("tag", "last", "rest", "cut"),
    [
        ("<font>", "第二段写到一半", "\n</body></html>", True),  # the document ends inside the paragraph
        ("<font>", "第二段写到一半", "\n</html>", True),
        ("", "第二段写到一半", "</body>\n</html>", True),  # no inline element: the source says it
        ("<font>", "第二段写到一半", '\n<div class="footer">版权所有</div></body></html>', True),
        ("<font>", "第二段没有句号", "</font></p></div></div></body></html>", False),  # a style, not a cut
        ("", "第二段没有句号", "</p></div></div></body></html>", False),
        ("<font>", "第二段写完了。", "\n</body></html>", False),  # ends as a paragraph ends
        ("<font>", "第二段（下转第2版）", "\n</body></html>", False),  # continued elsewhere on purpose
    ],
)
def test_a_page_cut_inside_its_last_paragraph_is_recognised(tag: str, last: str, rest: str, cut: bool):
    profile = PROFILE if tag else replace(PROFILE, article={**PROFILE.article, "paragraphs": ["#content_div p"]})
    view = ArticleView(BASE + "1.shtml", ARTICLE.format(tag=tag, last=last, rest=rest), profile)
    assert (view.cut_mid_paragraph() is not None) == cut


def test_entry_links_prefer_the_newest_date_and_never_previous_or_next():
    html = (
        '<a href="szrb/20240516/vA1.shtml">上一期</a><a href="szrb/20240518/vA1.shtml" title="下一期">›</a>'
        '<a href="szrb/20240510/vA1.shtml">5月10日</a><a href="szrb/20240517/vA1.shtml">今日数字报</a>'
    )
    view = EntryView("http://szb.example/shtml/index_szrb.shtml", f"<html><body>{html}</body></html>", PROFILE)
    assert view.newest_issue() == ("http://szb.example/shtml/szrb/20240517/vA1.shtml", "link")


def test_nesting_deeper_than_the_parser_follows_keeps_the_rest_of_the_page():
    deep = "<div>" * 10_000 + "深处。" + "</div>" * 10_000
    rest = "</font></p>" + deep + '<p align="left"><font>第三段在后面。</font></p></div></div>'
    html = ARTICLE.format(tag="<font>", last="第二段。", rest=rest)
    view = ArticleView(BASE + "1.shtml", html, PROFILE)
    assert view.paragraphs() == ["第一段，说完了。", "第二段。", "第三段在后面。"]
    assert view.markup_notes and not view.notes


NAMES = ["要闻", "综合", "县区", "社会·文化"]
FAMILY_CASES = [  # (family, bundled profile, the page's URL, the article's URL, the page codes of the issue)
    ("html-page", "szrb-epaper", "/szrb/20240507/html/page_01.htm", "/szrb/20240507/html/content_20240507001001.htm",
     ["01", "02", "03", "04"], "02"),
    ("founder-node", "dtrb", "/html/2024-05/07/node_2.htm", "/html/2024-05/07/content_1150081.htm",
     ["2", "3", "4", "5"], "2"),
    ("founder-pc", "rmrb", "/pc/layout/202405/07/node_01.html", "/pc/content/202405/07/content_1150081.html",
     ["01", "02", "03", "04"], "02"),
]  # fmt: skip


@pytest.mark.parametrize(("family", "profile_id", "page_path", "article_path", "codes", "next_part"), FAMILY_CASES,
                         ids=[c[0] for c in FAMILY_CASES])  # fmt: skip
def test_each_family_is_read_by_its_bundled_profile(
    family: str, profile_id: str, page_path: str, article_path: str, codes: list[str], next_part: str
):
    profile, folder, host = load_profile(profile_id), FIXTURES / "families" / family, "http://paper.example"
    page_html = decode_body((folder / "page.html").read_bytes(), "text/html", profile.charset["fallbacks"]).text
    page = PageView(host + page_path, page_html, profile)

    assert page.issue_date() == date(2024, 5, 7)
    assert [(link.code, link.name) for link in page.nav()] == list(zip(codes, NAMES, strict=True))
    assert len(page.article_links()) == 14 and host + article_path in page.article_links()
    assert page.image() == f"{host}/images/{profile.source['code']}/20240507/page_01.jpg"  # the printed page
    assert page.pdf() == f"{host}/attachement/{profile.source['code']}/20240507/page_01.pdf"
    assert page.notes == []

    html = decode_body((folder / "article.html").read_bytes(), "text/html", profile.charset["fallbacks"]).text
    article = ArticleView(host + article_path, html, profile)

    assert (article.kicker(), article.title(), article.subtitle(), article.byline()) == (
        None,
        "看项目比进度促发展",
        "——我市2024年重点项目观摩活动侧记",
        "本报记者 王志华 刘晓燕",
    )
    assert len(article.paragraphs()) == 4 and article.paragraphs()[-1].endswith(
        "企业焕发了新活力。”一位观摩人员感慨道。"
    )
    assert article.continued_to() == next_part  # "（下转第2版）" in the family's page numbering (a guess, below)
    assert article.notes == []


@pytest.mark.parametrize(("family", "profile_id", "page_path", "article_path", "codes", "next_part"), FAMILY_CASES,
                         ids=[c[0] for c in FAMILY_CASES])  # fmt: skip
def test_a_continuation_names_the_page_printed_with_that_number_whatever_its_code(
    family: str, profile_id: str, page_path: str, article_path: str, codes: list[str], next_part: str
):
    """Founder's classic system names pages by node id (node_2 is 第01版): "（下转第2版）" is node_3, read from the
    issue's page list, not node_2; on the systems whose codes are the printed numbers nothing changes."""
    profile, folder, host = load_profile(profile_id), FIXTURES / "families" / family, "http://paper.example"
    page_html = decode_body((folder / "page.html").read_bytes(), "text/html", profile.charset["fallbacks"]).text
    nav = PageView(host + page_path, page_html, profile).nav()
    html = decode_body((folder / "article.html").read_bytes(), "text/html", profile.charset["fallbacks"]).text
    article = ArticleView(host + article_path, html, profile)

    numbers = {link.code: link.number for link in nav if link.number is not None}

    assert list(numbers.values()) == [1, 2, 3, 4]  # 第01版 … 第04版, as the labels say
    assert page_for_number(article.continued_to(), numbers) == codes[1]  # the second page printed: node_3 or 02
    assert page_for_number(article.continued_to(), {}) == next_part  # no page list: the family's guess stands
