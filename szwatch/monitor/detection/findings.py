"""What detection finds in one story: the text it reads, and its hits split into projects and figures.

One home for the rule "a project hit is a mention (with the facts its clauses state); an indicator hit is
read for figures", used by ``detect`` (the archive), ``evaluate`` (the labelled sets) and the benchmarks, so
they cannot drift apart. Parts of a story continued across pages are joined before matching, so a project
named on A1 and its figures on A2 are one story, and it is alerted once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from szwatch.monitor.detection.match import Hit, Matcher, split_sentences
from szwatch.monitor.detection.watchlist import WatchKind, Watchlist
from szwatch.store.plain import plain_on
from szwatch.store.reads.stories import Story, load_stories, story_digests
from szwatch.store.text import normalize

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from szwatch.monitor.detection.facts import Fact
    from szwatch.monitor.detection.figures import Observation
    from szwatch.store.plain import Db

PREVIEW_BATCH = 200  # stories read at a time by the preview of a watch
SENTENCE_OPEN = re.compile(r"[，,；;：:、]")
SENTENCE_CLOSED = ("。", "！", "？", "!", "?", "”", "’", "」", "…", "）", ")")


def story_body(story: Story) -> str:
    """The text detection reads: the first part's kicker, title and subtitle, then every part's lines."""
    head = story.parts[0]
    return parts_body(head.kicker, head.title, head.subtitle, [part.text for part in story.parts])


def parts_body(kicker: str | None, title: str | None, subtitle: str | None, texts: Iterable[str]) -> str:
    """``story_body`` of a story's head and its parts' texts: what a worker process is sent (``analysis``), so that
    the text is made there, and the parent process, which writes every batch alone, does not make it too."""
    return story_text(kicker, title, subtitle, [line for text in texts for line in text.split("\n")])


def story_text(kicker: str | None, title: str | None, subtitle: str | None, body: Iterable[str]) -> str:
    """Kicker, title, subtitle and body, one line each: the title and kicker are sentences of their own.

    A body paragraph left open in mid-sentence (a clause mark and no full stop: ``全县一般公共预`` / ``算收入
    完成5.12亿元`` split by a page or OCR break) is joined to the next, as a reader joins it; headings have no
    clause marks and stay lines of their own.
    """
    lines = [normalize(x) for x in (kicker, title, subtitle) if x]
    paragraphs = [line for line in (normalize(p) for p in body) if line]
    for i, paragraph in enumerate(paragraphs):
        previous = paragraphs[i - 1] if i else ""
        if previous and not previous.endswith(SENTENCE_CLOSED) and SENTENCE_OPEN.search(previous):
            lines[-1] += paragraph
        else:
            lines.append(paragraph)
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Findings:
    """Project hits (mentions), what they state about the projects, and indicator observations of one text."""

    mentions: list[Hit]
    observations: list[Observation]
    facts: list[Fact] = field(default_factory=list)


def find(
    text: str, matcher: Matcher, watchlist: Watchlist, issue_date: date, default_place: str | None = None,
    facts: bool = True,
) -> Findings:  # fmt: skip
    """``default_place``: see ``figures.extract`` (``None`` for a Shuozhou paper, ``OTHER`` for a provincial one).

    ``facts=False`` leaves the project facts out, for a caller that reads them from the stored mentions
    (``analysis``: ``story_facts`` of ``mention_facts``): reading every clause once is enough. The story's
    sentences are split once, for the matcher and for the figures alike.
    """
    # Figures and facts are read here only: ``preview_watch`` (``szwatch watch test``) needs the matcher alone, and
    # starts without their grammar (a twentieth of a second of CPU).
    from szwatch.monitor.detection.facts import hit_facts
    from szwatch.monitor.detection.figures import extract

    kinds = matcher.kinds if matcher.built_from is watchlist.watches else {w.id: w.kind for w in watchlist.watches}
    sentences = split_sentences(text)
    hits = matcher.find(text, every_indicator=True, sentences=sentences)
    mentions = [h for h in hits if kinds.get(h.watch_id) == WatchKind.PROJECT]
    indicators = [h for h in hits if kinds.get(h.watch_id) == WatchKind.INDICATOR]
    observations = extract(text, indicators, issue_date, matcher, default_place, sentences)
    return Findings(mentions, observations, hit_facts(mentions) if facts else [])


def preview_watch(db: Db | Engine, watchlist: Watchlist, limit: int = 50) -> list[tuple[Story, Hit]]:
    """What a watch (or a draft of one) would match in the archive, without storing anything: ``szwatch watch
    test`` asks with a plain reader (it starts without the ORM), the web view's watch editor with its engine."""
    matcher = Matcher(watchlist)
    found: list[tuple[Story, Hit]] = []
    with plain_on(db) as plain:
        urls = list(story_digests(plain))
        for start in range(0, len(urls), PREVIEW_BATCH):
            for story in load_stories(plain, urls[start : start + PREVIEW_BATCH]):
                found.extend((story, hit) for hit in matcher.find(story_body(story)))
                if len(found) >= limit:
                    return found[:limit]
    return found
