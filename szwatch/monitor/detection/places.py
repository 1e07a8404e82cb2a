"""Where a clause is: the city's own places against every other one (临猗县, 太原, 内蒙古乌海市, 日本).

The paper also prints news of other places — a county of 运城, a 太钢 plant in 太原, the same company's
project in 乌海 — and a reader does not count their figures or projects as the city's. The words are tables
in ``grammar``: the city's places (``SHUOZHOU_PLACES``, masked first), places that contain the city (山西,
全国: neither ours nor other), named provinces, cities and countries, and any other ``X市``/``X县`` whose two
characters are no generic word (全市, 我市, 城市, 超市, 工业强市, 养殖大县 are not places; 市场, 县域, 市级 are
not 市/县 at all). Districts (``X区``) are found only through their city: 工作区, 集聚区, 园区 … are too many
to tell from a district by their characters.

A place counts for where something is only when nothing makes it a destination, an origin or a partner
(发往日本, 朔州至太原, 来自北京的客商, 与大同市签约) or a source (据内蒙古日报报道).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick_rs

from szwatch.monitor.detection import grammar as g

# Named places in one automaton (a regex alternation of a hundred names costs more than the rest of a
# sentence's reading); the suffix that may follow a name (内蒙古自治区, 乌海市) is read after it.
NAMED = ahocorasick_rs.AhoCorasick(
    [*g.PROVINCES, *g.CITIES, *g.COUNTRIES], matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_LONGEST
)
NAMED_SUFFIX = re.compile(r"维吾尔自治区|壮族自治区|回族自治区|自治区|省|市")
NAMED_FOLLOWER = re.compile(g.alternation(g.NOT_PLACE_FOLLOWERS))
# Any other 临猗县: a suffix after two word characters none of them generic, and no word the suffix begins (市场).
SUFFIX = re.compile(g.alternation(g.PLACE_SUFFIXES))
STEM = re.compile(rf"[^\W\da-zA-Z_{re.escape(g.NOT_PLACE_STEM_CHARS)}]{{2}}")
AFTER = frozenset(g.NOT_PLACE_AFTER)
OUR_NAMES = frozenset(g.SHUOZHOU_PLACES)
OURS = re.compile(g.alternation(g.SHUOZHOU_PLACES))
MASKED = re.compile(g.alternation((*g.SHUOZHOU_PLACES, *g.CONTAINING_PLACES, *g.PLACE_FALSE_FRIENDS)))
NOT_LOCATING = re.compile(rf"(?:{g.alternation(g.NOT_LOCATING_BEFORE)})$")
LOCATIVE = re.compile(rf"(?:{g.alternation(g.LOCATIVE_BEFORE)})$")
SOURCE_AFTER = re.compile(g.alternation(g.NOT_PLACE_BEFORE))


@dataclass(frozen=True)
class Place:
    start: int
    end: int
    name: str
    ours: bool


def places(text: str) -> list[Place]:
    """The city's places and the other places of ``text``, in order (places that contain the city left out)."""
    found = [Place(m.start(), m.end(), m[0], True) for m in OURS.finditer(text)]
    found.extend(Place(start, end, text[start:end], False) for start, end in _others(text))
    return sorted(found, key=lambda p: p.start)


def other_names(text: str) -> tuple[str, ...]:
    """The places outside the city that ``text`` names (a story: its sentences need looking at only for these)."""
    return tuple({text[start:end] for start, end in _others(text)})


def _others(text: str) -> list[tuple[int, int]]:
    spans = []
    for _, start, end in NAMED.find_matches_as_indexes(text):
        if NAMED_FOLLOWER.match(text, end):
            continue  # 南榆林乡, 太原路
        if suffix := NAMED_SUFFIX.match(text, end):
            end = suffix.end()
        spans.append((start, end))
    for suffix in SUFFIX.finditer(text):
        start, end = suffix.start() - 2, suffix.end()
        if start < 0 or text[start:end] in OUR_NAMES or not STEM.match(text, start, suffix.start()):
            continue  # 朔州市, 山阴县 are the city's: no need to look further
        if end < len(text) and text[end] in AFTER:
            continue
        if not any(s < end and start < e for s, e in spans):
            spans.append((start, end))
    if not spans:  # most sentences name no other place
        return spans
    masked = [(m.start(), m.end()) for m in MASKED.finditer(text)]
    return [(start, end) for start, end in spans if not any(s < end and start < e for s, e in masked)]


def locating(text: str, places_: list[Place]) -> list[Place]:
    """The places that say where something is: not a destination, an origin, a partner or a news source (nor a
    later member of a list that began as one — 远销韩国、日本和东南亚 — or a place inside it: 来自河北保定)."""
    kept, previous, previous_kept = [], None, True
    for place in places_:
        listed = previous is not None and text[previous.end : place.start] in ("", *g.LIST_MARKS)
        if listed and not previous_kept:
            keep = False
        else:
            keep = not NOT_LOCATING.search(text, max(0, place.start - 4), place.start)
        keep = keep and not SOURCE_AFTER.match(text, place.end)
        if keep:
            kept.append(place)
        previous, previous_kept = place, keep
    return kept


def elsewhere(text: str, start: int, end: int) -> bool:
    """Does ``text`` (a clause) place what stands at ``start:end`` outside the city?

    Another place counts when it is inside the wording (东立光伏内蒙古乌海多晶硅项目), right before it
    (乌海市东立光伏…项目) or after a locative word (在太原, 位于新疆: ``grammar.LOCATIVE_BEFORE``); a place
    merely named in the clause (…产品供应太原企业) does not move the project. The place that counts is the last
    one named before the end of the wording (东立光伏在内蒙古乌海市投资建设的…项目; a place of the city inside the
    wording wins: 在太原签约的宝武朔州…项目), else the first one after it (太钢…项目在太原投产).
    """
    found = [
        p for p in locating(text, places(text))
        if p.ours or start <= p.start < end or p.end == start or LOCATIVE.search(text, max(0, p.start - 3), p.start)
    ]  # fmt: skip
    before = [p for p in found if p.start < end]
    if before:
        return not before[-1].ours
    after = [p for p in found if p.start >= end]
    return bool(after) and not after[0].ours


def only_elsewhere(text: str) -> bool:
    """Does ``text`` say it happens in another place (其在乌海的基地也已投产: 在 + place) and name no place of the
    city? A place with no locative word before it may be part of a name (集宁—大同—原平高速铁路)."""
    found = locating(text, places(text))
    if any(p.ours for p in found):
        return False
    return any(LOCATIVE.search(text, max(0, p.start - 3), p.start) for p in found)


def other_subject(text: str) -> Place | None:
    """The last place of ``text`` when it is another place named as a subject (临猗县固定资产投资…, 据临猗县统计局
    数据), not as a comparison, a rank, a destination or a source; None when the last place is the city's."""
    found = [p for p in locating(text, places(text)) if not _compared(text, p)]
    if found and not found[-1].ours:
        return found[-1]
    return None


def _compared(text: str, place: Place) -> bool:
    before = text[max(0, place.start - 2) : place.start]
    return before.endswith(g.BEFORE_AREA_NOT_SUBJECT) or before.endswith(("位列", "高于", "低于", "居", "列"))
