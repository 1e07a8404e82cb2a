"""Excerpts and marks: the words around a query's terms, for the command line and the web view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


def excerpt(text: str, terms: Sequence[str], width: int = 30, mark: tuple[str, str] = ("【", "】")) -> tuple[str, str]:
    """A short excerpt around the first hit, unmarked and with every hit of every term marked.

    The excerpt keeps the text's own case; terms are matched case-insensitively (they are lower-cased).
    """
    flat = text.replace("\n", " ")
    lower = flat.lower()
    lower = lower if len(lower) == len(flat) else flat
    found = [(at, t) for t in terms if (at := lower.find(t)) >= 0]
    if not found:
        plain = flat[: width * 2] + ("…" if len(flat) > width * 2 else "")
        return plain, plain
    at, term = min(found)
    start, end = max(0, at - width), min(len(flat), at + len(term) + width)
    head, tail = ("…" if start > 0 else ""), ("…" if end < len(flat) else "")
    window = flat[start:end]
    return head + window + tail, head + mark_terms(window, terms, mark) + tail


def spans(text: str, terms: Sequence[str]) -> list[tuple[str, bool]]:
    """The text cut into pieces, each saying whether it is a hit; each hit is a piece of its own, longer
    terms claiming their characters first."""
    lower = text.lower()
    lower = lower if len(lower) == len(text) else text  # a rare letter whose lower case is longer
    owner = [0] * len(text)  # 0: no hit; k: the k-th hit
    count = 0
    for term in sorted(terms, key=len, reverse=True):
        at = lower.find(term)
        while term and at >= 0:
            if not any(owner[at : at + len(term)]):
                count += 1
                owner[at : at + len(term)] = [count] * len(term)
            at = lower.find(term, at + 1)
    pieces: list[tuple[str, bool]] = []
    last = -1
    for ch, who in zip(text, owner, strict=True):
        if pieces and who == last:
            pieces[-1] = (pieces[-1][0] + ch, bool(who))
        else:
            pieces.append((ch, bool(who)))
        last = who
    return pieces


def mark_terms(text: str, terms: Sequence[str], mark: tuple[str, str] = ("【", "】")) -> str:
    return "".join(f"{mark[0]}{piece}{mark[1]}" if flag else piece for piece, flag in spans(text, terms))
