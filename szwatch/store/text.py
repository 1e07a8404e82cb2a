"""The one normal form of Chinese article text.

The crawler stores it and the matcher searches it, so both sides must agree on it; that is why it lives in
the store, which everything else may import. OCR and the paper's CMS leave full-width and non-breaking
spaces, line breaks and stray spaces inside Chinese words and numbers (``固 定 资 产 投 资``, ``872.6 亿元``,
``3 6.2%``); none of them carry meaning in Chinese text, so they are removed there and kept between Latin words.
"""

from __future__ import annotations

import re

_FULLWIDTH_ASCII = {chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF1A)}  # ０-９
_FULLWIDTH_ASCII.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_FULLWIDTH_ASCII.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_FULLWIDTH_ASCII.update({"％": "%", "．": ".", "＋": "+", "－": "-"})
_TRANSLATE = str.maketrans(_FULLWIDTH_ASCII)

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[\s\u00a0\u3000\u2002-\u200a\u202f\u205f]+")
# Characters beside which a space is never meaningful: CJK ideographs, CJK and full-width punctuation,
# Chinese quotation marks, dashes and ellipses.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\u2014\u2026\u2018\u2019\u201c\u201d\u00b7"
_GAP_AFTER_CJK = re.compile(rf"(?<=[{_CJK}]) (?=\S)")
_GAP_BEFORE_CJK = re.compile(rf"(?<=\S) (?=[{_CJK}])")
_GAP_IN_NUMBER = re.compile(r"(?<=\d) ?([.%]) ?(?=\d)|(?<=\d) (?=[%\d])")


# Every character ``normalize`` may change: text without any is its own normal form (most stored text).
_CHANGED = re.compile(
    rf"[\s\u00a0\u3000\u2002-\u200d\u202f\u205f\u2060\ufeff\u00ad{re.escape(''.join(_FULLWIDTH_ASCII))}]"
)


def normalize(text: str) -> str:
    """Return the normal form of one paragraph (or title): what is stored, searched and matched."""
    if _CHANGED.search(text) is None:
        return text
    text = _INVISIBLE.sub("", text.translate(_TRANSLATE))
    text = _SPACES.sub(" ", text).strip()
    text = _GAP_AFTER_CJK.sub("", text)
    text = _GAP_BEFORE_CJK.sub("", text)
    return _GAP_IN_NUMBER.sub(lambda m: m.group(1) or "", text)


def normalize_paragraphs(paragraphs: list[str]) -> list[str]:
    """Normalise each paragraph and drop the ones that turn out empty."""
    return [p for p in (normalize(p) for p in paragraphs) if p]


def snippet(text: str, needle: str, width: int = 30, mark: tuple[str, str] = ("【", "】")) -> str:
    """A short excerpt around the first occurrence of ``needle`` with the match marked.

    Search results and alerts both show where a hit sits in a long article; an excerpt without the mark
    makes the reader hunt for it.
    """
    flat = text.replace("\n", " ")
    at = flat.find(needle) if needle else -1
    if at < 0:
        return flat[: width * 2] + ("…" if len(flat) > width * 2 else "")
    start, end = max(0, at - width), min(len(flat), at + len(needle) + width)
    head = "…" if start > 0 else ""
    tail = "…" if end < len(flat) else ""
    return f"{head}{flat[start:at]}{mark[0]}{needle}{mark[1]}{flat[at + len(needle) : end]}{tail}"


def page_label(code: str, number: int | None) -> str:
    """The page label a reader knows: the printed number (``01``) where the page code is only a node id.

    Founder's classic system names its pages by node id (node_2 is often 第01版), so an all-digit code is
    replaced by the printed ``Page.number`` when it is known; a code with letters (szrb's ``A1``) is what
    the paper prints and stays, as does any code whose printed number was never read."""
    if number is not None and code.isdigit():
        return f"{number:02d}"
    return code
