"""Compose the replica: our corpus of articles dealt into issues of four pages, with the site's quirks.

Deterministic for a given spec (a seeded generator), so tests can name dates, pages and article numbers.
Weekends and one holiday have no paper; each issue's lead story runs on from A1 to A2; one article is
listed on two pages; some articles carry OCR gaps, non-breaking spaces and a byline inside the body.
"""

from __future__ import annotations

import json
import random
import re
import tomllib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from szwatch.replica import printed
from szwatch.replica.shapes import Shape
from szwatch.replica.templates import ArticleDoc, PageDoc

CORPUS = Path(__file__).with_name("corpus")
PAGE_NAMES = {"A1": "要闻", "A2": "综合", "A3": "县区", "A4": "社会·文化"}
SECTION_PAGE = {"要闻": "A1", "经济": "A2", "综合": "A2", "县区": "A3", "社会": "A4", "文化": "A4"}
ENCODING = "gb18030"  # what the pages are written in; they declare gb2312 like the real CMS
RARE_NAME = "王䶮"  # U+4DAE is outside GB2312 and GBK: only GB18030 decodes it


@dataclass(frozen=True)
class ReplicaSpec:
    start: date = date(2024, 5, 6)
    weeks: int = 2
    pages: int = 4
    per_page: int = 10
    seed: int = 9033
    first_issue_no: int = 9031
    holidays: tuple[date, ...] = (date(2024, 5, 15),)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0: the days the paper appears
    family: str = "shtml"  # the e-paper system whose URL shapes and markup the replica copies
    code: str = "szrb"  # the paper's folder on that system
    name: str = "朔州日报"

    @property
    def shape(self) -> Shape:
        return Shape(self.family, self.code, self.name)


@dataclass
class Manifest:
    """What was built, for tests and benchmarks to aim at."""

    dates: list[date]
    missing: list[date]
    articles: int
    pages: int
    continued: dict[str, str] = field(default_factory=dict)  # A1 part URL path → A2 part URL path
    shared: dict[str, list[str]] = field(default_factory=dict)  # article path → page paths listing it

    def to_json(self) -> str:
        data = asdict(self)
        data["dates"] = [d.isoformat() for d in self.dates]
        data["missing"] = [d.isoformat() for d in self.missing]
        return json.dumps(data, ensure_ascii=False, indent=1)


def load_corpus() -> list[dict[str, Any]]:
    articles: list[dict[str, Any]] = []
    for path in sorted(CORPUS.glob("*.toml")):
        with path.open("rb") as handle:
            articles.extend(tomllib.load(handle)["article"])
    return articles


def publishing_days(spec: ReplicaSpec) -> tuple[list[date], list[date]]:
    days = [spec.start + timedelta(days=i) for i in range(spec.weeks * 7)]
    published = [d for d in days if d.weekday() in spec.weekdays and d not in spec.holidays]
    return published, [d for d in days if d not in published]


