"""Is an article's body much shorter than its page holds? Our extraction checked against a generic one.

The yardstick is trafilatura (``pages.generic_text_length``): a body much shorter than what it finds on the same
page (``[quality] truncation_ratio``, at least ``truncation_min_missing`` characters) is flagged as possibly
truncated. Asking it costs about 2 ms a page, more than all our own extraction, so it is asked only when the
page could make our body look short at all. The generic extractor finds no more than the text it reads:

- a body that ends as a finished paragraph ends was not cut at its end, so what a too-narrow selector left unread
  lies beside what it read: in the block around the body (``ArticleView.body_block_text_length``), whose text is
  then the most the extractor could find that we did not;
- any other body (one cut short, continued on another page, or not found) is held against all the page's text.

When even that could not make the body look short, the verdict is "whole" without asking. On every page the
tests hold (each family's replica, saved pages, hostile and re-marked pages) this gives trafilatura's own verdict
(``tests/crawler/test_truncation.py``), while the replica's ordinary articles no longer ask it at all.
"""

from __future__ import annotations

from szwatch.crawler.pages import ArticleView


def is_short(ours: int, found: int, quality: dict[str, float]) -> bool:
    """Is a body of ``ours`` characters much shorter than ``found``?"""
    missing = found - ours
    return missing >= quality["truncation_min_missing"] and ours < found * quality["truncation_ratio"]


def needs_generic(view: ArticleView, quality: dict[str, float]) -> bool:
    """Could the generic extractor find enough that we did not to call our body short? (If not, it is not asked.)"""
    ceiling = view.body_block_text_length() if view.looks_whole() else None
    if ceiling is None:
        ceiling = view.visible_text_length()
    return is_short(view.body_length(), ceiling, quality)
