"""Finding watched projects and indicators in a story: text in, hits out (no database, no I/O).

All names, aliases, keyword terms, exclusions and variant anchors of every watch go into one
Aho-Corasick automaton, so a story is scanned once whatever the size of the watchlist; the per-sentence
work after that only looks at the watches whose patterns actually occurred.

Variant tolerance: the paper words projects differently from any list (宝武太钢低碳铬合金项目 appears as
宝武朔州绿色低碳铬基合金项目). A project name is split into an *anchor* (its first two characters after a
place name, usually the company: 宝武, 中煤, 东立, 三一) and a *core* (the rest without generic words such
as 项目, 朔州, 集团). A sentence names the project in a variant wording when the anchor occurs and, in the
phrase that follows it (up to the next comma or enumeration mark), at least half of the core's character
bigrams occur too. A sentence about some other project of the same company shares the anchor but not the
core, and does not match. Synonyms inside names (煤制 for 煤基, 铬基合金 for 铬合金: ``grammar.NAME_SYNONYMS``)
are read as one before the bigrams are compared.

Company references: the company alone names its project when the sentence speaks of projects — ``三一等项目``,
``晋北化工等4个项目``, ``三一集团、长庚金晶等项目``, ``三一光伏项目`` — as long as the company has one watched
project and its name is no common word (``grammar.NOT_COMPANIES``: 能源等项目 is not the 能源职院). Words
between the company and 项目 must come from the project's own name, so ``三一重能风电装备项目`` (another
project of the same group) is not the 三一 PV project.

The surface of a hit is the whole phrase that names the project, through its own 项目 (宝武朔州铬基合金项目,
not 宝武朔州铬), so snippets mark a phrase a reader recognises.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import ahocorasick_rs

from szwatch.monitor.detection import grammar as g
from szwatch.monitor.detection.places import elsewhere
from szwatch.monitor.detection.watchlist import Watch, Watchlist

SENTENCE_END = re.compile(r"[。！？!?\n]+")
PHRASE_END = re.compile(r"[，,、；;：:（）()“”《》。！？\n]")
CLAUSE_END = re.compile(r"[，,；;：:（）()“”《》。！？\n]")
PLACE_CLAUSE_END = re.compile(r"[，,；;：:。！？!?\n]")  # where a place stops locating what follows
PLACES = g.NAME_PLACES
GENERIC = g.PROJECT_GENERIC
VARIANT_SHARE = 0.5
NAME_TAILS = ("及配套", "配套", "一期", "二期", "三期", "工程", "基地")
SUFFIX_REACH = 8  # how far after the last naming word a phrase's own 项目 may stand
# What a phrase naming a project ends with: its own 项目, or the plant it describes (…铬系合金生产基地).
HEAD_NOUN = re.compile(rf"{g.alternation(g.PROJECT_HEADS)}")
KIND_RANK = {"name": 0, "alias": 1, "variant": 2, "company": 3, "keywords": 4, "described": 5}
ROLE_KIND = {"name": "name", "alias": "alias", "form": "variant", "local": "variant", "amount": "alias"}
AMOUNT_AFTER = {word: re.compile(pattern) for word, pattern in g.OUTPUT_AMOUNTS.items()}
# 这一总投资287亿元的煤制烯烃项目: a project described again, in a story that has named it
DESCRIBED = re.compile(
    rf"(?:{g.alternation(g.DEMONSTRATIVES)})([^，,。；;！？!?\n]{{2,24}}?)(?:{g.alternation(g.PROJECT_HEADS)})"
)
DESCRIBED_SHARE = 3  # bigrams of the name (or an alias) the description must share
_SYNONYM = {variant: row[0] for row in g.NAME_SYNONYMS for variant in row[1:]}
SYNONYM = re.compile(g.alternation(list(_SYNONYM))) if _SYNONYM else None
_KINDS = g.alternation(g.LINE_KINDS)
# 集宁经大同至原平高铁 (two-character places; the first may be a longer official name's start) and
# 集(集宁)大(大同)原(原平)高铁: a line named by its places, read as the initials and the kind of line.
ROUTE = re.compile(
    rf"(?P<places>[\u4e00-\u9fff]{{2}}(?:(?:{g.alternation(g.ROUTE_JOINS)})[\u4e00-\u9fff]{{2}}){{1,3}})(?P<kind>{_KINDS})"
)
GLOSSED = re.compile(rf"(?P<places>(?:[\u4e00-\u9fff][(（][\u4e00-\u9fff]{{1,3}}[)）]){{2,4}})(?P<kind>{_KINDS})")
LINE_KIND = re.compile(_KINDS)
GLOSS = re.compile(r"[(（][\u4e00-\u9fff]{1,3}[)）]")
SPEC = re.compile(g.NAME_SPEC)
ROUTE_JOIN = re.compile(g.alternation(g.ROUTE_JOINS))
COMPANY_SUFFIX = re.compile(rf"(?:{g.alternation(g.COMPANY_SUFFIXES)})?")
# After the company: nothing, or a list of other companies, then 等 (4个, 一批, 重点 …) 项目; or its own 项目.
COMPANY_REFERENCE = re.compile(
    r"(?:、[^，。；、！？\n]{1,12}?)*(?:等|为代表的)[^，。；、！？\n]{0,8}?(?:项目|工程)"
    r"|(?P<own>[^，。；、！？\n]{0,6}?)项目"
)  # 以山西晋能、华朔新材为代表的12个项目: each company of the list stands for its project


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str

    @cached_property
    def plain(self) -> bool:
        """No synonym inside names here: its canonical form is itself (most sentences)."""
        return SYNONYM is None or SYNONYM.search(self.text) is None


@dataclass(frozen=True)
class Hit:
    """One watch named in one sentence: ``surface`` is the wording, at ``start:end`` of the story text."""

    watch_id: str
    kind: str  # name | alias | keywords | variant
    surface: str
    start: int
    end: int
    sentence: Sentence


def split_sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    start = 0
    for stop in SENTENCE_END.finditer(text):
        end = stop.end() if stop.group(0)[0] != "\n" else stop.start()
        if text[start:end].strip():
            sentences.append(Sentence(len(sentences), start, end, text[start:end]))
        start = stop.end()
    if text[start:].strip():
        sentences.append(Sentence(len(sentences), start, len(text), text[start:]))
    return sentences


class _Phrase(NamedTuple):
    """The phrase after a company word, through its own 项目 (what a variant wording of a name must fill), and
    its text in canonical form."""

    text: str
    canon: str

    @staticmethod
    def after(text: str, start: int, end: int) -> _Phrase:
        stop = PHRASE_END.search(text, start, end)
        phrase = text[start : stop.start() if stop else end]
        if (own := phrase.find("项目")) >= 0:
            phrase = phrase[: own + 2]  # a name does not run past its own 项目
        return _Phrase(phrase, canonical_text(phrase))


@dataclass(frozen=True)
class _Role:
    watch: int
    role: str  # name | alias | form | local | kw | exclude | anchor
    group: int | str = 0  # a keyword group; for ``local``, the county that must be named in the story


class Matcher:
    """Built once per watchlist; ``find(text)`` is pure and cheap."""

    def __init__(self, watchlist: Watchlist | Iterable[Watch]) -> None:
        self.watches = list(watchlist.watches if isinstance(watchlist, Watchlist) else watchlist)
        self.built_from = watchlist.watches if isinstance(watchlist, Watchlist) else None
        self.kinds = {w.id: w.kind for w in self.watches}
        self.indicator_ids = frozenset(w.id for w in self.watches if w.kind == "indicator")
        roles: dict[str, list[_Role]] = defaultdict(list)
        self.cores: dict[int, tuple[str, set[str]]] = {}
        for index, watch in enumerate(self.watches):
            for form in _forms(watch.name):
                roles[form].append(_Role(index, "name"))
            for alias in watch.aliases:
                for form in _forms(alias):
                    roles[form].append(_Role(index, "alias"))
            for form in _shorter_forms(watch):
                roles[form].append(_Role(index, "form"))
            for form in _qualified_forms(watch):
                roles[form].append(_Role(index, "form"))
            for form, county in _local_forms(watch):
                roles[form].append(_Role(index, "local", county))
            for form in _output_forms(watch):
                roles[form].append(_Role(index, "alias"))
            for form, amount in _amount_forms(watch):
                roles[form].append(_Role(index, "amount", amount))
            for form in _line_forms(watch):
                roles[form].append(_Role(index, "form"))
            for phrase in watch.exclude:
                roles[phrase].append(_Role(index, "exclude"))
            for group, terms in enumerate(watch.keywords):
                for term in terms:
                    roles[term].append(_Role(index, "kw", group))
            if watch.kind == "project" and (variant := _variant_parts(watch.name)):
                anchor, bigrams = variant
                self.cores[index] = (anchor, bigrams)
                roles[anchor].append(_Role(index, "anchor"))
        # how many of its core's bigrams a variant wording must hold: at least half, and two
        self.needs = {index: max(2, VARIANT_SHARE * len(bigrams)) for index, (_, bigrams) in self.cores.items()}
        anchors = defaultdict(list)
        for index, (anchor, _) in self.cores.items():
            anchors[anchor].append(index)
        # the company alone names a project only when it has one watched project and is no common word
        self.companies = {
            index: _name_rest(self.watches[index].name)
            for anchor, owners in anchors.items()
            if len(owners) == 1 and anchor not in g.NOT_COMPANIES
            for index in owners
        }
        self.described = {index: _description_bigrams(self.watches[index]) for index in self.cores}
        # names and aliases of lines, for a line named by its places (``_routes``)
        self.lines = {
            form: index
            for index, watch in enumerate(self.watches) if watch.kind == "project"
            for form in (watch.name, *watch.aliases) if form.endswith(g.LINE_KINDS)
        }  # fmt: skip
        self.patterns = list(roles)
        self.roles = [roles[p] for p in self.patterns]
        self.anchored = [any(r.role == "anchor" for r in rs) for rs in self.roles]  # a company word's: checked
        self.automaton = ahocorasick_rs.AhoCorasick(self.patterns) if self.patterns else None

    def find(self, text: str, every_indicator: bool = False, sentences: list[Sentence] | None = None) -> list[Hit]:
        """Every (watch, sentence) the text names, best wording first within a sentence.

        With ``every_indicator``, an indicator named twice in a sentence (怀仁市一般预算收入…，朔城区公共财政预算
        收入…) gives a hit for each place it is named: figures are read per clause, mentions per sentence.
        ``sentences``: the text's ``split_sentences``, when the caller has them already (figures reads them too).
        """
        if self.automaton is None or not text:
            return []
        sentences = split_sentences(text) if sentences is None else sentences
        starts, ends, roles = [s.start for s in sentences], [s.end for s in sentences], self.roles
        anchored = self.anchored
        found: dict[int, list[tuple[_Role, int, int]]] = defaultdict(list)
        shares: dict[tuple[int, int], bool] = {}  # (watch, sentence start): ``_may_name``'s look-ups, once each
        for pattern, start, end in self.automaton.find_matches_as_indexes(text, overlapping=True):
            at = bisect_right(starts, start) - 1
            if at < 0 or end > ends[at]:
                continue
            if not anchored[pattern]:  # no company word among its roles (a name, an alias …): each one counts
                found[at].extend([(r, start, end) for r in roles[pattern]])
            else:
                found[at].extend(self._may_name(pattern, text, sentences[at], start, end, shares))
        hits: list[Hit] = []
        named: set[str] = set()
        lines = bool(self.lines) and LINE_KIND.search(text) is not None  # most stories name no kind of line
        for at, sentence in enumerate(sentences):
            here = self._sentence_hits(text, sentence, found[at], every_indicator, shares) if at in found else []
            if lines and (routes := self._routes(text, sentence, here)):
                here = sorted([*here, *routes], key=lambda h: (h.start, KIND_RANK[h.kind]))
            if (
                named
                and HEAD_NOUN.search(sentence.text)
                and (described := self._described(text, sentence, here, named))
            ):
                here = sorted([*here, described], key=lambda h: (h.start, KIND_RANK[h.kind]))
            hits.extend(here)
            named.update(h.watch_id for h in here)
        return hits

    def _may_name(
        self, pattern: int, text: str, sentence: Sentence, start: int, end: int, shares: dict[tuple[int, int], bool]
    ) -> list[tuple[_Role, int, int]]:
        """The pattern's roles at ``start:end`` but for company words that cannot name their project here: neither
        in a variant wording (enough of the name's words in the sentence, ``_variant``) nor in a company reference
        (项目 or 工程 after it, ``_company``). Most company words in a story cannot (项目, 企业, 投资 are anchors of
        some watch: five of six automaton hits): they are left out before the watches are looked at. ``shares``
        remembers the first answer per watch and sentence (a company word often recurs in its sentence).

        One call per hit, the checks inline: a call per role and another per look-up cost 4 % of the analysis."""
        kept = []
        for role in self.roles[pattern]:
            if role.role == "anchor":
                key = (role.watch, sentence.start)
                if (shared := shares.get(key)) is None:
                    bigrams, need = self.cores[role.watch][1], self.needs[role.watch]
                    shared = shares[key] = not sentence.plain or sum(map(sentence.text.__contains__, bigrams)) >= need
                if not shared and (
                    role.watch not in self.companies
                    or (text.find("项目", end, sentence.end) < 0 and text.find("工程", end, sentence.end) < 0)
                ):
                    continue
            kept.append((role, start, end))
        return kept

    def _shares_core(self, index: int, text: str) -> bool:
        """Whether ``text`` holds enough of the watch's core bigrams for a variant wording (``needs``).

        Looked up one by one in the text (a core has a handful): building the set of every character pair of each
        sentence with a company word cost more than all the look-ups together (8 % of a story's analysis)."""
        return sum(map(text.__contains__, self.cores[index][1])) >= self.needs[index]

    def _routes(self, text: str, sentence: Sentence, here: list[Hit]) -> list[Hit]:
        """集宁经大同至原平高铁, 集(集宁)大(大同)原(原平)高铁, 朔(城)神(池)高速: a watched line named by the places it
        joins (``grammar.ROUTE_JOINS``), as their first characters and its kind, for a sentence not naming it.

        Both patterns end in a kind of line: a sentence without one (most, in a story naming one elsewhere) is
        not scanned character by character for places."""
        if LINE_KIND.search(text, sentence.start, sentence.end) is None:
            return []
        present = {h.watch_id for h in here}
        hits = []
        for pattern, initials in ((ROUTE, _route_initials), (GLOSSED, _gloss_initials)):
            for match in pattern.finditer(text, sentence.start, sentence.end):
                index = self.lines.get(initials(match["places"]) + match["kind"])
                if index is not None and (watch_id := self.watches[index].id) not in present:
                    present.add(watch_id)
                    hits.append(Hit(watch_id, "variant", match[0], match.start(), match.end(), sentence))
        return hits

    def _described(self, text: str, sentence: Sentence, here: list[Hit], named: set[str]) -> Hit | None:
        """这一总投资287亿元的煤制烯烃项目: a demonstrative and a description sharing the name's words, for a
        project the story has named before and this sentence does not name otherwise.

        A description may instead share the watch's keywords: 太钢…表示，这座以铬矿为原料…的合金冶炼基地 — every
        keyword group in the sentence, one of them inside the description (the demonstrative points back at
        the project, so the groups need not share a clause as ``keywords`` alone must).
        """
        present = {h.watch_id for h in here}
        for match in DESCRIBED.finditer(text, sentence.start, sentence.end):
            if match[1].startswith(g.COMPANY_SUFFIXES):
                continue  # 该集团在新疆的铬铁基地: the demonstrative points at the company, not at a project
            canon = canonical(match[1])[0]
            scores, by_keywords = [], []
            for index, bigrams in self.described.items():
                watch = self.watches[index]
                if watch.id in named and watch.id not in present:
                    share = max((sum(b in canon for b in group) for group in bigrams), default=0)
                    if share >= DESCRIBED_SHARE:
                        scores.append((share, watch.id))
                    elif _keywords_in(watch, sentence.text, match[1]):
                        by_keywords.append((0, watch.id))
            scores = sorted(scores or by_keywords, reverse=True)
            if scores and (len(scores) == 1 or scores[0][0] > scores[1][0]):
                start = match.start(1) + match[1].rfind("的") + 1
                hit = Hit(scores[0][1], "described", text[start : match.end()], start, match.end(), sentence)
                return None if _elsewhere(text, sentence, hit) else hit
        return None

    def _sentence_hits(
        self, text: str, sentence: Sentence, occurrences: list[tuple[_Role, int, int]], every_indicator: bool,
        shares: dict[tuple[int, int], bool],
    ) -> list[Hit]:  # fmt: skip
        """``shares``: ``_may_name``'s answers (watch, sentence start: enough of the core here?), reused by
        ``_variant`` rather than looked up again."""
        by_watch: dict[int, list[tuple[_Role, int, int]]] = defaultdict(list)
        for occurrence in occurrences:
            by_watch[occurrence[0].watch].append(occurrence)
        hits = []
        phrases: dict[int, _Phrase] = {}  # watches sharing a company word share the phrase after it
        for index, items in by_watch.items():
            if all(r.role == "anchor" for r, _, _ in items):  # the company word alone: most candidates
                anchored = self._variant(index, text, sentence, items, phrases, shares) or self._company(
                    index, text, sentence, items
                )
                if anchored is not None and not _elsewhere(text, sentence, anchored):
                    hits.append(anchored)
                continue
            watch = self.watches[index]
            if watch.kind == "project" and any(r.role == "exclude" for r, _, _ in items):
                continue
            if every_indicator and watch.kind == "indicator":
                hits.extend(self._every_name(watch, text, sentence, items))
                continue
            named = self._named(watch, text, sentence, items)
            variant = self._variant(index, text, sentence, items, phrases, shares)
            hit = (
                _longest(named, variant)
                or self._company(index, text, sentence, items)
                or self._keywords(watch, text, sentence, items)
            )
            if hit is not None and hit is not named and _elsewhere(text, sentence, hit):
                hit = named  # 东立光伏在内蒙古乌海市投资建设的…多晶硅项目: the company's project elsewhere
            if hit is not None:
                hits.append(hit)
        return sorted(hits, key=lambda h: (h.start, KIND_RANK[h.kind]))

    def _named(self, watch: Watch, text: str, sentence: Sentence, items: list[tuple[_Role, int, int]]) -> Hit | None:
        excluded = [(s, e) for r, s, e in items if r.role == "exclude"]
        spans = [
            (ROLE_KIND[r.role], s, e) for r, s, e in items
            if r.role in ROLE_KIND and not any(xs <= s and e <= xe for xs, xe in excluded)
            and (r.role != "local" or str(r.group) in text) and (r.role != "amount" or _amount_next(r, text, e))
        ]  # fmt: skip
        if not spans:
            return None
        kind, start, end = min(spans, key=lambda x: (KIND_RANK[x[0]], -(x[2] - x[1]), x[1]))
        end = end + 2 if text.startswith("项目", end) and not text[start:end].endswith("项目") else end
        return Hit(watch.id, kind, text[start:end], start, end, sentence)

    def _every_name(
        self, watch: Watch, text: str, sentence: Sentence, items: list[tuple[_Role, int, int]]
    ) -> list[Hit]:
        """Each place the sentence names the watch: longest wording first, no two overlapping."""
        excluded = [(s, e) for r, s, e in items if r.role == "exclude"]
        spans = sorted(
            ((ROLE_KIND[r.role], s, e) for r, s, e in items
             if (r.role in ("name", "alias") or (r.role == "amount" and _amount_next(r, text, e)))
             and not any(xs <= s and e <= xe for xs, xe in excluded)),
            key=lambda x: (-(x[2] - x[1]), KIND_RANK[x[0]], x[1]),
        )  # fmt: skip
        chosen: list[tuple[str, int, int]] = []
        for kind, start, end in spans:
            if all(end <= s or e <= start for _, s, e in chosen):
                chosen.append((kind, start, end))
        return [Hit(watch.id, kind, text[start:end], start, end, sentence) for kind, start, end in chosen]

    def _variant(
        self, index: int, text: str, sentence: Sentence, items: list[tuple[_Role, int, int]],
        phrases: dict[int, _Phrase], shares: dict[tuple[int, int], bool],
    ) -> Hit | None:  # fmt: skip
        if index not in self.cores:
            return None
        _, bigrams = self.cores[index]
        if sentence.plain:
            key = (index, sentence.start)
            if (shared := shares.get(key)) is None:
                shared = shares[key] = self._shares_core(index, sentence.text)
            if not shared:
                return None  # too few of the core's words in the whole sentence, so in any phrase of it
        for role, start, _end in items:
            if role.role != "anchor":
                continue
            if (found := phrases.get(start)) is None:
                found = phrases[start] = _Phrase.after(text, start, sentence.end)
            phrase, canon = found
            present = [b for b in bigrams if b in canon]
            if len(present) >= self.needs[index]:
                where = canonical(phrase)[1]
                last = where[max(canon.find(b) + 1 for b in present)] + 1
                end = start + _through_suffix(phrase, last)
                return Hit(self.watches[index].id, "variant", text[start:end], start, end, sentence)
        return None

    def _company(self, index: int, text: str, sentence: Sentence, items: list[tuple[_Role, int, int]]) -> Hit | None:
        """三一等项目, 晋北化工等4个项目, 三一光伏项目: the company names its one watched project."""
        if index not in self.companies:
            return None
        rest = self.companies[index]
        _, bigrams = self.cores[index]
        for role, start, end in items:
            if role.role != "anchor" or (
                text.find("项目", end, sentence.end) < 0 and text.find("工程", end, sentence.end) < 0
            ):
                continue  # a company reference ends in 项目 or 工程
            at = end
            while at < sentence.end and at - end < len(rest) and text[at] == rest[at - end]:
                at += 1  # the company's name goes on as the project's does: 晋北 → 晋北化工
            at = COMPANY_SUFFIX.match(text, at).end()  # type: ignore[union-attr]
            reference = COMPANY_REFERENCE.match(text, at, sentence.end)
            if reference is None:
                continue
            own = canonical(reference["own"] or "")[0]
            if reference["own"] and any(own[i : i + 2] not in bigrams for i in range(len(own) - 1)):
                continue  # 三一重能风电装备项目: words of another project between company and 项目
            if reference["own"] is not None and len(own) == 1:
                continue
            stop = reference.end() if reference["own"] is not None else at
            return Hit(self.watches[index].id, "company", text[start:stop], start, stop, sentence)
        return None

    def _keywords(self, watch: Watch, text: str, sentence: Sentence, items: list[tuple[_Role, int, int]]) -> Hit | None:
        if not watch.keywords:
            return None
        spans = [(r.group, s, e) for r, s, e in items if r.role == "kw"]
        groups = set(range(len(watch.keywords)))
        if {g for g, _, _ in spans} != groups:
            return None
        # every group within one clause: 宝武太钢集团是…企业，对高碳铬铁的需求… speaks of two things
        bounds = [sentence.start, *(m.end() for m in CLAUSE_END.finditer(text, sentence.start, sentence.end))]
        best: tuple[int, int] | None = None
        for i, left in enumerate(bounds):
            right = bounds[i + 1] if i + 1 < len(bounds) else sentence.end
            inside = [(grp, s, e) for grp, s, e in spans if left <= s and e <= right]
            if {grp for grp, _, _ in inside} == groups:
                span = (min(s for _, s, _ in inside), max(e for _, _, e in inside))
                if best is None or span[1] - span[0] < best[1] - best[0]:
                    best = span
        if best is None:
            return None
        start, end = best
        stop = CLAUSE_END.search(text, end, sentence.end)
        end = end + _through_suffix(text[end : stop.start() if stop else sentence.end], 0)
        return Hit(watch.id, "keywords", text[start:end], start, end, sentence)


def _elsewhere(text: str, sentence: Sentence, hit: Hit) -> bool:
    """Does the clause of a wording that is no name of the watch place it outside the city (``places``)?"""
    left = max((m.end() for m in PLACE_CLAUSE_END.finditer(text, sentence.start, hit.start)), default=sentence.start)
    stop = PLACE_CLAUSE_END.search(text, hit.end, sentence.end)
    right = stop.start() if stop else sentence.end
    return elsewhere(text[left:right], hit.start - left, hit.end - left)


def _route_initials(places: str) -> str:
    return "".join(place[0] for place in ROUTE_JOIN.split(places))


def _gloss_initials(places: str) -> str:
    return GLOSS.sub("", places)


def _keywords_in(watch: Watch, sentence: str, description: str) -> bool:
    """Every keyword group of the watch in the sentence, and one of its terms in the description."""
    groups = watch.keywords
    return (
        bool(groups)
        and all(any(t in sentence for t in group) for group in groups)
        and any(t in description for group in groups for t in group)
    )


def _shorter_forms(watch: Watch) -> list[str]:
    """煤基烯烃项目 for 煤基烯烃一体化项目: a project's name or alias without a qualifier
    (``grammar.OPTIONAL_IN_NAMES``), when what remains still says what the project is (4 characters or more)."""
    if watch.kind != "project":
        return []
    forms = []
    for name in (watch.name, *watch.aliases):
        for word in g.OPTIONAL_IN_NAMES:
            shorter = name.replace(word, "")
            if shorter != name and len(shorter.removesuffix("项目")) >= 4:
                forms.extend(_forms(shorter))
    return sorted(set(forms))


def _local_forms(watch: Watch) -> list[tuple[str, str]]:
    """城市会客厅项目 for 右玉县城市会客厅项目 in a story that names 右玉: a county's project without the county, with
    the county's short name the story must name."""
    if watch.kind != "project":
        return []
    forms = []
    for name in (watch.name, *watch.aliases):
        for county in g.COUNTIES:
            short = county[:-1] if len(county) == 3 else county
            for prefix in (county, short):
                rest = name.removeprefix(prefix)
                if rest != name and len(rest.removesuffix("项目")) >= 5:
                    forms.append((rest, short))
    return sorted(set(forms))


def _qualified_forms(watch: Watch) -> list[str]:
    """应县通用机场 for 应县机场: a qualifier (``grammar.NAME_QUALIFIERS``) between a county and the rest of a
    project's name."""
    if watch.kind != "project":
        return []
    forms: list[str] = []
    for name in (watch.name, *watch.aliases):
        for county in g.COUNTIES:
            for prefix in {county, county[:-1] if len(county) == 3 else county}:
                rest = name.removeprefix(prefix)
                if rest != name and len(rest) >= 2 and not rest.startswith(g.NAME_QUALIFIERS):
                    forms.extend(prefix + word + rest for word in g.NAME_QUALIFIERS)
    return sorted(set(forms))


def _amount_forms(watch: Watch) -> list[tuple[str, str]]:
    """发电 for 发电量, to be followed by an amount in its unit (``grammar.OUTPUT_AMOUNTS``)."""
    if watch.kind != "indicator":
        return []
    return [(name.removesuffix("量"), name) for name in (watch.name, *watch.aliases) if name in g.OUTPUT_AMOUNTS]


def _amount_next(role: _Role, text: str, end: int) -> bool:
    return AMOUNT_AFTER[str(role.group)].match(text, end) is not None


def _output_forms(watch: Watch) -> list[str]:
    """生产原煤 for 原煤产量: an indicator's output as verb + object (``grammar.OUTPUT_VERBS``)."""
    if watch.kind != "indicator":
        return []
    forms: list[str] = []
    for name in (watch.name, *watch.aliases):
        for measure, verbs in g.OUTPUT_VERBS.items():
            stem = name.removesuffix(measure)
            if stem != name and len(stem) >= 2:
                forms.extend(verb + stem for verb in verbs)
    return sorted(set(forms))


def _line_forms(watch: Watch) -> list[str]:
    """集大原线 for 集大原高铁: a line's name without its type (``grammar.LINE_TYPES``) and with 线."""
    if watch.kind != "project":
        return []
    forms = []
    for name in (watch.name, *watch.aliases):
        for kind in g.LINE_TYPES:
            stem = name.removesuffix(kind)
            if stem != name and len(stem) >= 3:
                forms.append(stem + g.LINE_SHORT)
    return sorted(set(forms))


def _description_bigrams(watch: Watch) -> list[set[str]]:
    """The bigrams of the name's core and of each alias's, in canonical form: what a description may share."""
    groups = []
    for name in (watch.name, *watch.aliases):
        core = canonical(name)[0]
        for place in PLACES:
            core = core.removeprefix(place)
        for word in GENERIC:
            core = core.replace(word, "")
        groups.append({core[i : i + 2] for i in range(len(core) - 1)})
    return groups


def _forms(name: str) -> list[str]:
    """A name is found with or without its trailing 项目 (…等重大项目 shares one 项目 among several)."""
    bare = name.removesuffix("项目")
    return [name, bare] if bare != name and len(bare) >= 4 else [name]


def _variant_parts(name: str) -> tuple[str, set[str]] | None:
    rest = name
    for place in PLACES:
        rest = rest.removeprefix(place)
    anchor, core = rest[:2], canonical(SPEC.sub("", rest[2:]))[0]
    for word in GENERIC:
        core = core.replace(word, "")
    bigrams = {core[i : i + 2] for i in range(len(core) - 1)}
    return (anchor, bigrams) if len(anchor) == 2 and len(bigrams) >= 2 else None


def _name_rest(name: str) -> str:
    """The name after its place and two-character anchor: how a company's name may go on (晋北|化工…)."""
    for place in PLACES:
        name = name.removeprefix(place)
    return name[2:]


def canonical_text(text: str) -> str:
    """``canonical(text)[0]`` without the offsets."""
    if SYNONYM is None or SYNONYM.search(text) is None:
        return text
    return SYNONYM.sub(lambda m: _SYNONYM[m.group(0)], text)


def canonical(text: str) -> tuple[str, list[int]]:
    """The text with name synonyms in their canonical form, and for each character its index in ``text``."""
    if SYNONYM is None:
        return text, list(range(len(text)))
    out: list[str] = []
    index: list[int] = []
    at = 0
    for match in SYNONYM.finditer(text):
        out.append(text[at : match.start()])
        index.extend(range(at, match.start()))
        word = _SYNONYM[match.group(0)]
        out.append(word)
        last = len(word) - 1  # the canonical word's last character stands for the written word's last
        index.extend(match.end() - 1 if i == last else min(match.start() + i, match.end() - 1) for i in range(last + 1))
        at = match.end()
    out.append(text[at:])
    index.extend(range(at, len(text)))
    return "".join(out), index


def _through_suffix(phrase: str, last: int) -> int:
    """Extend a wording to its own 项目 (…多晶硅及配套项目), not to a shared one (…合金等一批重大项目); without a
    项目 in reach, to the end of a short phrase (…多晶硅及配套、), so a word is never cut in two."""
    head = HEAD_NOUN.search(phrase, last)
    if head and head.start() - last <= SUFFIX_REACH and not re.search(r"等|的|和|与|及其", phrase[last : head.start()]):
        return head.end()
    if head is None and phrase[last:] in NAME_TAILS:
        return len(phrase)
    return last


def _longest(named: Hit | None, variant: Hit | None) -> Hit | None:
    """The longest naming span wins: 中煤朔州煤基烯烃一体化项目 (a variant) over the alias inside it."""
    if named is None or variant is None:
        return named or variant
    covers = (
        variant.start <= named.start
        and named.end <= variant.end
        and variant.end - variant.start > named.end - named.start
    )
    return variant if covers else named
