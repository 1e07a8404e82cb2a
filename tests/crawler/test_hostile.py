"""Pages our replica does not produce, served by the real local server: each is stored with what could be
read or recorded as a problem (not stored, issue left incomplete); none is lost and none stops the crawl."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from szwatch.replica.server import ReplicaServer
from szwatch.store.models import Article, Issue, Page, Problem
from tests.conftest import crawl_site

DAY = date(2024, 5, 7)
DAY_PATH = "/shtml/szrb/20240507/"
GB = "gb18030"
HOSTILE = ("nul", "invalid_bytes", "five_mb", "deep", "empty_h1", "no_content_div", "cut_mid_paragraph", "empty_200")
NOT_STORED = {"fetch_failed", "empty", "truncated_html", "exception", "store_failed", "not_fetched"}


def plain_articles(site: ReplicaServer) -> list[Path]:
    """Articles of the day with several paragraphs and no continuation mark: room to break them."""
    folder = site.root / DAY_PATH.strip("/")
    found = []
    for path in sorted(folder.glob("1*.shtml")):
        body = path.read_bytes()
        if body.count(b'<p align="left">') >= 4 and "下转".encode(GB) not in body and "上接".encode(GB) not in body:
            found.append(path)
    return found


def cut_mid_paragraph(body: bytes) -> bytes:
    """Cut inside the third paragraph's text, then end the document properly: ``</html>`` is there."""
    third = body.index(b'<p align="left">', body.index(b'<p align="left">', body.index(b'<p align="left">') + 1) + 1)
    text_at = body.index(b">", body.index(b"<font", third)) + 1
    return body[: text_at + 12] + b"\n</body>\n</html>\n"


def hostile(body: bytes) -> dict[str, bytes]:
    first_font = body.index(b"<font", body.index(b'id="content_div"'))
    font_end = body.index(b">", first_font) + 1
    deep = b"<span>" * 10_000 + "深处的一句话。".encode(GB) + b"</span>" * 10_000
    filler = ("朔州市持续推进产业转型，重点项目建设稳步推进。" * 110_000).encode(GB)  # ~5 MB
    return {
        "nul": body.replace("，".encode(GB), b"\x00", 3),
        "invalid_bytes": body.replace("，".encode(GB), b"\xff\xfe", 2),
        "five_mb": body.replace(
            b"</div>\n</div>", b'<p align="left"><font>' + filler + b"</font></p></div>\n</div>", 1
        ),
        "deep": body[:font_end] + deep + body[font_end:],
        "empty_h1": body[: body.index(b"<h1>") + 4] + body[body.index(b"</h1>") :],
        "no_content_div": body.replace(b'id="content_div"', b'id="body_text"'),
        "cut_mid_paragraph": cut_mid_paragraph(body),
        "empty_200": b"",
    }


def test_hostile_articles_and_pages_are_stored_or_recorded_never_lost(engine: Engine, site: ReplicaServer):
    cases: dict[str, str] = {}
    for name, path in zip(HOSTILE, plain_articles(site), strict=False):
        cases[name] = DAY_PATH + path.name
        site.replace(cases[name], hostile(path.read_bytes())[name])
    assert len(cases) == len(HOSTILE)
    page = (site.root / DAY_PATH.strip("/") / "vA2.shtml").read_bytes()
    nested_page = page.replace(b'<ul id="titleList">', b"<div>" * 10_000 + b'<ul id="titleList">', 1)
    site.replace(DAY_PATH + "vA2.shtml", nested_page.replace(b"<li>", b"<li>\x00", 3))
    folder = site.root / DAY_PATH.strip("/")
    listed = {p.name for p in folder.glob("1*.shtml")}

    report = crawl_site(engine, site, dates=(DAY,))

    assert report.status == "problems", report.error
    with Session(engine) as session:
        stored = {a.url.rsplit("/", 1)[1]: a for a in session.exec(select(Article)).all()}
        problems = session.exec(select(Problem)).all()
        issue = session.exec(select(Issue)).one()
        pages = {p.code: p for p in session.exec(select(Page)).all()}
    kinds = {(p.url.removeprefix(site.url), p.kind) for p in problems}
    failed = {p.url.rsplit("/", 1)[1] for p in problems if p.kind in NOT_STORED}
    # the invariant: every listed article is stored or failed with a recorded reason, never both, never neither
    assert set(stored) | failed == listed
    assert not set(stored) & failed

    def article(name: str) -> Article:
        return stored[cases[name].rsplit("/", 1)[1]]

    assert "\x00" not in article("nul").text and article("nul").title
    assert (cases["nul"], "charset") in kinds
    assert "\ufffd" in article("invalid_bytes").text and (cases["invalid_bytes"], "charset") in kinds
    assert len(article("five_mb").text) > 1_000_000
    assert "深处的一句话。" in article("deep").text and (cases["deep"], "markup") in kinds
    assert article("deep").text.count("\n") >= 3  # the paragraphs after the nesting were not dropped
    assert article("empty_h1").title == "" and (cases["empty_h1"], "no_title") in kinds
    assert article("empty_h1").text
    assert article("no_content_div").title and (cases["no_content_div"], "no_body") in kinds
    cut = article("cut_mid_paragraph")
    assert cut.truncation_suspect and (cases["cut_mid_paragraph"], "cut_off") in kinds
    assert "\n" in cut.text and len(cut.text.splitlines()[-1]) < 10  # what was read, up to the cut
    assert cases["empty_200"].rsplit("/", 1)[1] not in stored and (cases["empty_200"], "empty") in kinds
    assert len(pages["A2"].article_urls) >= 8  # the deeply nested page still listed its articles
    assert (DAY_PATH + "vA2.shtml", "markup") in kinds and (DAY_PATH + "vA2.shtml", "charset") in kinds
    assert issue.status == "incomplete"  # the empty answer and the cut paragraph are fetched again

    site.reset()
    again = crawl_site(engine, site, dates=(DAY,))

    assert again.status == "ok", again.problems
    # fetched again: the one not stored, the one stored cut off, and the one whose body looked truncated
    fetched = {path for path, hits in site.hits.items() if hits and path.startswith(DAY_PATH + "1")}
    assert fetched == {cases["empty_200"], cases["cut_mid_paragraph"], cases["no_content_div"]}
    with Session(engine) as session:
        assert session.exec(select(Issue)).one().status == "complete"
        healed = session.exec(select(Article).where(col(Article.url).endswith(cases["cut_mid_paragraph"]))).one()
        count = len(session.exec(select(Article.id)).all())
    assert not healed.truncation_suspect and healed.text.count("\n") >= 3
    assert count == len(listed)
