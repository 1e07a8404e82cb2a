"""Read-only views of the store for the web pages and their JSON API: issues by month, an issue's pages,
an article with everything stored about it, mentions, facts and indicator series with their sources.

Plain dicts and dataclasses come out, so the web layer only renders; nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from szwatch.common.clock import local_iso
from szwatch.store.findings import finding_reads
from szwatch.store.models import (
    Article,
    ArticleAlternate,
    ArticleVersion,
    CrawlRun,
    Issue,
    Mention,
    Observation,
    Page,
    Picture,
    Problem,
    ProjectFact,
    select_wide,
)
from szwatch.store.text import page_label


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# ---------------------------------------------------------------------------------------------- issues


@dataclass(frozen=True)
class IssueDay:
    issue_date: date
    status: str  # complete, incomplete, no_issue
    issue_no: int | None
    pages_declared: int | None
    pages: int
    articles: int
    article_id: int | None = None  # the lead article (first of the first page), for a link from the calendar


def issue_days(session: Session, first: date, last: date, source: str = "szrb") -> list[IssueDay]:
    """Every issue row between two dates (days never crawled have none), with its page and article counts."""
    issues = session.exec(
        select(Issue)
        .where(Issue.source == source, col(Issue.issue_date) >= first, col(Issue.issue_date) <= last)
        .order_by(col(Issue.issue_date))
    ).all()
    ids = [i.id for i in issues]
    pages: dict[int | None, int] = dict(
        session.exec(
            select(Page.issue_id, func.count()).where(col(Page.issue_id).in_(ids)).group_by(col(Page.issue_id))
        ).all()
    )
    counts: dict[int | None, int] = dict(
        session.exec(
            select(Article.issue_id, func.count()).where(col(Article.issue_id).in_(ids)).group_by(col(Article.issue_id))
        ).all()
    )
    return [
        IssueDay(i.issue_date, i.status, i.issue_no, i.pages_declared, pages.get(i.id, 0), counts.get(i.id, 0))
        for i in issues
    ]


def papers(session: Session) -> list[str]:
    """The papers the store holds issues of (their ids), 朔州日报 first."""
    found = session.exec(select(Issue.source).distinct()).all()
    return sorted(found, key=lambda paper: (paper != "szrb", paper))


def issue_bounds(session: Session, source: str = "szrb") -> tuple[date | None, date | None]:
    row = session.exec(
        select(func.min(Issue.issue_date), func.max(Issue.issue_date)).where(Issue.source == source)
    ).one()
    return row[0], row[1]


@dataclass
class PageView:
    code: str
    name: str | None
    url: str
    articles: list[dict[str, Any]] = field(default_factory=list)
    image_url: str | None = None  # the page as printed, where the paper's system offers it
    pdf_url: str | None = None
    label: str = ""  # the page as printed (``page_label``): what the heading shows; ``code`` stays the anchor


@dataclass
class IssueView:
    issue_date: date
    status: str
    issue_no: int | None
    pages_declared: int | None
    url: str
    masthead: str | None
    updated_at: str | None
    pages: list[PageView]


def issue_view(session: Session, issue_date: date, source: str = "szrb") -> IssueView | None:
    """An issue's pages in order, each with its articles in the page's own order (an article listed on two
    pages shows on both)."""
    issue = session.exec(select(Issue).where(Issue.source == source, Issue.issue_date == issue_date)).first()
    if issue is None:
        return None
    pages = session.exec(select(Page).where(Page.issue_id == issue.id).order_by(col(Page.seq), col(Page.id))).all()
    stored = session.exec(select(Article).where(Article.issue_id == issue.id).order_by(col(Article.id))).all()
    by_url = {a.url: a for a in stored}
    by_url.update(_alternates(session, issue, {a.id: a for a in stored}))  # the same article from another site
    views = []
    listed: set[str] = set()
    for page in pages:
        view = PageView(page.code, page.name, page.url, image_url=page.image_url, pdf_url=page.pdf_url,
                        label=page_label(page.code, page.number))  # fmt: skip
        shown: set[int | None] = set()
        for url in page.article_urls or []:
            article = by_url.get(url)
            listed.add(url)
            if article is not None and article.id in shown:  # both sites listed it: one line
                continue
            shown.add(article.id if article else None)
            view.articles.append(_article_line(article, article.url if article else url))
            listed.add(article.url if article else url)
        for article in stored:  # stored on this page but missing from its listing (should not happen)
            if article.page_id == page.id and article.url not in listed:
                view.articles.append(_article_line(article, article.url))
                listed.add(article.url)
        views.append(view)
    return IssueView(
        issue.issue_date, issue.status, issue.issue_no, issue.pages_declared, issue.url, issue.masthead,
        local_iso(issue.updated_at), views,
    )  # fmt: skip


def _alternates(session: Session, issue: Issue, by_id: dict[int | None, Article]) -> dict[str, Article]:
    rows = session.exec(
        select(ArticleAlternate.url, ArticleAlternate.article_id)
        .join(Article, col(Article.id) == ArticleAlternate.article_id)
        .where(Article.issue_id == issue.id)
    ).all()
    return {url: by_id[article_id] for url, article_id in rows if article_id in by_id}


def _article_line(article: Article | None, url: str) -> dict[str, Any]:
    if article is None:
        return {"id": None, "url": url, "title": None, "kicker": None, "continued": None}
    # as the paper prints it (转A2版 / 接A1版): the page is read by people who read Chinese
    continued = f"转{article.continued_to}版" if article.continued_to else None
    continued = continued or (f"接{article.continued_from}版" if article.continued_from else None)
    return {"id": article.id, "url": url, "title": article.title, "kicker": article.kicker, "continued": continued}


# ---------------------------------------------------------------------------------------------- articles


@dataclass
class ArticleView:
    id: int
    url: str
    issue_date: date
    issue_no: int | None
    page: str
    page_name: str | None
    number: str
    kicker: str | None
    title: str
    subtitle: str | None
    byline: str | None
    paragraphs: list[str]
    pictures: list[dict[str, Any]]
    parts: list[dict[str, Any]]  # every part of the story, this one included (``current``)
    versions: list[dict[str, Any]]  # earlier texts, newest first
    findings: list[dict[str, Any]]  # watches matched in this article
    first_seen_at: str | None
    updated_at: str | None
    truncation_suspect: bool
    alternate_urls: list[str] = field(default_factory=list)  # the same article on the paper's other sites
    page_label: str = ""  # the page as printed (``page_label``); ``page`` (its code) stays the issue page's anchor


def article_view(session: Session, article_id: int) -> ArticleView | None:
    row = session.exec(
        select_wide(
            Article, col(Issue.issue_date), col(Issue.issue_no), col(Page.code), col(Page.name), col(Page.number)
        )
        .join(Issue, col(Issue.id) == Article.issue_id)
        .join(Page, col(Page.id) == Article.page_id)
        .where(Article.id == article_id)
    ).first()
    if row is None:
        return None
    article, issue_date, issue_no, code, name, printed = row
    pictures = session.exec(
        select(Picture).where(Picture.article_id == article.id).order_by(col(Picture.position))
    ).all()
    key = article.story_url or article.url
    parts = session.exec(
        select_wide(col(Article.id), col(Article.url), col(Article.title), col(Page.code), col(Page.number))
        .join(Page, col(Page.id) == Article.page_id)
        .where(Article.story_url == key)
        .order_by(col(Article.id))
    ).all()
    versions = session.exec(
        select(ArticleVersion)
        .where(ArticleVersion.article_id == article.id)
        .order_by(col(ArticleVersion.superseded_at).desc(), col(ArticleVersion.id).desc())
    ).all()
    return ArticleView(
        id=article.id or 0, url=article.url, issue_date=issue_date, issue_no=issue_no, page=code, page_name=name,
        number=article.number, kicker=article.kicker, title=article.title, subtitle=article.subtitle,
        byline=article.byline, paragraphs=[p for p in article.text.split("\n") if p],
        pictures=[{"position": p.position, "url": p.url, "caption": p.caption} for p in pictures],
        parts=[
            {"id": pid, "url": url, "title": title, "page": page_label(pcode, pnumber), "current": pid == article.id}
            for pid, url, title, pcode, pnumber in sorted(parts, key=lambda p: (p[1] != key, p[0]))
        ],
        versions=[
            {"title": v.title, "kicker": v.kicker, "subtitle": v.subtitle, "byline": v.byline,
             "paragraphs": [p for p in v.text.split("\n") if p], "seen_from": local_iso(v.seen_from),
             "superseded_at": local_iso(v.superseded_at)}
            for v in versions
        ],
        findings=_findings(session, article.id or 0),
        first_seen_at=local_iso(article.first_seen_at), updated_at=local_iso(article.updated_at),
        truncation_suspect=article.truncation_suspect, page_label=page_label(code, printed),
        alternate_urls=list(session.exec(select(ArticleAlternate.url).where(ArticleAlternate.article_id == article.id)
                                         .order_by(col(ArticleAlternate.id))).all()),
    )  # fmt: skip


def _findings(session: Session, article_id: int) -> list[dict[str, Any]]:
    mentions = session.exec(
        select(Mention.watch_id, Mention.kind, Mention.surface).where(Mention.article_id == article_id)
    ).all()
    observations = session.exec(
        select(Observation.indicator_id, Observation.period, Observation.scope).where(
            Observation.article_id == article_id
        )
    ).all()
    found: dict[str, dict[str, Any]] = {}
    for watch_id, kind, surface in mentions:
        found.setdefault(watch_id, {"watch_id": watch_id, "how": set()})["how"].add(f"{kind}: {surface}")
    for indicator_id, period, scope in observations:
        found.setdefault(indicator_id, {"watch_id": indicator_id, "how": set()})["how"].add(f"{period} {scope}")
    return [{"watch_id": k, "how": sorted(v["how"])} for k, v in sorted(found.items())]


def article_id_by_url(session: Session, url: str) -> int | None:
    return session.exec(select(Article.id).where(Article.url == url)).first()


# ---------------------------------------------------------------------------------------------- watches


def finding_counts(session: Session) -> dict[str, dict[str, Any]]:
    """Per watch: how many mentions or figures are stored, and the latest issue date among them."""
    counts: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "latest": None})
    for model, key in ((Mention, Mention.watch_id), (Observation, Observation.indicator_id)):
        rows = session.exec(
            select(key, func.count(), func.max(Issue.issue_date))
            .join(Article, col(Article.id) == model.article_id)
            .join(Issue, col(Issue.id) == Article.issue_id)
            .group_by(key)
        ).all()
        for watch_id, count, latest in rows:
            counts[watch_id] = {"count": count, "latest": _iso(latest)}
    return dict(counts)


def _source(article_id: int, url: str, issue_date: date, page: str, title: str) -> dict[str, Any]:
    return {"article_id": article_id, "url": url, "issue_date": issue_date.isoformat(), "page": page, "title": title}


def mentions(session: Session, watch_id: str, limit: int = 100, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """A project's mentions, newest issue first: date, title, snippet, how it matched, source."""
    return finding_reads.mention_page(session, watch_id, limit, offset)


