"""Scoring detection against a labelled set (``tests/data/detect_*.toml``): precision and recall.

Used by the tests (per case and floors) and by ``bench/detect.py`` (figures).

- A predicted mention counts when a label names the same watch in the same sentence.
- A predicted observation counts when a label has the same indicator, value, growth and relative flag (and,
  separately, how often its period and scope agree).
- A predicted project fact (watch, field, value) in a sentence counts when the label of that watch in that
  sentence has that field with that value (``stage = "开工"``, ``investment = "52亿元"``, ``progress = "9/12"``);
  a label's field that no prediction matches is missed.

Every error is kept per case, so a test can name the case that broke and a known miss can be listed as such.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from szwatch.common.numerals import number
from szwatch.monitor.detection.facts import Fact
from szwatch.monitor.detection.figures import Observation
from szwatch.monitor.detection.findings import find, story_text
from szwatch.monitor.detection.match import Hit, Matcher
from szwatch.monitor.detection.watchlist import Watchlist
from szwatch.store.text import normalize

FACT_FIELDS = ("stage", "investment", "progress")
NAMED_KINDS = ("name", "alias")  # every other label kind is a mention worded with no alias


@dataclass
class Score:
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_pos / ((self.true_pos + self.false_pos) or 1)

    @property
    def recall(self) -> float:
        return self.true_pos / ((self.true_pos + self.false_neg) or 1)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / ((p + r) or 1)

    def add(self, other: Score) -> None:
        self.true_pos += other.true_pos
        self.false_pos += other.false_pos
        self.false_neg += other.false_neg
        self.errors.extend(other.errors)


@dataclass
class CaseResult:
    """One story scored: its errors name what a reader would see wrong."""

    case_id: str
    mentions: Score
    observations: Score
    facts: Score
    disagreements: list[str]  # matched observations whose period or scope differ from the label
    matched: int
    periods: int
    scopes: int
    surfaces: int
    surfaces_total: int
    no_alias: tuple[int, int]  # (found, labelled)

    @property
    def errors(self) -> list[str]:
        return self.mentions.errors + self.observations.errors + self.facts.errors + self.disagreements


@dataclass
class Evaluation:
    mentions: Score
    observations: Score
    facts: Score
    period_agree: float
    scope_agree: float
    surface_agree: float = 1.0
    no_alias: tuple[int, int] = (0, 0)
    cases: dict[str, CaseResult] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        return [e for c in self.cases.values() for e in c.errors]


def load_cases(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as handle:
        return list(tomllib.load(handle)["case"])


def case_text(case: dict[str, Any]) -> str:
    return story_text(case.get("kicker"), case.get("title"), None, case["text"].strip().split("\n"))


def evaluate(cases: list[dict[str, Any]], watchlist: Watchlist) -> Evaluation:
    matcher = Matcher(watchlist)
    results = [evaluate_case(case, matcher, watchlist) for case in cases]
    mentions, observations, facts = Score(), Score(), Score()
    for result in results:
        mentions.add(result.mentions)
        observations.add(result.observations)
        facts.add(result.facts)
    matched = sum(r.matched for r in results) or 1
    surfaces = sum(r.surfaces_total for r in results) or 1
    return Evaluation(
        mentions, observations, facts,
        period_agree=sum(r.periods for r in results) / matched, scope_agree=sum(r.scopes for r in results) / matched,
        surface_agree=sum(r.surfaces for r in results) / surfaces,
        no_alias=(sum(r.no_alias[0] for r in results), sum(r.no_alias[1] for r in results)),
        cases={r.case_id: r for r in results},
    )  # fmt: skip


def evaluate_case(case: dict[str, Any], matcher: Matcher, watchlist: Watchlist) -> CaseResult:
    text = case_text(case)
    found = find(text, matcher, watchlist, date.fromisoformat(case["issue_date"]))
    mentions, observations, facts = Score(), Score(), Score()
    paired = _score_mentions(case, found.mentions, mentions, found.facts)
    _score_facts(case, paired, found.facts, facts)
    pairs = _score_observations(case, found.observations, observations)
    disagreements = []
    periods = scopes = 0
    for obs, label in pairs:
        period_ok = obs.period_start == _day(label.get("period_start")) and (
            "period_end" not in label or obs.period_end == _day(label["period_end"])
        )
        scope_ok = obs.scope == label.get("scope", "全市")
        periods, scopes = periods + period_ok, scopes + scope_ok
        if not (period_ok and scope_ok):
            disagreements.append(f"{case['id']}: {obs.indicator_id} period {obs.period_start}..{obs.period_end} "
                                 f"/ scope {obs.scope}, labelled {label.get('period_start')}.."
                                 f"{label.get('period_end')} / {label.get('scope', '全市')}")  # fmt: skip
    no_alias_labels = [lab for lab in case.get("mention", []) if lab.get("kind") not in NAMED_KINDS]
    no_alias_found = sum(1 for _, lab in paired if lab.get("kind") not in NAMED_KINDS)
    surfaces = sum(1 for hit, lab in paired if hit.surface == normalize(lab["surface"]))
    return CaseResult(
        case["id"], mentions, observations, facts, disagreements, len(pairs), periods, scopes, surfaces, len(paired),
        (no_alias_found, len(no_alias_labels)),
    )  # fmt: skip


def _score_mentions(
    case: dict[str, Any],
    hits: list[Hit],
    score: Score,
    facts: list[Fact] = (),  # type: ignore[assignment]
) -> list[tuple[Hit, dict[str, Any]]]:
    """A hit is right when an unused label of the same watch has its wording in the hit's sentence.

    When several such labels fit (the same wording in the kicker and the title), the one whose project facts
    agree with what was read in that sentence is taken: the sentence a label meant is not written down.
    """
    labels = list(case.get("mention", []))
    paired = []
    for hit in hits:
        sentence = hit.sentence
        fits = [lab for lab in labels if lab["watch"] == hit.watch_id and normalize(lab["surface"]) in sentence.text]
        read = {(f.field, f.value) for f in facts if (f.watch_id, f.sentence_index) == (hit.watch_id, sentence.index)}
        agree = [lab for lab in fits if all(_same_fact(n, v, lab.get(n)) for n, v in read) and
                 all(any(n == name for n, _ in read) for name in FACT_FIELDS if name in lab)]  # fmt: skip
        label = (agree or fits or [None])[0]
        if label is None:
            score.false_pos += 1
            score.errors.append(f"{case['id']}: unexpected {hit.watch_id} {hit.kind} «{hit.surface}»")
        else:
            labels.remove(label)
            paired.append((hit, label))
            score.true_pos += 1
    for label in labels:
        score.false_neg += 1
        score.errors.append(f"{case['id']}: missed {label['watch']} «{normalize(label['surface'])}»")
    return paired


def _score_facts(
    case: dict[str, Any], paired: list[tuple[Hit, dict[str, Any]]], facts: list[Fact], score: Score
) -> None:
    """A fact is right when the label paired with its watch's hit in its sentence has that field and value."""
    label_of = {(hit.watch_id, hit.sentence.index): label for hit, label in paired}
    found: set[tuple[str, int, str]] = set()
    for fact in facts:
        label = label_of.get((fact.watch_id, fact.sentence_index))
        if label is not None and _same_fact(fact.field, fact.value, label.get(fact.field)):
            score.true_pos += 1
            found.add((fact.watch_id, fact.sentence_index, fact.field))
        else:
            score.false_pos += 1
            said = f"labelled {label.get(fact.field)!r}" if label is not None else "no such mention"
            score.errors.append(f"{case['id']}: wrong fact {fact.watch_id} {fact.field}={fact.value} ({said}) "
                                f"«{fact.clause}»")  # fmt: skip
    sentence_of = {id(label): hit.sentence.index for hit, label in paired}
    for label in case.get("mention", []):
        for name in FACT_FIELDS:
            if name in label and (label["watch"], sentence_of.get(id(label), -1), name) not in found:
                score.false_neg += 1
                score.errors.append(f"{case['id']}: missed fact {label['watch']} {name}={label[name]} "
                                    f"«{normalize(label['surface'])}»")  # fmt: skip


