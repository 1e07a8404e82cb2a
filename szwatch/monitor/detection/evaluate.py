"""Scoring detection against a labelled set (``tests/data/detect_cases.toml``): precision and recall.

Used by the tests (floors) and by ``bench/detect.py`` (figures). A predicted mention counts when a label
names the same watch in the same sentence; a predicted observation counts when a label has the same
indicator, value, growth and relative flag (and, separately, how often its period and scope agree).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from szwatch.monitor.detection.figures import Observation
from szwatch.monitor.detection.findings import find, story_text
from szwatch.monitor.detection.match import Hit, Matcher
from szwatch.monitor.detection.watchlist import Watchlist
from szwatch.store.text import normalize


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


@dataclass
class Evaluation:
    mentions: Score
    observations: Score
    period_agree: float
    scope_agree: float


def load_cases(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as handle:
        return list(tomllib.load(handle)["case"])


def case_text(case: dict[str, Any]) -> str:
    return story_text(case.get("kicker"), case.get("title"), None, case["text"].strip().split("\n"))


def evaluate(cases: list[dict[str, Any]], watchlist: Watchlist) -> Evaluation:
    matcher = Matcher(watchlist)
    mentions, observations = Score(), Score()
    periods, scopes, matched = 0, 0, 0
    for case in cases:
        text = case_text(case)
        found = find(text, matcher, watchlist, date.fromisoformat(case["issue_date"]))
        _score_mentions(case, text, found.mentions, mentions)
        pairs = _score_observations(case, found.observations, observations)
        matched += len(pairs)
        periods += sum(o.period_start == _day(lab.get("period_start")) for o, lab in pairs)
        scopes += sum(o.scope == lab.get("scope", "全市") for o, lab in pairs)
    return Evaluation(mentions, observations, periods / (matched or 1), scopes / (matched or 1))


def _score_mentions(case: dict[str, Any], text: str, hits: list[Hit], score: Score) -> None:
    """A hit is right when an unused label of the same watch has its wording in the hit's sentence."""
    labels = [(label["watch"], normalize(label["surface"])) for label in case.get("mention", [])]
    for hit in hits:
        label = next((lab for lab in labels if lab[0] == hit.watch_id and lab[1] in hit.sentence.text), None)
        if label is None:
            score.false_pos += 1
            score.errors.append(f"{case['id']}: unexpected {hit.watch_id} {hit.kind} «{hit.surface}»")
        else:
            labels.remove(label)
            score.true_pos += 1
    for watch, surface in labels:
        score.false_neg += 1
        score.errors.append(f"{case['id']}: missed {watch} «{surface}»")


def _score_observations(case: dict[str, Any], found: list[Observation], score: Score) -> list[tuple[Observation, dict]]:
    labels = list(case.get("observation", []))
    pairs, unmatched = [], list(labels)
    for obs in found:
        label = next((lab for lab in unmatched if _same(obs, lab)), None)
        if label is None:
            score.false_pos += 1
            score.errors.append(f"{case['id']}: unexpected {obs.indicator_id} {obs.value} {obs.unit} {obs.growth_pct}%"
                                f" rel={obs.relative} «{obs.snippet}»")  # fmt: skip
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