def mentions_by_month(session: Session, watch_id: str) -> list[tuple[str, int]]:
    """How many stories mentioned a project, month by month (for its timeline)."""
    rows = session.exec(
        select(col(Issue.issue_date), col(Mention.story_url))
        .join(Article, col(Article.id) == Mention.article_id)
        .join(Issue, col(Issue.id) == Article.issue_id)
        .where(Mention.watch_id == watch_id)
    ).all()
    stories: dict[str, set[str]] = defaultdict(set)
    for day, story in rows:
        stories[f"{day:%Y-%m}"].add(story)
    return sorted((month, len(urls)) for month, urls in stories.items())


def facts(session: Session, watch_id: str) -> list[dict[str, Any]]:
    """What stories said about a project (investment, stage, progress), oldest first, with their sources."""
    rows = session.exec(
        select(ProjectFact)
        .where(ProjectFact.watch_id == watch_id)
        .order_by(col(ProjectFact.issue_date), col(ProjectFact.id))
    ).all()
    sources = _sources_by_url(session, {f.story_url for f in rows})
    return [
        {"field": f.field, "value": f.value, "issue_date": f.issue_date.isoformat(), "snippet": f.snippet,
         "source": sources.get(f.story_url)}
        for f in rows
    ]  # fmt: skip