def build_replica(root: Path, spec: ReplicaSpec | None = None) -> Manifest:
    """Write the replica under ``root`` (served as the site's document root) and return its manifest."""
    spec = spec or ReplicaSpec()
    rng = random.Random(spec.seed)
    dates, missing = publishing_days(spec)
    dealer = _Dealer(load_corpus(), rng)
    manifest = Manifest(dates=dates, missing=missing, articles=0, pages=0)
    numbers = iter(range(1_150_001, 10_000_000))
    shape = spec.shape
    for index, day in enumerate(dates):
        issue = _compose_issue(day, spec, dealer, numbers, rng)
        _write_issue(root, shape, day, spec.first_issue_no + index, issue, dates, manifest)
    _write(root / shape.entry_path().lstrip("/"), shape.entry_html(dates[-1]), shape.encoding)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n", encoding="ascii")
    (root / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    return manifest


class _Dealer:
    """Hands out corpus articles by section, reshuffling when a section runs dry (large replicas)."""

    def __init__(self, corpus: list[dict[str, Any]], rng: random.Random) -> None:
        self.rng = rng
        self.by_page: dict[str, list[dict[str, Any]]] = {code: [] for code in PAGE_NAMES}
        for article in corpus:
            self.by_page[SECTION_PAGE.get(article.get("section", ""), "A2")].append(article)
        self.queues: dict[str, list[dict[str, Any]]] = {code: [] for code in PAGE_NAMES}

    def deal(self, code: str, long: bool = False) -> dict[str, Any]:
        pool = self.by_page.get(code) or [a for items in self.by_page.values() for a in items]
        queue = self.queues.setdefault(code, [])
        if not queue:
            queue.extend(self.rng.sample(pool, len(pool)))
        if long:
            for i, article in enumerate(queue):
                if len(article["paragraphs"]) >= 6:
                    return queue.pop(i)
            return max(pool, key=lambda a: len(a["paragraphs"]))
        return queue.pop()


def _compose_issue(
    day: date, spec: ReplicaSpec, dealer: _Dealer, numbers: Iterator[int], rng: random.Random
) -> list[PageDoc]:
    names = list(PAGE_NAMES.values())
    codes = spec.shape.page_codes(spec.pages)
    pages = [PageDoc(code, names[i] if i < len(names) else "专版", []) for i, code in enumerate(codes)]
    for seq, page in enumerate(pages):
        count = max(3, spec.per_page + rng.randint(-2, 2))
        for _ in range(count):
            page.articles.append(_doc(dealer.deal(f"A{seq + 1}"), next(numbers), rng))
    if len(pages) > 1:
        _continue_lead_story(pages, dealer.deal("A1", long=True), numbers, rng)
    pages[-1].articles[-1].byline = f"记者 {RARE_NAME}"  # one GB18030-only character in every issue
    for seq, page in enumerate(pages):
        for at, doc in enumerate(page.articles):
            doc.path = spec.shape.article_path(day, seq, at, doc.number)
    if len(pages) > 2:
        shared = pages[2].articles[0]
        pages[0].extra_links.append((shared.number, shared.title))  # 导读 on A1 points at an A3 story
        pages[0].extra.append(shared)
    return pages


def _continue_lead_story(
    pages: list[PageDoc], article: dict[str, Any], numbers: Iterator[int], rng: random.Random
) -> None:
    """Split a long story: its head leads A1 and says （下转第2版）, its tail opens A2 with （上接第1版）."""
    paragraphs = list(article["paragraphs"])
    cut = max(1, len(paragraphs) // 2)
    head = _doc({**article, "paragraphs": paragraphs[:cut]}, next(numbers), rng)
    head.paragraphs = [*head.paragraphs[:-1], head.paragraphs[-1] + "（下转第2版）"]
    tail = _doc({**article, "paragraphs": paragraphs[cut:], "pictures": []}, next(numbers), rng)
    tail.paragraphs = ["（上接第1版）" + tail.paragraphs[0], *tail.paragraphs[1:]]
    tail.kicker = tail.subtitle = tail.byline = ""
    pages[0].articles.insert(0, head)
    pages[1].articles.insert(0, tail)


def _doc(article: dict[str, Any], number: int, rng: random.Random) -> ArticleDoc:
    paragraphs = ["\u3000\u3000" + p for p in article["paragraphs"]]
    if rng.random() < 0.25:
        paragraphs = [_ocr_noise(p, rng) for p in paragraphs]
    if rng.random() < 0.2:
        paragraphs[0] = paragraphs[0].replace("，", "，\u00a0", 1)
    byline = article.get("byline", "")
    return ArticleDoc(
        number=number,
        title=article["title"],
        paragraphs=paragraphs,
        kicker=article.get("kicker", ""),
        subtitle=article.get("subtitle", ""),
        byline=byline,
        byline_in_body=bool(byline) and rng.random() < 0.3,
        pictures=[p["caption"] for p in article.get("pictures", [])],
    )


_NUMBER_UNIT = re.compile(r"(\d+(?:\.\d+)?)(亿元|万元|万吨|万千瓦|亩|%)")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{6,}")


def _ocr_noise(paragraph: str, rng: random.Random) -> str:
    """Spaces and line breaks where OCR of the printed page leaves them: inside words and before units."""
    paragraph = _NUMBER_UNIT.sub(lambda m: f"{m[1]} {m[2]}" if rng.random() < 0.5 else m[0], paragraph, count=2)
    run = _CJK_RUN.search(paragraph)
    if run and rng.random() < 0.5:
        word = run.group(0)[:4]
        paragraph = paragraph.replace(word, " ".join(word), 1)
    if len(paragraph) > 40 and rng.random() < 0.5:
        at = rng.randint(10, len(paragraph) - 10)
        paragraph = paragraph[:at] + "\n" + paragraph[at:]
    return paragraph


def _write_issue(
    root: Path, shape: Shape, day: date, issue_no: int, pages: list[PageDoc], dates: list[date], manifest: Manifest
) -> None:
    at = dates.index(day)
    prev_next = (dates[max(0, at - 1)], dates[min(len(dates) - 1, at + 1)])
    index = shape.issue_index(day)
    if index:
        _write(root / index.lstrip("/"), shape.index_html(day), shape.encoding)
    for seq, page in enumerate(pages):
        html = shape.page_html(day, issue_no, pages, page, prev_next)
        _write(root / shape.page_path(day, page.code).lstrip("/"), html, shape.encoding)
        _write_bytes(root / shape.image_path(day, seq).lstrip("/"), printed.page_picture(seq + 1))  # as printed
        if shape.has_pdf():
            _write_bytes(root / shape.pdf_path(day, seq).lstrip("/"), printed.PDF)
        for doc in page.articles:
            _write(root / doc.path.lstrip("/"), shape.article_html(day, page, doc), shape.encoding)
        manifest.pages += 1
        manifest.articles += len(page.articles)
    if len(pages) > 1:
        manifest.continued[pages[0].articles[0].path] = pages[1].articles[0].path
    for doc in pages[0].extra:
        manifest.shared[doc.path] = [shape.page_path(day, pages[0].code), shape.page_path(day, pages[2].code)]


def _write(path: Path, html: str, encoding: str = ENCODING) -> None:
    _write_bytes(path, html.encode(encoding))


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
