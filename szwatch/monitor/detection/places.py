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
from szwatch.monitor.detection.periods import PERIOD

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
LOCATIVE_WORD = re.compile(g.alternation(g.LOCATIVE_BEFORE))
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
    if LOCATIVE_WORD.search(text) is None:  # no locative word at all (most clauses): no place needs finding
        return False
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


# Whose figures a clause states: the city, one of its counties or another area (``OTHER``).
OTHER = "<other area>"
_CLAUSE_END = re.compile(r"[，,；;：:]")
# The city as a subject; not in a comparison (高于朔州市平均水平) or a rank (居朔州市第二).
CITY = re.compile(  # the lookahead first: the lookbehinds are tried only where the city's name starts
    rf"(?=(?:{g.alternation(g.CITY)}))(?<!{')(?<!'.join(g.BEFORE_AREA_NOT_SUBJECT)})(?:{g.alternation(g.CITY)})"
    rf"(?!{g.alternation(g.COUNTIES)}|平均|第)"
)


# 全市 as the subject of a clause, not in 高于全市…, 居全市第一, 占全市的
SUBJECT_CITY = re.compile(  # the lookahead first: the lookbehinds are tried only where 全市 stands
    rf"(?=全市)(?<!{')(?<!'.join(g.BEFORE_AREA_NOT_SUBJECT)})全市(?!第|首位|平均|前列|的)"
)


PLACE = re.compile(g.alternation(g.PLACES))
ANY_COUNTY = re.compile(g.alternation(g.COUNTIES))  # most sentences name none: one search, not one per county


# A rank verb of two characters or more stands between a subject and its rank (增速排名全市第一) like a filler.
FILLER = re.compile(rf"{g.alternation((*g.FILLERS, *(v for v in g.RANK_VERBS if len(v) > 1)))}|按[^，]{{0,8}}计算|\s")


def subject_words(head: str) -> str:
    """What names the subject: the head without period, place and filler words."""
    words = PLACE.sub("", PERIOD.sub("", head))
    return FILLER.sub("", words)


def scope(before_hit: str, county: str | None, others: tuple[str, ...] | None = None) -> str:
    """The county named as subject, else the story's county when the sentence points back at it, else 全市.

    In a story about 怀仁市 (a county-level city) "全市" means 怀仁, as "全县"/"全区" mean the county or district;
    but 朔州市 or 我市 named as subject means the city, whatever county earlier sentences spoke of.
    """
    if other_area_subject(before_hit, others):
        return OTHER
    if before_hit.endswith(g.CITY_RIGHT_BEFORE):  # 2022年朔州GDP达…: the city's name right before the indicator
        return "全市"
    named = [(before_hit.rfind(c), c) for c in g.COUNTIES if c in before_hit]
    named.extend((m.start(), "全市") for m in CITY.finditer(before_hit))
    if named:
        return max(named)[1]
    if county == OTHER:  # a story of another place: only a place of the city named again brings it back
        return "全市" if OURS.search(before_hit) else OTHER
    if county and any(word in before_hit for word in _own_words(county)):
        return county
    if "全市" in before_hit:
        return "全市"
    return county or "全市"


def other_area_subject(text: str, others: tuple[str, ...] | None = None) -> bool:
    """Is the last place of ``text`` another place (临猗县, 太原市), named as the subject of its clause?

    Only a place at the head of its clause is a subject (临猗县固定资产投资…, 据临猗县统计局数据, 近年来，大同市
    在…); one further in is where something went or was done (推介会走进太原, 位列运城市第一), not whose figures
    follow.
    """
    if others is not None and not any(name in text for name in others):
        return False  # the story's other places (``others``, when known) are not in this text
    found = locating(text, places(text))
    if not found or found[-1].ours:
        return False
    place = found[-1]
    start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, place.start)), default=0)
    prefix = text[start : place.start]
    for other in reversed(found[:-1]):  # 运城市临猗县: a place before it in the clause narrows it down
        if other.start >= start:
            prefix = prefix[: other.start - start] + prefix[other.end - start :]
    return subject_words(prefix) in g.SUBJECT_LEADS


def _own_words(county: str) -> tuple[str, ...]:
    return ("该市", "该县", "该区", "全市" if county.endswith("市") else "全县" if county.endswith("县") else "全区")


def story_county(text: str, current: str | None, others: tuple[str, ...] | None = None) -> str | None:
    if other_area_subject(text, others):
        return OTHER
    named = [(text.rfind(c), c) for c in g.COUNTIES if c in text] if ANY_COUNTY.search(text) else []
    named.extend((m.start(), "") for m in CITY.finditer(text))
    if named:
        return max(named)[1] or None
    if current == OTHER:
        return None if OURS.search(text) else OTHER
    if current and SUBJECT_CITY.search(text) and not current.endswith("市") and "朔州" not in text:
        return None
    return current