def _sources_by_url(session: Session, urls: set[str]) -> dict[str, dict[str, Any]]:
    if not urls:
        return {}
    rows = session.exec(
        select_wide(col(Article.id), col(Article.url), col(Issue.issue_date), col(Page.code), col(Article.title))
        .join(Issue, col(Issue.id) == Article.issue_id)
        .join(Page, col(Page.id) == Article.page_id)
        .where(col(Article.url).in_(list(urls)))
    ).all()
    return {url: _source(aid, url, d, code, title) for aid, url, d, code, title in rows}


def observations(session: Session, indicator_id: str) -> list[dict[str, Any]]:
    """An indicator's figures in period order, each report with its source; a figure that differs from an
    earlier report of the same period and scope is marked ``revised`` with the value it replaced."""
    out = []
    last: dict[tuple[Any, ...], tuple[float | None, float | None]] = {}
    for obs, obs_id, source in finding_reads.observation_sources(session, indicator_id):
        label = obs["period"] if obs["period_start"] is None else ""
        key = (obs["period_start"], obs["period_end"], label, obs["scope"], obs["relative"])
        before = last.get(key)
        now = (obs["value"], obs["growth_pct"])
        revised = before is not None and _differs(before, now)
        out.append({
            "id": obs_id, "period": obs["period"], "period_start": obs["period_start"],
            "period_end": obs["period_end"], "scope": obs["scope"], "value": obs["value"], "unit": obs["unit"],
            "growth": obs["growth_pct"], "rank": obs["rank"] or None, "relative": obs["relative"],
            "snippet": obs["snippet"], "revised": revised,
            "previous": {"value": before[0], "growth": before[1]} if revised and before else None,
            "source": source,
        })  # fmt: skip
        last[key] = _merge(before, now)
    return out


