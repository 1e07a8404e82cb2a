"""What a story says about its projects: investment, stage and progress, each tied to the project it is about.

Pure; the input of ``project_update``. A wrong "project opened" alert costs more trust than a missed one, so
the reading is narrow:

- **Per clause.** A sentence is read clause by clause (split at ，；：). A fact belongs to the project named in
  its clause, or — when the clause names none — to the project of the clause before (``…项目总投资200亿元，
  今年4月开工``), until a clause names another project, watched or not. Two projects of one sentence never
  share a fact: ``总投资52亿元的A项目完成可研，投资38亿元的B项目开工`` gives A 52亿元 and B 38亿元 + 开工.
- **Here.** A clause that names no project and is located in another place only (其在乌海的基地也已投产)
  ends the reach of the project before it (``places``).
- **Groups.** Projects listed together (``A、B等5个重大项目同日开工``) share a stage; an investment or a
  progress stated for a group is the group's total, and is given to none of them.
- **Only what happened.** A stage word counts only when the text says it happened: not planned (将于年底投产,
  力争, 年内开工), conditional (建成后), preparatory (开工前准备) or "closer to" (距离通车又近了一步) — unless
  the clause says it has (已于4月开工). The words are tables in ``grammar``.

Each fact keeps its clause, the evidence a ``project_update`` alert shows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from szwatch.common.numerals import cn_integer, number
from szwatch.monitor.detection import grammar as g
from szwatch.monitor.detection.places import only_elsewhere

CLAUSE_END = re.compile(r"[，,；;：:。！？!?]")
INVESTMENT = re.compile(
    rf"(?P<lead>{g.alternation(g.INVESTMENT_LEADS)}|投资)(?:额)?(?:{g.alternation(g.INVESTMENT_QUALIFIERS)})?\s*"
    rf"(?P<num>\d+(?:\.\d+)?|[{g.CN_NUM}]+)\s*(?:多|余)?(?P<unit>{g.alternation(g.INVESTMENT_UNITS)})"
    rf"(?!\s*(?:{g.alternation(g.APPROXIMATE)}))"
)  # 290多亿元: the amount stated
_AMOUNT = rf"(?:\d+(?:\.\d+)?|[{g.CN_NUM}]+)\s*(?:{g.alternation(g.INVESTMENT_UNITS)})"
# A和B计划总投资分别为200亿元和15亿元: one amount per project of the list, in order.
RESPECTIVE = re.compile(
    rf"(?:{g.alternation(g.INVESTMENT_LEADS)}|投资)(?:额)?分别(?:{g.alternation(g.INVESTMENT_QUALIFIERS)})?\s*"
    rf"(?P<amounts>{_AMOUNT}(?:{g.SEP}{_AMOUNT})+)"
)
AMOUNT = re.compile(rf"(?P<num>\d+(?:\.\d+)?|[{g.CN_NUM}]+)\s*(?P<unit>{g.alternation(g.INVESTMENT_UNITS)})")
STAGE_WORD = re.compile(g.alternation([w for _, words in g.STAGES for w in words]))
STAGE_OF = {w: stage for stage, words in g.STAGES for w in words}
FALSE_FRIEND = re.compile(g.alternation(g.STAGE_FALSE_FRIENDS))
NOT_BEFORE = re.compile(g.alternation(g.NOT_HAPPENED_BEFORE))
NOT_AFTER = re.compile(
    rf"^(?!{g.alternation(g.DURATION_AFTER)})(?:{g.alternation(g.NOT_HAPPENED_AFTER)})"
    rf"|^[\u4e00-\u9fff]{{1,2}}?(?:{g.alternation(g.NOT_HAPPENED_LATER)})"
)
NEAR_AFTER = re.compile(g.alternation(g.NOT_HAPPENED_NEAR))
SLOGAN = re.compile(rf"(?:{g.alternation(g.SLOGAN_BEFORE)})$")
NOMINAL = re.compile(rf"^(?:建设|运营)?(?:{g.alternation(g.NOMINAL_AFTER)})")
ROUTE = re.compile(rf"(?:{g.alternation(g.ROUTE_BEFORE)})[^，。；]{{1,12}}$")
PART = re.compile(g.alternation(g.PARTS))
CEREMONY = re.compile(rf"^[^，。；、]{{0,12}}?(?:{g.alternation(g.CEREMONIES)})")
# 已建成运营煤电装机1116.5万千瓦 in a clause naming no project: a total of the city's plants, not a stage.
TOTAL_AFTER = re.compile(r"^[^，。；\d]{0,8}\d")
HAPPENED = re.compile(g.alternation(g.HAPPENED))
ATTRIBUTIVE = re.compile(rf"[\u4e00-\u9fff]{{0,{g.ATTRIBUTIVE_REACH}}}?{g.ATTRIBUTIVE}")
NEGATION = re.compile(rf"(?:{g.alternation(g.NEGATIONS)})$")
OTHER_PROJECT = re.compile(r"([\u4e00-\u9fffA-Za-z0-9]*)(?:项目|工程)")
GENERIC_STEM = re.compile(
    r"(?:^|该|此|本|这|那|这些|重大|重点|个|批|等|大|各|些|配套|子|主体|一期|二期|三期|相关|上述|在建|新建|续建|新开工"
    r"|以上|产业|亿元|好|的|类|多|新|全部|所有|全市|全县|全区|我市|园区|土建|装修|室外|附属)$"
)
SITE = ("现场", "工地")
VENUE = re.compile(rf"^(?P<event>[^在，。；]*?)在(?P<venue>[^，。；]+?)(?:{g.alternation(g.VENUE_VERBS)})")
COUNTED = re.compile(rf"[\d零一二两三四五六七八九十百](?:{g.alternation(g.PROGRESS_UNITS)})")
GROUP_GLUE = re.compile(r"^(?:项目)?(?:[一二三四]期)?(?:项目)?[、和及与\s]*$")


@dataclass(frozen=True)
class Fact:
    watch_id: str
    field: str  # investment | stage | progress
    value: str
    clause: str
    sentence: str
    sentence_index: int
    surface: str


@dataclass(frozen=True)
class Name:
    """A project named in a sentence: offsets within the sentence text."""

    watch_id: str
    start: int
    end: int
    surface: str


class MentionLike(Protocol):
    watch_id: str
    surface: str
    snippet: str
    sentence_index: int
    start: int
    end: int


def stage_rank(stage: str) -> int:
    return next((i for i, (name, _) in enumerate(g.STAGES) if name == stage), -1)


def sentence_facts(sentence: str, names: list[Name], index: int = 0) -> list[Fact]:
    """Facts of the projects ``names`` (sorted or not) in one sentence, each with the clause it came from."""
    names = sorted(names, key=lambda n: n.start)
    facts: list[Fact] = []
    governing: list[Name] = []
    for start, end in _clauses(sentence):
        clause = sentence[start:end]
        in_clause = [n for n in names if start <= n.start < end]
        if in_clause:
            regions = _regions(sentence, in_clause, start, end)
        elif not governing:
            continue  # no project here nor before it in the sentence: nothing to read (most clauses)
        elif _names_other_project(clause) or only_elsewhere(clause):  # 其在乌海的基地也已投产: not ours
            governing = []
            continue
        else:
            regions = [(governing, start, end)]
            facts.extend(_clause_facts(sentence, clause, regions, index, carried=True))
            continue
        facts.extend(_clause_facts(sentence, clause, regions, index))
        governing = regions[-1][0]
    return story_facts(facts)


def hit_facts(hits: Iterable[object]) -> list[Fact]:
    """Facts of the project hits of a story (``match.Hit``): grouped by sentence, read per clause."""
    by_sentence: dict[int, list] = defaultdict(list)
    for hit in hits:
        by_sentence[hit.sentence.index].append(hit)  # type: ignore[attr-defined]
    facts = []
    for index, group in sorted(by_sentence.items()):
        sentence = group[0].sentence
        names = [Name(h.watch_id, h.start - sentence.start, h.end - sentence.start, h.surface) for h in group]
        facts.extend(sentence_facts(sentence.text, names, index))
    return facts


def mention_facts(mentions: Iterable[MentionLike]) -> list[Fact]:
    """The same from stored mentions, whose offsets are in the story and whose snippet is the stripped sentence."""
    by_sentence: dict[int, list[MentionLike]] = defaultdict(list)
    for mention in mentions:
        by_sentence[mention.sentence_index].append(mention)
    facts = []
    for index, group in sorted(by_sentence.items()):
        text = group[0].snippet
        offset = _offset(text, group)
        if offset is None:  # cannot place the names: read the sentence as about its first project only
            names = [Name(group[0].watch_id, 0, 0, group[0].surface)]
        else:
            names = [Name(m.watch_id, m.start - offset, m.end - offset, m.surface) for m in group]
        facts.extend(sentence_facts(text, names, index))
    return facts


def story_facts(facts: Iterable[Fact]) -> list[Fact]:
    """One fact per project and field (of a sentence, or of a story): the furthest stage, the first investment,
    the last progress."""
    chosen: dict[tuple[str, str], Fact] = {}
    for fact in facts:
        key = (fact.watch_id, fact.field)
        old = chosen.get(key)
        if (
            old is None
            or (fact.field == "stage" and stage_rank(fact.value) > stage_rank(old.value))
            or fact.field == "progress"
        ):
            chosen[key] = fact
    return list(chosen.values())


def _offset(text: str, group: list[MentionLike]) -> int | None:
    first = group[0]
    at = text.find(first.surface)
    while at >= 0:
        offset = first.start - at
        if all(text[m.start - offset : m.end - offset] == m.surface for m in group):
            return offset
        at = text.find(first.surface, at + 1)
    return None


def _clauses(sentence: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for stop in CLAUSE_END.finditer(sentence):
        bounds.append((start, stop.start()))
        start = stop.end()
    bounds.append((start, len(sentence)))
    return [(s, e) for s, e in bounds if e > s]


def _regions(sentence: str, names: list[Name], start: int, end: int) -> list[tuple[list[Name], int, int]]:
    """Names listed together form one group; each group governs the clause text up to the next group."""
    groups: list[list[Name]] = []
    for name in names:
        if groups and GROUP_GLUE.match(_between(sentence, groups[-1][-1], name)):
            groups[-1].append(name)
        else:
            groups.append([name])
    regions = []
    for i, group in enumerate(groups):
        region_start = start if i == 0 else group[0].start
        region_end = groups[i + 1][0].start if i + 1 < len(groups) else end
        regions.append((_unique(group), region_start, region_end))
    return regions


def _between(sentence: str, left: Name, right: Name) -> str:
    return sentence[left.end : right.start] if right.start >= left.end else ""


def _unique(group: list[Name]) -> list[Name]:
    seen: dict[str, Name] = {}
    for name in group:
        seen.setdefault(name.watch_id, name)
    return list(seen.values())


def _names_other_project(clause: str) -> bool:
    """Does a clause without our projects name another one (海泰新能源2GW异质结光伏组件项目, 海泰新能源等3个项目)?"""
    for match in OTHER_PROJECT.finditer(clause):
        stem = match[1]
        if len(stem) >= 2 and not GENERIC_STEM.search(stem):
            return True
        named = stem.rpartition("等")[0]  # 海泰新能源等3个项目: a company listed for its projects
        if len(named) >= 2 and not GENERIC_STEM.search(named):
            return True
    return False


def _clause_facts(
    sentence: str, clause: str, regions: list[tuple[list[Name], int, int]], index: int, carried: bool = False
) -> list[Fact]:
    """Stage per region; investment and progress to the region they sit in (an attributive investment,
    投资38亿元的B项目, to the project it qualifies), and only when that region has one project."""
    found: dict[int, dict[str, str]] = defaultdict(dict)
    for match in INVESTMENT.finditer(sentence, regions[0][1], regions[-1][2]):
        at = _owner(regions, match.start())
        if sentence[match.end() : match.end() + 1] == "的":
            at = next((i for i, (_, s, _e) in enumerate(regions) if 0 <= s - match.end() <= 12), at)
        if (value := _investment(sentence, match, regions[at][1])) is not None:
            found[at].setdefault("investment", value)
    for total, done, at in _progress(sentence, regions[0][1], regions[-1][2]):
        if 0 < done <= total:
            found[_owner(regions, at)].setdefault("progress", f"{done}/{total}")
    facts: list[Fact] = []
    for i, (group, start, end) in enumerate(regions):
        fields = found[i] if len(group) == 1 else {}
        each = _respective(sentence, group, start, end)
        stage, site = _stage(sentence[start:end], [(n.start - start, n.end - start) for n in group], carried)
        for n, name in enumerate(group):
            own = {**fields, **each[n]} if each else fields
            own = {**own, "stage": stage} if stage and (not site or n == len(group) - 1) else own
            facts.extend(Fact(name.watch_id, f, v, clause, sentence, index, name.surface) for f, v in own.items())
    return _venue(sentence, clause, regions, facts, index)


def _venue(
    sentence: str, clause: str, regions: list[tuple[list[Name], int, int]], facts: list[Fact], index: int
) -> list[Fact]:
    """开工仪式在A园区B项目现场举行: the event's stage is B's (the last project named at the venue), not A's."""
    clause_start = regions[0][1]
    match = VENUE.match(sentence, clause_start, regions[-1][2])
    if match is None:
        return facts
    at_venue = [n for group, _, _ in regions for n in group if match.start("venue") <= n.start < match.end("venue")]
    stage, _ = _stage(match["event"])
    if not at_venue or stage is None:
        return facts
    last = at_venue[-1]
    kept = [f for f in facts if not (f.field == "stage" and f.watch_id in {n.watch_id for n in at_venue})]
    return [*kept, Fact(last.watch_id, "stage", stage, clause, sentence, index, last.surface)]


