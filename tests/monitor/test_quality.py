"""Precision and recall floors on the labelled set (tests/data/detect_cases.toml)."""

from __future__ import annotations

from pathlib import Path

from szwatch.monitor.detection.evaluate import evaluate, load_cases
from szwatch.monitor.detection.watchlist import load_watchlist

CASES = Path(__file__).resolve().parents[1] / "data" / "detect_cases.toml"


def test_labelled_set_is_large_enough():
    cases = load_cases(CASES)
    assert len(cases) >= 40
    assert sum(len(c.get("mention", [])) for c in cases) >= 40
    assert sum(len(c.get("observation", [])) for c in cases) >= 40


def test_precision_and_recall_floors():
    result = evaluate(load_cases(CASES), load_watchlist())
    report = "\n".join(result.mentions.errors + result.observations.errors)
    assert result.mentions.precision >= 0.95, report
    assert result.mentions.recall >= 0.95, report
    assert result.observations.precision >= 0.95, report
    assert result.observations.recall >= 0.9, report
    assert result.period_agree >= 0.95 and result.scope_agree >= 0.95


def test_held_out_set_written_apart_from_the_code():
    result = evaluate(load_cases(CASES.with_name("detect_holdout.toml")), load_watchlist())
    report = "\n".join(result.mentions.errors + result.observations.errors)
    assert result.mentions.precision >= 0.9 and result.mentions.recall >= 0.9, report
    assert result.observations.precision >= 0.9 and result.observations.recall >= 0.85, report