def _differs(before: tuple[float | None, float | None], now: tuple[float | None, float | None]) -> bool:
    """A report that leaves out a figure the earlier one gave is not a revision; a changed figure is."""
    return any(b is not None and n is not None and b != n for b, n in zip(before, now, strict=True))


def _merge(
    before: tuple[float | None, float | None] | None, now: tuple[float | None, float | None]
) -> tuple[float | None, float | None]:
    if before is None:
        return now
    return (now[0] if now[0] is not None else before[0], now[1] if now[1] is not None else before[1])


# ---------------------------------------------------------------------------------------------- crawls


def crawl_runs(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The last crawls with their outcome and their problems (the first few of each)."""
    runs = session.exec(select(CrawlRun).order_by(col(CrawlRun.id).desc()).limit(limit)).all()
    problems: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = session.exec(
        select(Problem).where(col(Problem.run_id).in_([r.id for r in runs])).order_by(col(Problem.id))
    ).all()
    for p in rows:
        problems[p.run_id].append({"kind": p.kind, "url": p.url, "detail": p.detail, "issue_date": _iso(p.issue_date)})
    return [
        {"id": r.id, "mode": r.mode, "status": r.status, "started_at": local_iso(r.started_at),
         "finished_at": local_iso(r.finished_at), "duration_s": _seconds(r.started_at, r.finished_at),
         "articles_new": (r.stats or {}).get("articles_new"), "error": r.error,
         "problem_count": len(problems[r.id or 0]), "problems": problems[r.id or 0][:20]}
        for r in runs
    ]  # fmt: skip


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 1) if end else None
