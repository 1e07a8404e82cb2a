"""Indicator figures: in each sentence that names a watched indicator, every observation it states.

Pure text in, observations out; the words come from ``grammar`` (verbs with their sign, units, periods,
places, target words), the patterns are built from them here.

A sentence is read clause by clause (split at ，；：). Each clause has a subject — what stands before its
first figure — and the subject is carried to the following clauses of the sentence until another replaces
it. The subject may be:

- watched indicators named in the clause (rule ``clause``); an enumeration whose last member carries the
  head (交通、水利、能源投资) distributes the head over the others (rule ``shared-head``);
- nothing but fillers (同比, 比上年, 其中…): the subject of the clause before is carried (``carried``);
- an attribute of it (总投资 after a count: 新签约项目58个，计划总投资312亿元) — still the same (``attribute``);
- an elliptical measure of the topic of the clause before (…蔬菜种植面积12.5万亩，总产量86.3万吨): the
  topic and the measure together name the indicator (``topic``);
- a place: a county named in the clause gives its figures that scope; another area (全省) has none of ours;
- anything else (税收收入, 单产, a project): it ends the indicator's subject, so its figures are not ours.

Figures of the subject are the level (value + unit), year-on-year growth (a verb or a noun: 增长5%, 同比降低
3.2%, 增速12.3%, 增长幅度为5.4%), a comparison with another area (``relative``: 增速高于全省1.2个百分点, also
written 高于全省3.1%) and a rank (全省第一). ``A、B、C分别增长x%、y%、z%`` pairs the i-th figure with the i-th
member, unwatched members included; when the counts disagree nothing is paired, never the wrong way.
Targets (预期目标, 力争), thresholds (20%以上) and comparisons with another period are not observations.

The period is the one the sentence names, else the last one named earlier in the story, resolved against
the issue date; a span named without its year takes the year the story names for it (``periods.StoryPeriods``).
The scope is a county or district named as subject (also via 该市/该县), else 全市; an
explicit city subject (朔州市, 我市) wins over the county of earlier sentences.

Every observation says which rules produced it (``rule``), so a wrong one can be traced to its rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from szwatch.common.numerals import number
from szwatch.monitor.detection import grammar as g
from szwatch.monitor.detection import places as pl
from szwatch.monitor.detection.match import Hit, Sentence, split_sentences
from szwatch.monitor.detection.periods import Period, StoryPeriods

if TYPE_CHECKING:
    from szwatch.monitor.detection.match import Matcher

COUNTIES = g.COUNTIES
OTHER = pl.OTHER
CN_ORDINAL = "一二三四五六七八九十"

_BEFORE = "".join(f"(?<!{re.escape(w)})" for w in g.NOT_LEVEL_BEFORE)
GROWTH = re.compile(
    rf"(?:(?P<noun>{g.alternation(g.GROWTH_NOUNS)})(?:{g.alternation(g.NOUN_LINKS)})?"
    rf"|(?P<verb>{g.alternation(g.GROWTH_VERBS)})了?(?:达到|达|为)?"
    rf"|(?:{g.alternation(g.COMPARISONS)})(?P<short>{g.alternation(g.SHORT_VERBS)})了?)"
    rf"\s*(?P<nums>{g.PCT}(?:{g.SEP}{g.PCT})*)(?!\s*(?:{g.alternation(g.APPROXIMATE)}))"
)
VALUE = re.compile(
    rf"(?<![\d.第]){_BEFORE}(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>{g.alternation(g.UNITS)})"
    rf"(?!\s*(?:{g.alternation(g.NOT_LEVEL_AFTER)}))"
)
_AREA = rf"(?:{g.alternation(g.AREA_PREFIX)})?(?P<area{{n}}>{g.alternation(g.AREAS)})"
_POINTS = rf"{g.NUM}个?(?:{g.SEP}{g.NUM}个?)*"
_POINT_UNIT = rf"(?:{g.alternation(g.POINT_UNITS)})"
RELATIVE = re.compile(
    rf"(?:(?P<dir1>{g.alternation(g.RELATIVE_VERBS)}){_AREA.format(n=1)}[^，。；\d]{{0,8}}?(?P<num1>{_POINTS}){_POINT_UNIT}"
    rf"|(?:比|较){_AREA.format(n=2)}[^，。；\d]{{0,8}}?(?P<dir2>{g.alternation(g.RELATIVE_ADJECTIVES)})"
    rf"(?P<num2>{_POINTS}){_POINT_UNIT})"
)
RANK = re.compile(
    rf"(?P<area>{g.alternation(g.AREAS)})(?:[^，。；第]{{0,10}}?(?:{g.alternation(g.RANK_VERBS)}))?"
    r"(?:第(?P<nth>[\d一二三四五六七八九十]+)位?(?!产业|季度|批|次|届|期)|(?P<first>首位))"
)
TARGET = re.compile(g.alternation(g.TARGET_WORDS))
NOT_TARGET = re.compile(g.alternation(g.NOT_TARGETS))
CLAUSE_END = re.compile(r"[，,；;：:]")
ZONE = re.compile(g.alternation(g.OTHER_ZONES))
HAN = re.compile(r"[\u4e00-\u9fffA-Za-z]")
ENUM_SPLIT = re.compile(r"、")
ENUM_SPLIT_ALL = re.compile(r"、|和|及|与")
TRAILING_FILLER = re.compile(rf"(?:{g.alternation(g.FILLERS)}|\s)+$")
MEASURE_END = re.compile(rf"(?:{g.alternation(g.MEASURES)})$")
ELLIPTICAL = re.compile(g.alternation(g.ELLIPTICAL))
DIGIT = re.compile(r"\d")  # the ``\d`` of ``VALUE`` (any Unicode digit)
NAMED_MEASURE = re.compile(rf"[\u4e00-\u9fff]{{2,}}?(?:{g.alternation(g.MEASURES)})")


@dataclass(frozen=True)
class Observation:
    indicator_id: str
    value: float | None
    unit: str
    growth_pct: float | None
    period: str
    period_start: date | None
    period_end: date | None
    scope: str
    rank: str
    relative: bool
    snippet: str
    sentence_index: int
    surface: str
    rule: str = ""  # which rules produced it, joined by "+": clause, carried, shared-head, respectively, …


@dataclass
class _Context:
    period: Period | None = None
    periods: StoryPeriods | None = None  # the story's periods, read against its issue date
    county: str | None = None
    others: tuple[str, ...] | None = None  # the other places the story names: a sentence naming none is ours


@dataclass
class _Subject:
    """Who the figures of a clause belong to: members in order (None: an unwatched member of a list)."""

    members: list[Hit | None]
    rule: str
    alternatives: list[list[Hit | None]] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # 朔城区、平鲁区…固定资产投资增速分别为…: one scope per figure

    @property
    def watched(self) -> list[Hit]:
        return [m for m in self.members if m is not None]


@dataclass
class _Clause:
    start: int  # offset in the story text
    text: str
    scope: str
    period: Period | None
    sentence: Sentence
    periods: StoryPeriods | None = None


def extract(
    text: str, hits: list[Hit], issue_date: date, matcher: Matcher | None = None, default_place: str | None = None,
    sentences: list[Sentence] | None = None,
) -> list[Observation]:  # fmt: skip
    """Observations of the indicators among ``hits`` (the matcher's hits for watched indicators).

    ``matcher`` (the one that produced the hits) lets a clause name an indicator in parts: a shared head
    (交通、水利投资) or a topic and its elliptical measure (粮食…，总产量…). Without it only whole names count.
    ``default_place`` is where a story stands before it names a place: ``None`` is the city (a Shuozhou paper's
    story), ``OTHER`` another area (a provincial paper's: a figure is Shuozhou's only once 朔州 or a county of it
    is named). ``sentences``: the text's ``split_sentences``, when the caller has them.
    """
    by_sentence: dict[int, list[Hit]] = {}
    for hit in _longest_names(hits):
        if not text.startswith("项目", hit.end):  # 民间投资项目达到286个 counts projects
            by_sentence.setdefault(hit.sentence.index, []).append(hit)
    periods = StoryPeriods(text, issue_date)
    context, found = _Context(county=default_place, others=pl.other_names(text), periods=periods), []
    reader = _Reader(matcher)
    unread: list[Sentence] = []  # sentences since the last one read, whose periods nobody has needed yet
    for sentence in split_sentences(text) if sentences is None else sentences:
        unread.append(sentence)
        sentence_hits = sorted(by_sentence.get(sentence.index, []), key=lambda h: h.start)
        if sentence_hits or (matcher is not None and reader.may_name(sentence.text)):
            context.period = _latest_period(unread, periods) or context.period
            unread = []
            found.extend(reader.sentence(sentence, sentence_hits, context))
        context.county = pl.story_county(sentence.text, context.county, context.others)
    return _distinct(found)


def _latest_period(sentences: list[Sentence], periods: StoryPeriods) -> Period | None:
    """The period the last of ``sentences`` naming one names: looked for only before a sentence is read, and
    from the end back, as most sentences have no figure to read."""
    for sentence in reversed(sentences):
        if (period := periods.find(sentence.text)) is not None:
            return period
    return None


def _longest_names(hits: list[Hit]) -> list[Hit]:
    """规模以上工业增加值 is that watch's, not also the one named 工业增加值: a name inside another watch's longer
    name in the same place is no name of its own (the longest watched name wins)."""
    return [
        hit for hit in hits
        if not any(o.watch_id != hit.watch_id and o.start <= hit.start and hit.end <= o.end
                   and o.end - o.start > hit.end - hit.start for o in hits)
    ]  # fmt: skip


def _distinct(found: list[Observation]) -> list[Observation]:
    """A figure printed twice in a story (a summary repeated in the body) is one observation: the first."""
    seen: set[tuple] = set()
    kept = []
    for obs in found:
        key = (obs.indicator_id, obs.value, obs.unit, obs.growth_pct, obs.period_start, obs.period_end, obs.scope,
               obs.relative)  # fmt: skip
        if key not in seen:
            seen.add(key)
            kept.append(obs)
    return [obs for obs in kept if not any(_says_more(other, obs) for other in kept)]


def _says_more(fuller: Observation, part: Observation) -> bool:
    """A headline's 地区生产总值增长6.1% and the body's 完成142.3亿元，同比增长6.1% (same indicator, period and area)
    are one figure: the part repeats what the fuller one says, so only the fuller one is kept (two rows, two
    alerts for one figure would be a figure shown twice)."""
    same_figure = (fuller.indicator_id, fuller.period_start, fuller.period_end, fuller.scope, fuller.relative) == (
        part.indicator_id, part.period_start, part.period_end, part.scope, part.relative
    )  # fmt: skip
    if fuller is part or not same_figure:
        return False
    mine = (part.value, part.growth_pct, part.rank or None)
    theirs = (fuller.value, fuller.growth_pct, fuller.rank or None)
    same_unit = part.value is None or part.unit == fuller.unit
    repeats = same_unit and all(m is None or m == t for m, t in zip(mine, theirs, strict=True))
    return repeats and mine.count(None) > theirs.count(None)


class _Reader:
    def __init__(self, matcher: Matcher | None) -> None:
        self.matcher = matcher
        self.indicators = matcher.indicator_ids if matcher else frozenset()

    def may_name(self, text: str) -> bool:
        """Could a sentence with no indicator name still name one in parts (topic + measure, shared head)?

        It must hold a figure: ``GROWTH`` needs a percentage (a ``%`` or 百分之) and ``VALUE`` a digit, so a
        sentence with neither (most of a story) is passed over before those long patterns are tried."""
        if "%" not in text and "百分之" not in text and DIGIT.search(text) is None:
            return False
        if not ("、" in text or ELLIPTICAL.search(text)):
            return False
        return (GROWTH.search(text) or VALUE.search(text)) is not None

    def compose(self, phrase: str, at: int, length: int, sentence: Sentence) -> Hit | None:
        """The indicator a composed phrase names (粮食 + 总产量), as a hit on the measure actually written."""
        if self.matcher is None:
            return None
        for hit in self.matcher.find(phrase):
            if hit.watch_id in self.indicators and hit.end == len(phrase):
                return Hit(hit.watch_id, "composed", sentence.text[at - sentence.start : at - sentence.start + length],
                           at, at + length, sentence)  # fmt: skip
        return None

    def sentence(self, sentence: Sentence, hits: list[Hit], context: _Context) -> list[Observation]:
        first_at = hits[0].start - sentence.start if hits else len(sentence.text)
        scope = pl.scope(sentence.text[:first_at], context.county, context.others)
        subject: _Subject | None = None
        topic, place = "", ""  # place: named as subject in an earlier clause (山阴县紧随其后，达6.5亿斤)
        made: list[Observation] = []
        for start, end in _clauses(sentence):
            text = sentence.text[start - sentence.start : end - sentence.start]
            if _is_target(text):
                break
            first = _first_figure(text)
            head = text if first is None else text[:first]
            in_clause = _once([h for h in hits if start <= h.start < end], text)
            words = pl.subject_words(head)
            place = _place(head, context.county, first is not None, context.others) or place
            named = self._named(head, start, in_clause, sentence) if in_clause or "、" in head else None
            if named is not None and named.watched:
                subject = named
                topic = _topic(" ".join(h.surface for h in named.watched))
            elif first is None:
                if NAMED_MEASURE.search(words):  # 制造业投资持续发力: a subject of its own, with no figure here
                    subject, topic = None, _topic(words)
                continue
            elif len(HAN.findall(words)) < 2:
                subject = _Subject(subject.members, "carried", subject.alternatives) if subject else None
            elif subject and _measure_of(words, subject):
                subject = _Subject(subject.members, "measure", subject.alternatives)
            elif words in g.ATTRIBUTES and subject:
                subject = _Subject(subject.members, "attribute", subject.alternatives)
            elif words in g.ELLIPTICAL and topic:
                at = start + head.rfind(words)
                composed = self.compose(topic + words, at, len(words), sentence)
                subject = _Subject([composed], "topic") if composed else None
            else:
                subject, topic = None, _topic(words)
            if subject is None or not subject.watched:
                continue
            clause_scope = place or scope
            if clause_scope == OTHER:
                continue
            clause = _Clause(start, text, clause_scope, context.period, sentence, context.periods)
            made = _attach(made, subject, clause)
        return made

    def _named(self, head: str, start: int, in_clause: list[Hit], sentence: Sentence) -> _Subject:
        """The clause names indicators: in a list (A、B和C), with a head shared by all members, or alone."""
        tail = TRAILING_FILLER.sub("", head)
        places = [_leading_county(part) for part in ENUM_SPLIT.split(tail)]
        if len(places) > 1 and all(places) and len(in_clause) == 1:
            return _Subject(list(in_clause), "places", places=[p for p in places if p])
        tried = [self._members(tail, start, in_clause, sentence, splitter) for splitter in (ENUM_SPLIT_ALL, ENUM_SPLIT)]
        lists = [m for m in tried if m is not None]
        if not lists:
            return _Subject(list(in_clause), "clause")
        members, rule = lists[0]
        alternatives = [m for m, _ in lists[1:] if m != members]
        return _Subject(members, rule, alternatives)

    def _members(
        self, tail: str, start: int, in_clause: list[Hit], sentence: Sentence, splitter: re.Pattern[str]
    ) -> tuple[list[Hit | None], str] | None:
        parts = splitter.split(tail)
        if len(parts) < 2:
            return None
        spans, at = [], start
        for part in parts:
            spans.append((at, at + len(part), part))
            at += len(part) + 1
        head = MEASURE_END.search(parts[-1])
        rule = "clause"
        members: list[Hit | None] = []
        for i, (s, e, part) in enumerate(spans):
            inside = [h for h in in_clause if s <= h.start and h.end <= e]
            if inside:
                members.append(inside[-1])
            elif head and i < len(spans) - 1 and not MEASURE_END.search(part) and 0 < len(part) <= 8:
                composed = self.compose(pl.subject_words(part) + head.group(0), s, len(part), sentence)
                members.append(composed)
                rule = "shared-head" if composed else rule
            else:
                members.append(None)
        return (members, rule) if any(m is not None for m in members) else None


def _once(hits: list[Hit], clause: str) -> list[Hit]:
    """An indicator named twice in a clause (地区生产总值（GDP）实现…) is one subject, unless the clause pairs
    figures with members (分别)."""
    if "分别" in clause:
        return hits
    seen: set[str] = set()
    once: list[Hit] = []
    for hit in hits:
        if hit.watch_id not in seen:
            seen.add(hit.watch_id)
            once.append(hit)
    return once


def _measure_of(words: str, subject: _Subject) -> bool:
    """固定资产投资方面，全县完成投资增长9.4%: the measure alone (投资) names the subject it ends."""
    return words in g.MEASURES and all(h.surface.endswith(words) for h in subject.watched)


def _clauses(sentence: Sentence) -> list[tuple[int, int]]:
    bounds, start = [], sentence.start
    for stop in CLAUSE_END.finditer(sentence.text):
        bounds.append((start, sentence.start + stop.start()))
        start = sentence.start + stop.end()
    bounds.append((start, sentence.end))
    return [(s, e) for s, e in bounds if e > s]


def _is_target(clause: str) -> bool:
    return TARGET.search(NOT_TARGET.sub("", clause)) is not None


def _first_figure(clause: str) -> int | None:
    figures = (GROWTH.search(clause), VALUE.search(clause), RELATIVE.search(clause), RANK.search(clause))
    return min((m.start() for m in figures if m), default=None)


def _leading_county(part: str) -> str | None:
    return next((c for c in g.COUNTIES if part.startswith(c)), None)


def _topic(words: str) -> str:
    """粮食播种面积 → 粮食: the topic a following elliptical measure (总产量) belongs to."""
    for surface in words.split():
        words = surface
    match = MEASURE_END.search(words)
    return words[: match.start()] if match and match.start() >= 2 else ""


def _place(head: str, county: str | None, has_figure: bool, others: tuple[str, ...] | None = None) -> str:
    """The place a clause names as its subject: a county, the city (全市), another area (OTHER) or none ("").

    Another area counts only before a figure: a clause with no figure may compare with one (快于全省平均水平).
    """
    if pl.other_area_subject(head, others):
        return OTHER
    counties = [(head.rfind(c), c) for c in g.COUNTIES if c in head]
    if counties:
        return max(counties)[1]
    if ZONE.search(head) or (has_figure and any(area in head for area in g.OTHER_AREAS)):
        return OTHER
    if pl.SUBJECT_CITY.search(head):
        return pl.scope(head, county, others)
    return ""


def _attach(made: list[Observation], subject: _Subject, clause: _Clause) -> list[Observation]:
    text = clause.text
    growth_matches, value_matches = list(GROWTH.finditer(text)), list(VALUE.finditer(text))
    growths = [g for m in growth_matches for g in _growths(m)]
    relative_spans = [(m.start(), m.end()) for m in RELATIVE.finditer(text)]
    value_matches = [m for m in value_matches if not any(s <= m.start() < e for s, e in relative_spans)]
    values = [_value(m) for m in value_matches]  # 高于全国、全省2.1个和0.6个百分点: points
    spans = _own_periods(clause, sorted([*growth_matches, *value_matches], key=lambda m: m.start()))
    if spans:  # 一季度增长5.1%、上半年增长6.3%; 由2020年的1100.5亿元增加至2024年的1328.5亿元: a period per figure
        return _by_period(made, subject, clause, spans)
    relatives = [r for m in RELATIVE.finditer(text) for r in _relatives(m)]
    rank = _rank(text)
    if subject.places and "分别" in text:
        return _by_place(made, subject, values, growths, clause)
    if len(subject.members) > 1 and "分别" in text:
        return _respectively(made, subject, values, growths, relatives, clause)
    for hit in subject.watched:
        for value, growth in _pairs(values, growths):
            made = _merge(made, hit, value, growth, rank, clause, subject.rule)
        if rank and not values and not growths:
            made = _rank_last(made, hit, rank)
        for points in relatives:
            made.append(_new(hit, None, points, clause, "", f"{subject.rule}+relative", relative=True))
    return made


def _value(match: re.Match[str]) -> tuple[float, str]:
    """A level in the unit a chart compares: 350亿度 is 350亿千瓦时 (``grammar.UNIT_SYNONYMS``)."""
    return number(match["num"]), g.UNIT_SYNONYMS.get(match["unit"], match["unit"])


def _own_periods(clause: _Clause, figures: list[re.Match[str]]) -> list[tuple[Period, str]]:
    """The parts of a clause that name a period of their own before their figure, when there are two or more
    with different periods: (period, the part's text). Otherwise nothing: the clause's period holds."""
    if len(figures) < 2 or clause.periods is None:
        return []
    parts, start = [], 0
    for match in figures:
        lead = clause.text[start : match.start()]
        period = clause.periods.find(lead)
        if period is not None:
            parts.append((period, match.start()))
        elif not parts:
            return []
        start = match.end()
    if len({(p.start, p.end) for p, _ in parts}) < 2:
        return []
    bounds = [at for _, at in parts[1:]] + [len(clause.text)]
    cut = [clause.text[: bounds[0]], *(clause.text[parts[i][1] : bounds[i]] for i in range(1, len(parts)))]
    return [(period, part) for (period, _), part in zip(parts, cut, strict=True)]


def _by_period(
    made: list[Observation], subject: _Subject, clause: _Clause, spans: list[tuple[Period, str]]
) -> list[Observation]:
    """Each part of a clause read with its own period (rule ``periods``)."""
    for period, part in spans:
        own = replace(clause, text=part, period=period)
        growths = [g for m in GROWTH.finditer(part) for g in _growths(m)]
        values = [_value(m) for m in VALUE.finditer(part)]
        for hit in subject.watched:
            for value, growth in _pairs(values, growths):
                made.append(_new(hit, value, growth, own, _rank(part), f"{subject.rule}+periods"))
    return made


def _respectively(
    made: list[Observation], subject: _Subject, values: list[tuple[float, str]], growths: list[float],
    relatives: list[float], clause: _Clause,
) -> list[Observation]:  # fmt: skip
    """``A、B分别增长x%、y%`` / ``分别完成a亿元和b亿元``: i-th figure to i-th member, or nothing when counts differ."""
    counts = {len(x) for x in (values, growths, relatives) if x}
    members = next((m for m in [subject.members, *subject.alternatives] if len(m) in counts), subject.members)
    rule = f"{subject.rule}+respectively"
    for i, hit in enumerate(members):
        if hit is None:
            continue
        growth = growths[i] if len(growths) == len(members) else None
        value = values[i] if len(values) == len(members) else None
        if value is not None or growth is not None:
            made = _merge(made, hit, value, growth, "", clause, rule)
        if len(relatives) == len(members):
            made.append(_new(hit, None, relatives[i], clause, "", f"{rule}+relative", relative=True))
    return made


def _by_place(
    made: list[Observation], subject: _Subject, values: list[tuple[float, str]], growths: list[float], clause: _Clause
) -> list[Observation]:
    """``朔城区、平鲁区…固定资产投资增速分别为a%、b%…``: one observation per place, in order, or none."""
    hit, places = subject.watched[0], subject.places
    for i, place in enumerate(places):
        value = values[i] if len(values) == len(places) else None
        growth = growths[i] if len(growths) == len(places) else None
        if value is not None or growth is not None:
            made = _merge(made, hit, value, growth, "", replace(clause, scope=place), "places+respectively")
    return made


def _rank_last(made: list[Observation], hit: Hit, rank: str) -> list[Observation]:
    """增速居全市第一 ranks the indicator's own observation stated just before it."""
    for i in range(len(made) - 1, -1, -1):
        if made[i].indicator_id == hit.watch_id and not made[i].relative:
            made[i] = replace(made[i], rank=made[i].rank or rank, rule=_rules(made[i].rule, "rank"))
            break
    return made


def _pairs(
    values: list[tuple[float, str]], growths: list[float]
) -> list[tuple[tuple[float, str] | None, float | None]]:
    count = max(len(values), len(growths))
    return [(values[i] if i < len(values) else None, growths[i] if i < len(growths) else None) for i in range(count)]


def _merge(
    made: list[Observation], hit: Hit, value: tuple[float, str] | None, growth: float | None, rank: str,
    clause: _Clause, rule: str,
) -> list[Observation]:  # fmt: skip
    """Add to the indicator's open observation in this sentence when it has room, else start a new one."""
    for i in range(len(made) - 1, -1, -1):
        old = made[i]
        if old.indicator_id != hit.watch_id or old.relative or old.scope != clause.scope:
            continue
        fits = (value is None or old.value is None) and (growth is None or old.growth_pct is None)
        if fits:
            made[i] = replace(
                old, value=old.value if value is None else value[0], unit=old.unit if value is None else value[1],
                growth_pct=old.growth_pct if growth is None else growth, rank=old.rank or rank,
                rule=_rules(old.rule, rule),
            )  # fmt: skip
            return made
        break
    made.append(_new(hit, value, growth, clause, rank, rule))
    return made


def _rules(old: str, new: str) -> str:
    parts = old.split("+")
    return "+".join(parts + [p for p in new.split("+") if p not in parts])


def _new(
    hit: Hit, value: tuple[float, str] | None, growth: float | None, clause: _Clause, rank: str, rule: str,
    relative: bool = False,
) -> Observation:  # fmt: skip
    period = clause.period
    return Observation(
        indicator_id=hit.watch_id, value=value[0] if value else None, unit=value[1] if value else "",
        growth_pct=growth, period=period.text if period else "", period_start=period.start if period else None,
        period_end=period.end if period else None, scope=clause.scope, rank=rank, relative=relative,
        snippet=clause.sentence.text.strip(), sentence_index=clause.sentence.index, surface=hit.surface, rule=rule,
    )  # fmt: skip


def _growths(match: re.Match[str]) -> list[float]:
    if match["noun"]:
        sign = g.GROWTH_NOUNS[match["noun"]]
    elif match["verb"]:
        sign = g.GROWTH_VERBS[match["verb"]]
    else:
        sign = g.SHORT_VERBS[match["short"]]
    return [sign * _percent(part) for part in re.split(g.SEP, match["nums"])]


def _relatives(match: re.Match[str]) -> list[float]:
    sign = g.RELATIVE_VERBS[match["dir1"]] if match["dir1"] else g.RELATIVE_ADJECTIVES[match["dir2"]]
    return [sign * number(part.rstrip("个")) for part in re.split(g.SEP, match["num1"] or match["num2"])]


def _rank(clause: str) -> str:
    match = RANK.search(clause)
    if not match:
        return ""
    nth = match["nth"]
    if match["first"]:
        nth = "一"
    elif nth and nth.isdigit() and 0 < int(nth) <= 10:
        nth = CN_ORDINAL[int(nth) - 1]
    return f"{match['area']}第{nth}"


def _percent(text: str) -> float:
    text = text.replace("%", "").strip()
    return number(text.removeprefix("百分之"))
