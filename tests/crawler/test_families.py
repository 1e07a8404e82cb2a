"""Every e-paper family end to end: the same articles, written in each family's URL shapes and markup and
served on localhost, land in the store whole, through the bundled profile of a paper on that family."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.crawler.pages import ArticleView, decode_body
from szwatch.crawler.profile import load_profile
from szwatch.crawler.run import date_range
from szwatch.replica.build import Manifest, ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.store.models import Article, Issue, Page
from tests.conftest import crawl_site

# (bundled profile, family, the paper's folder on its system)
PAPERS = [
    ("szrb-epaper", "html-page", "szrb"),
    ("dtrb", "founder-node", "dtrb"),
    ("rmrb", "founder-pc", "rmrb"),
    ("sxrb", "shtml", "sxrb"),
]
Story = tuple[date, str, str]  # issue date, title, text


@pytest.fixture(scope="module", params=PAPERS, ids=[p[0] for p in PAPERS])
def paper(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, ReplicaServer, Manifest]]:
    profile, family, code = request.param
    root = tmp_path_factory.mktemp(family)
    manifest = build_replica(root, ReplicaSpec(family=family, code=code, name=load_profile(profile).name))
    with ReplicaServer(root, hang_seconds=4) as server:
        yield profile, server, manifest


@pytest.fixture
def site(paper: tuple[str, ReplicaServer, Manifest]) -> Iterator[ReplicaServer]:
    paper[1].reset()
    yield paper[1]
    paper[1].reset()


@pytest.fixture(scope="module")
def szrb_stories(replica: tuple[Path, Manifest]) -> Counter[Story]:
    """What a reader sees in every article of the 朔州日报 replica (the same corpus and seed), read from its files."""
    profile = load_profile("szrb")
    found: Counter[Story] = Counter()
    for path in (replica[0] / "shtml" / "szrb").glob("*/[0-9]*.shtml"):
        html = decode_body(path.read_bytes(), "text/html", profile.charset["fallbacks"]).text
        view = ArticleView(f"http://szb.example/{path.name}", html, profile)
        day = date.fromisoformat(f"{path.parent.name[:4]}-{path.parent.name[4:6]}-{path.parent.name[6:]}")
        found[(day, view.title(), "\n".join(view.paragraphs()))] += 1
    return found


def stored_stories(engine: Engine) -> Counter[Story]:
    with Session(engine) as session:
        rows = session.exec(select(Issue.issue_date, Article.title, Article.text).join(Issue)).all()
    return Counter((d, t, x) for d, t, x in rows)


def test_first_crawl_stores_every_article_whole_and_a_recrawl_requests_none(
    engine: Engine, paper: tuple[str, ReplicaServer, Manifest], site: ReplicaServer, szrb_stories: Counter[Story]
):
    profile, _, manifest = paper
    days = date_range(manifest.dates[0], manifest.missing[-1])

    first = crawl_site(engine, site, profile=profile, dates=days)

    assert first.status == "ok", first.groups
    assert first.stats["issues_complete"] == len(manifest.dates)
    assert first.stats["issues_no_paper"] == len(manifest.missing)  # a 404 day is a day without a paper
    with Session(engine) as session:
        assert len(session.exec(select(Page)).all()) == manifest.pages
        assert {i.source for i in session.exec(select(Issue)).all()} == {load_profile(profile).paper}
    assert stored_stories(engine) == szrb_stories  # every article, title and every paragraph, in any markup
    with Session(engine) as session:  # each lead story continued on 第2版 is one story, whatever the page codes
        parts = {a.url.removeprefix(site.url): a.story_url for a in session.exec(select(Article)).all()}
    assert all(parts[tail] == site.url + head for head, tail in manifest.continued.items())

    site.reset()
    again = crawl_site(engine, site, profile=profile, dates=days)

    assert again.status == "ok"
    assert again.stats["issues_skipped_complete"] == len(manifest.dates)
    assert [path for path in site.hits if is_article(path)] == []


def test_latest_finds_the_newest_issue_from_the_entry_page(
    engine: Engine, paper: tuple[str, ReplicaServer, Manifest], site: ReplicaServer
):
    profile, _, manifest = paper

    report = crawl_site(engine, site, profile=profile, latest=True)

    assert report.status == "ok", report.groups
    with Session(engine) as session:
        issues = session.exec(select(Issue)).all()
    assert [(i.issue_date, i.status) for i in issues] == [(max(manifest.dates), "complete")]


def a_plain_article(site: ReplicaServer, manifest: Manifest, day: date) -> str:
    """An article of ``day`` that is not part of a continued story (its text is all its own)."""
    paths = [
        p
        for p in _article_paths(site.root, day)
        if p not in manifest.continued and p not in manifest.continued.values()
    ]
    return sorted(paths)[1]


def is_article(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith("content_") or name.split(".")[0].isdigit()


def _article_paths(root: Path, day: date) -> list[str]:
    marks = (f"{day:%Y%m%d}", f"{day:%Y-%m}/{day:%d}", f"{day:%Y%m}/{day:%d}")
    return [
        "/" + str(p.relative_to(root)) for p in root.rglob("*")
        if p.is_file() and is_article(p.name) and any(m in str(p) for m in marks)
    ]  # fmt: skip


def test_a_hostile_day_is_read_as_far_as_it_can_be_and_finished_next_time(
    engine: Engine, paper: tuple[str, ReplicaServer, Manifest], site: ReplicaServer
):
    profile, _, manifest = paper
    day = manifest.dates[1]
    nul, failing = a_plain_article(site, manifest, day), sorted(_article_paths(site.root, day))[-1]
    site.replace(nul, (site.root / nul.lstrip("/")).read_bytes().replace(b"<", b"\x00<", 5))
    site.fail(failing, "500", "500", "500", "500")

    report = crawl_site(engine, site, profile=profile, dates=(day,), retries=1)

    assert report.status == "problems"
    kinds = {(g.kind, g.subject) for g in report.groups}
    assert ("charset", "article") in kinds  # NUL bytes removed, said once
    assert ("fetch_failed", "article") in kinds
    with Session(engine) as session:
        assert session.exec(select(Issue)).one().status == "incomplete"
    site.reset()
    assert crawl_site(engine, site, profile=profile, dates=(day,)).status == "ok"
    assert [path for path in site.hits if path in _article_paths(site.root, day)] == [failing]  # only what failed


def test_a_changed_layout_is_one_grouped_loud_problem_and_the_text_is_kept(
    engine: Engine, paper: tuple[str, ReplicaServer, Manifest], site: ReplicaServer
):
    profile, _, manifest = paper
    day = manifest.dates[2]
    changed = [p for p in _article_paths(site.root, day) if p not in manifest.continued][:3]
    for path in changed:  # the site stops wrapping paragraphs: the body's primary selector finds nothing
        body = (site.root / path.lstrip("/")).read_bytes()
        for tag in (b"<p>", b'<p align="left">', b"</font>"):
            body = body.replace(tag, b"")
        body = body.replace(b"</p>", b"<br />")
        body = body.replace(b'<font style="font-size:14px;line-height:26px">', b"")
        site.replace(path, body)

    report = crawl_site(engine, site, profile=profile, dates=(day,))

    assert report.status == "problems"
    layout = [g for g in report.groups if g.kind == "layout"]
    assert len(layout) == 1 and layout[0].count == 3 and "article.paragraphs: fallback" in layout[0].detail
    with Session(engine) as session:
        texts = [a.text for a in session.exec(select(Article)).all() if any(a.url.endswith(p) for p in changed)]
    assert len(texts) == 3 and all(t.count("\n") >= 1 for t in texts)