def _progress(sentence: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """(total, done, where) of the counts that start in ``start:end``; the done part may be in the next clause
    (5座车站中，已有3座完成…; 3座车站中，山阴南站、应县西站已完成…)."""
    found: list[tuple[int, int, int]] = []
    if COUNTED.search(sentence, start) is None:
        return found  # every count starts with a number and its unit (5座, 12个)
    for match in g.PROGRESS.finditer(sentence, start):
        if match.start() >= end:
            break
        found.append((cn_integer(match["total"] or match["total2"]), cn_integer(match["done"] or match["done2"]),
                      match.start()))  # fmt: skip
    for match in g.LISTED_PROGRESS.finditer(sentence, start):
        if match.start() >= end:
            break
        found.append((cn_integer(match["total"]), len(g.LIST_SPLIT.split(match["list"])), match.start()))
    return found


def _respective(sentence: str, group: list[Name], start: int, end: int) -> list[dict[str, str]]:
    """A和B计划总投资分别为200亿元和15亿元: the i-th amount to the i-th project, or nothing when counts differ."""
    if len(group) < 2:
        return []
    for match in RESPECTIVE.finditer(sentence, start, end):
        amounts = list(AMOUNT.finditer(match["amounts"]))
        if len(amounts) == len(group):
            return [{"investment": _amount(a["num"], a["unit"])} for a in amounts]
    return []


def _amount(num: str, unit: str) -> str:
    """An amount as the paper's readers compare them: 386000万元 is 38.6亿元 (``grammar.INVESTMENT_SCALE``)."""
    value = number(num)
    if (larger := g.INVESTMENT_SCALE.get(unit)) and value >= 10_000:
        value, unit = round(value / 10_000, 6), larger
    return f"{value:g}{unit}"


def _owner(regions: list[tuple[list[Name], int, int]], at: int) -> int:
    return next((i for i, (_, s, e) in enumerate(regions) if s <= at < e), len(regions) - 1)


def _investment(sentence: str, match: re.Match[str], region_start: int) -> str | None:
    """总投资52亿元 / 计划投资…; bare 投资 only attributive (投资38亿元的) or right after the name (…项目投资…)."""
    before = sentence[max(region_start, match.start() - 4) : match.start()]
    if any(word in before for word in g.INVESTMENT_NOT_AFTER):
        return None
    if match["lead"] == "投资":
        lead_in = sentence[region_start : match.start()]
        attributive = sentence[match.end() : match.end() + 1] == "的"
        if not attributive and lead_in.strip() and not lead_in.endswith(("项目", "工程")):
            return None
    return _amount(match["num"], match["unit"])


def _stage(region: str, names: list[tuple[int, int]] | None = None, carried: bool = False) -> tuple[str | None, bool]:
    """The furthest stage the region says has happened, and whether it only qualifies a site (A和B施工现场:
    the site is B's, so the stage is not spread over the list).

    A stage word in an attributive phrase (已建成的…) counts only when the project's name (at ``names``)
    follows the 的: 此前已建成的大张高铁、大西高铁与集大原高铁 says nothing of the last line of the list. A part
    named between the project and 建成 (…工程应县南互通桥…已建成) is built, not the project: construction. In a
    clause that names no project (``carried``), a stage followed by a number is a total of many (已建成运营煤电
    装机1116.5万千瓦), not the stage of the project before.
    """
    best, site = -1, False
    if STAGE_WORD.search(region) is None:
        return None, site  # no stage word (most regions): the look-ups below would be read for nothing
    false = [(m.start(), m.end()) for m in FALSE_FRIEND.finditer(region)]
    counted = [(m.start(), m.end()) for m in g.PROGRESS.finditer(region)]  # 12个单体工程已完工9个: part of it
    last_name = max((end for _, end in names or []), default=0)
    for match in STAGE_WORD.finditer(region):
        if any(s <= match.start() < e for s, e in false):
            continue
        before, after = region[: match.start()], region[match.end() :]
        if _not_happened(before, after, match.group(0)) or (carried and TOTAL_AFTER.match(after)):
            continue
        if (
            (of := ATTRIBUTIVE.match(after))
            and names is not None
            and not after[of.end() :].startswith(g.NOT_ATTRIBUTIVE_AFTER)
        ):
            head = match.end() + of.end()
            if not any(at >= head and region[head:at] in g.ATTRIBUTIVE_LINKS for at, _ in names):
                continue
        rank = stage_rank(STAGE_OF[match.group(0)])
        partly = any(s <= match.start() < e for s, e in counted)
        part = PART.search(region, last_name, match.start()) if match.start() > last_name else None
        if rank == stage_rank("投产") and (partly or part or any(w in before[-8:] for w in g.SHELL_ONLY)):
            rank = stage_rank("在建")
        if rank == stage_rank("在建") and CEREMONY.match(after):
            continue  # 开工暨基础施工首基试点仪式: the ceremony of a start
        if rank > best:
            best, site = rank, after.startswith(SITE)
    return (g.STAGES[best][0] if best >= 0 else None), site


def _not_happened(before: str, after: str, word: str) -> bool:
    """Negated, planned, conditional, a slogan (当年建设、当年投产), a noun phrase (开工建设对…, 开通运营初期) or a
    route described (与太原市贯通): no stage that happened (``grammar``)."""
    if NEGATION.search(before) or NOT_AFTER.match(after) or NEAR_AFTER.search(after[:10]):
        return True
    if SLOGAN.search(before) or NOMINAL.match(after):
        return True
    if word in g.ROUTE_WORDS and ROUTE.search(before):
        return True
    return bool(NOT_BEFORE.search(before) and not HAPPENED.search(before[-8:]))
