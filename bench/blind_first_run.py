# Kept as the record of the blind first run (see bench/records/blind-first-run.md); it scores facts with the pre-fix facts.project_facts.
"""Blind first run: the pre-fix detection code on the independent set (tests/data/detect_blind.toml)."""

import sys
from datetime import date
from pathlib import Path

from szwatch.monitor.detection.evaluate import case_text, evaluate, load_cases
from szwatch.monitor.detection.facts import project_facts
from szwatch.monitor.detection.findings import find
from szwatch.monitor.detection.match import Matcher
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.store.text import normalize

path = Path(sys.argv[1])
cases = load_cases(path)
wl = load_watchlist()
ev = evaluate(cases, wl)
m, o = ev.mentions, ev.observations
print(f"cases {len(cases)}")
print(
    f"mentions      P {m.precision:.3f} R {m.recall:.3f} F1 {m.f1:.3f} (tp {m.true_pos} fp {m.false_pos} fn {m.false_neg})"
)
print(
    f"observations  P {o.precision:.3f} R {o.recall:.3f} F1 {o.f1:.3f} (tp {o.true_pos} fp {o.false_pos} fn {o.false_neg})"
)
print(f"period agreement {ev.period_agree:.3f}, scope agreement {ev.scope_agree:.3f}")
# no-alias mentions: labels of kind variant/keywords
noalias = [(c["id"], m) for c in cases for m in c.get("mention", []) if m["kind"] in ("variant", "keywords")]
matcher = Matcher(wl)
found_noalias = 0
tp = fp = 0
label_facts = 0
matched_labels = 0
errors = []
for case in cases:
    text = case_text(case)
    f = find(text, matcher, wl, date.fromisoformat(case["issue_date"]))
    labels = case.get("mention", [])
    for lab in labels:
        label_facts += sum(1 for k in ("stage", "investment", "progress") if k in lab)
    used = set()
    for hit in f.mentions:
        lab = next(
            (
                x
                for i, x in enumerate(labels)
                if i not in used and x["watch"] == hit.watch_id and normalize(x["surface"]) in hit.sentence.text
            ),
            None,
        )
        for field, value in project_facts(hit.sentence.text).items():
            if lab is not None and lab.get(field) == value:
                tp += 1
            else:
                fp += 1
                errors.append(f"{case['id']}: false fact {hit.watch_id} {field}={value} «{hit.sentence.text[:60]}»")
    for lab in labels:
        if lab["kind"] in ("variant", "keywords") and any(
            h.watch_id == lab["watch"] and normalize(lab["surface"]) in h.sentence.text for h in f.mentions
        ):
            found_noalias += 1
print(f"no-alias mentions found {found_noalias} of {len(noalias)}")
print(
    f"project facts P {tp / ((tp + fp) or 1):.3f} R {tp / (label_facts or 1):.3f} (tp {tp} fp {fp}, labelled {label_facts})"
)
print("\nerrors:")
for e in m.errors + o.errors + errors:
    print("  " + e)
