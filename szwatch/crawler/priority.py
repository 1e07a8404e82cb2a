"""Which requests a crawl sends first: every page of an issue before any article, then the articles whose page
listing shows watched words, then the rest in page order.

Why: an alert can come no sooner than its article is stored, and a polite crawl of a whole issue takes minutes.
What a page's listing shows (the page's name, the titles of its articles) is all that is known of an article
before it is fetched, and a plain substring test of the watched names against it is enough to order the
requests: a wrong guess costs only order, never an article (every listed article is still fetched, and the
ledger still holds the crawl to that). Scrapy sends higher priorities first; equal ones last-in first-out, so
each request gets its own number to keep the page and listing order.
"""

from __future__ import annotations

from collections.abc import Iterable

PAGE = 10_000_000  # navigation: every page is listed before any article is fetched
TITLE_WATCHED = 2_000_000  # an article whose listed title shows a watched word
PAGE_WATCHED = 1_000_000  # an article on a page whose name or listing shows one
SLOTS = 1_000  # articles per page, for the order within a tier (a page lists far fewer)


class Watched:
    """The watched words a crawl orders by (watch names and aliases, handed over by whoever asks for the crawl)."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = tuple(sorted({w for w in words if w.strip()}, key=len))

    def __bool__(self) -> bool:
        return bool(self.words)

    def seen_in(self, text: str) -> bool:
        return any(word in text for word in self.words)


def page_priority(seq: int) -> int:
    return PAGE - seq


def article_priority(seq: int, index: int, page_watched: bool, title_watched: bool) -> int:
    """``seq``: the page's place in the issue; ``index``: the article's place in the page's listing."""
    tier = TITLE_WATCHED if title_watched else PAGE_WATCHED if page_watched else 0
    return tier - seq * SLOTS - min(index, SLOTS - 1)


def shortest_words(words: Iterable[str], limit: int) -> tuple[str, ...]:
    """The words to hand to a crawl: a word containing another adds nothing to a substring test, so only the
    others are kept, and at most ``limit`` characters of them (shortest first: they match the most)."""
    kept: list[str] = []
    size = 0
    for word in sorted({w.strip() for w in words if w.strip()}, key=lambda w: (len(w), w)):
        if any(shorter in word for shorter in kept):
            continue
        if size + len(word) > limit:
            break
        kept.append(word)
        size += len(word)
    return tuple(kept)
