"""The truncation check asks the generic extractor (trafilatura) only when a page could make our body look short,
and gives its verdict all the same: on every article page the crawler tests see, each family's replica, the saved
pages, the hostile pages and the pages whose markup the tests change, the cheap check and trafilatura agree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from szwatch.crawler.pages import ArticleView, decode_body, generic_text_length, is_short, needs_generic
from szwatch.crawler.profile import SourceProfile, load_profile
from szwatch.replica.build import ReplicaSpec, build_replica
from tests.crawler.test_hostile import hostile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "html"
# (bundled profile, family, the paper's folder on its system): every family the replica copies
PAPERS = [
    ("szrb", "shtml", "szrb"),
    ("szrb-epaper", "html-page", "szrb"),
    ("dtrb", "founder-node", "dtrb"),
    ("rmrb", "founder-pc", "rmrb"),
    ("sxrb", "shtml", "sxrb"),
]
GB = "gb18030"
Case = tuple[str, bytes, SourceProfile]


def is_article(path: Path) -> bool:
    return path.is_file() and (path.name.startswith("content_") or path.name.split(".")[0].isdigit())


def restyled(body: bytes) -> bytes:
    """After the first paragraph, the site writes ``<span>`` where it wrote ``<font>``: our selector reads one."""
    head, sep, rest = body.partition(b"</font></p>")
    return head + sep + rest.replace(b"<font", b"<span").replace(b"</font>", b"</span>")


def unwrapped(body: bytes) -> bytes:
    """The site stops wrapping paragraphs (``tests/crawler/test_families.py``): a fallback selector reads them."""
    for tag in (b"<p>", b'<p align="left">', b"</font>", b'<font style="font-size:14px;line-height:26px">'):
        body = body.replace(tag, b"")
    return body.replace(b"</p>", b"<br />")


def changed(body: bytes) -> dict[str, bytes]:
    """Every way the crawler tests change a replica article (besides the hostile ones)."""
    return {
        "restyled": restyled(body),
        "unwrapped": unwrapped(body),
        "nul_tags": body.replace(b"<", b"\x00<", 5),
        "utf8_declared": body.replace(b"charset=gb2312", b"charset=utf-8"),
        "content_moved": body.replace(b'id="content_div"', b'id="moved"'),
        "semicolon": body.replace("，".encode(GB), "；".encode(GB), 1),
    }


def plain(body: bytes) -> bool:
    """Several paragraphs and no continuation mark: room to break it (``tests/crawler/test_hostile.py``)."""
    return body.count(b'<p align="left">') >= 4 and "下转".encode(GB) not in body and "上接".encode(GB) not in body


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    found: list[Case] = []
    for name, family, code in PAPERS:
        profile = load_profile(name)
        root = tmp_path_factory.mktemp(f"{family}-{code}")
        build_replica(root, ReplicaSpec(family=family, code=code, name=profile.name, weeks=1, per_page=6))
        broken = False  # the hostile pages are made of one article per paper (one of them is 5 MB)
        for n, path in enumerate(sorted(p for p in root.rglob("*") if is_article(p))):
            body = path.read_bytes()
            found.append((f"{name} {path.name}", body, profile))
            if n % 4 == 0:  # every change on every fourth article
                found += [(f"{name} {path.name} {how}", html, profile) for how, html in changed(body).items()]
            if family == "shtml" and plain(body) and not broken:
                broken = True
                found += [(f"{name} {path.name} {how}", html, profile) for how, html in hostile(body).items() if html]
    szrb = load_profile("szrb")
    found += [(f"saved {p.stem}", p.read_bytes(), szrb) for p in sorted((FIXTURES / "article").glob("*.html"))]
    for name, family, _ in PAPERS[1:4]:
        found.append(
            (f"saved {family}", (FIXTURES / "families" / family / "article.html").read_bytes(), load_profile(name))
        )
    return found


def views(pages: list[Case]) -> Iterator[tuple[str, ArticleView]]:
    for name, body, profile in pages:
        html = decode_body(body, "text/html; charset=gb2312", profile.charset["fallbacks"]).text
        yield name, ArticleView(f"http://szb.example/{name.split()[1]}", html, profile)


def test_the_cheap_check_gives_trafilaturas_verdict_on_every_page_the_tests_see(pages: list[Case]):
    disagree, flagged = [], 0
    for name, view in views(pages):
        quality = view.profile.quality
        truth = is_short(view.body_length(), generic_text_length(view.html), quality)
        cheap = needs_generic(view, quality) and truth  # what the crawl does: trafilatura only when needed
        flagged += truth
        if cheap != truth:
            disagree.append(name)

    assert len(pages) > 1_000
    assert flagged >= 20  # the restyled and moved bodies: the check has something to find
    assert disagree == []


def test_an_ordinary_article_asks_the_generic_extractor_only_where_its_body_is_the_whole_page(pages: list[Case]):
    ordinary = [(name, view) for name, view in views(pages) if len(name.split()) == 2]
    asked = [name for name, view in ordinary if needs_generic(view, view.profile.quality)]

    # founder-node (大同日报) sets its body right in <body>: the block around it is the page, and its shortest ask
    assert len(ordinary) > 400
    assert {name.split()[0] for name in asked} <= {"dtrb"} and len(asked) <= len(ordinary) // 50, asked