def _same_fact(name: str, predicted: str, label: Any) -> bool:
    if label is None:
        return False
    if name == "investment":
        return _amount(predicted) == _amount(str(label))
    return re.sub(r"\s", "", predicted) == re.sub(r"\s", "", str(label))


def _amount(text: str) -> tuple[float, str] | None:
    match = re.fullmatch(r"\s*([\d.]+|[零〇一二两三四五六七八九十百千万点]+)\s*(\D+?)\s*", text)
    return (round(number(match[1]), 6), match[2]) if match else None


def _score_observations(case: dict[str, Any], found: list[Observation], score: Score) -> list[tuple[Observation, dict]]:
    labels = list(case.get("observation", []))
    pairs, unmatched = [], list(labels)
    for obs in found:
        label = next((lab for lab in unmatched if _same(obs, lab)), None)
        if label is None:
            score.false_pos += 1
            score.errors.append(f"{case['id']}: unexpected {obs.indicator_id} {obs.value} {obs.unit} {obs.growth_pct}%"
                                f" rel={obs.relative} [{obs.rule}] «{obs.snippet}»")  # fmt: skip
        else:
            unmatched.remove(label)
            pairs.append((obs, label))
            score.true_pos += 1
    for label in unmatched:
        score.false_neg += 1
        score.errors.append(f"{case['id']}: missed {label['indicator']} {label.get('value')} {label.get('growth_pct')}%"
                            f" rel={label.get('relative')}")  # fmt: skip
    return pairs


def _same(obs: Observation, label: dict[str, Any]) -> bool:
    return (
        obs.indicator_id == label["indicator"]
        and _close(obs.value, label.get("value"))
        and _close(obs.growth_pct, label.get("growth_pct"))
        and obs.relative == bool(label.get("relative", False))
    )


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-6)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
