"""Alert rules: what in a story's findings is news against what the store already knew.

new_mention     a tracked project in a story not alerted before (once per watch and story);
new_figure      an indicator figure for a period and scope not known before;
revised_figure  the same indicator, period and scope with another value or growth: before → after;
project_update  a project's investment, stage (签约 → 开工 → 在建 → 投产) or progress changed, as its clause says;
threshold       a new or revised figure crossed a rule its indicator's watch states (``common/thresholds.py``).

Alerts are keyed by a dedupe key, so a re-crawl, a rescan or the other part of a continued story meets an
alert that exists already and adds nothing. Candidates are built only for the watches the caller says may
alert (``wanted``): one in its baseline would be held back anyway, and its look-ups of earlier figures and
facts are most of the cost of detecting an archive. Project facts are saved for every watch either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlmodel import Session

from szwatch.common import thresholds as limits
from szwatch.monitor.alerts.settings import Rule
from szwatch.monitor.detection.facts import Fact, stage_rank
from szwatch.store import alerts as store_alerts
from szwatch.store.findings.detections import FactRow, FindingsWriter, MentionRow, ObservationRow, Story
from szwatch.store.models import Alert, Observation
from szwatch.store.text import snippet


def story_alerts(
    session: Session, story: Story, mentions: list[MentionRow], observations: list[ObservationRow],
    facts: list[Fact], run_id: int | None, writer: FindingsWriter, wanted: Callable[[str], bool] = lambda _: True,
    thresholds: Mapping[str, tuple[limits.Threshold, ...]] | None = None,
) -> list[Alert]:  # fmt: skip
    """Candidate alerts of one story (before dedupe) for the ``wanted`` watches, in the order a reader would
    want them; the story's project ``facts`` are saved through ``writer``. The look-ups read the store: the
    caller flushes ``writer`` first when a watch is wanted."""
    wanted_mentions = [m for m in mentions if wanted(m.watch_id)]
    wanted_observations = [o for o in observations if wanted(o.indicator_id)]
    found = [*_mention_alerts(story, _not_alerted_alone(session, story, wanted_mentions), run_id),
             *_figure_alerts(session, story, wanted_observations, run_id, thresholds or {})]  # fmt: skip
    found.extend(_project_updates(session, story, facts, run_id, writer, wanted))
    return found


def _base(story: Story, rule: str, key: str, watch_id: str, run_id: int | None, **fields: Any) -> Alert:
    return Alert(
        dedupe_key=key, rule=rule, watch_id=watch_id, story_url=story.url, issue_date=story.issue_date,
        page=story.page, page_print_url=story.page_print_url, title=story.title, detect_run_id=run_id, **fields,
    )  # fmt: skip


def _not_alerted_alone(session: Session, story: Story, mentions: list[MentionRow]) -> list[MentionRow]:
    """The mentions of watches not alerted already for a later part of this story, when that part was read
    as a story of its own (its head came with a later crawl): one story, one alert."""
    later = [part.url for part in story.parts if part.url != story.url]
    if not later or not mentions:
        return mentions
    keys = {f"new_mention|{m.watch_id}|{url}": m.watch_id for m in mentions for url in later}
    alerted = {keys[key] for key in store_alerts.known_keys(session, list(keys))}
    return [m for m in mentions if m.watch_id not in alerted]


def _mention_alerts(story: Story, mentions: list[MentionRow], run_id: int | None) -> Iterable[Alert]:
    seen: set[str] = set()
    for mention in mentions:
        if mention.watch_id in seen:
            continue
        seen.add(mention.watch_id)
        key = f"new_mention|{mention.watch_id}|{story.url}"
        yield _base(story, Rule.NEW_MENTION, key, mention.watch_id, run_id,
                    snippet=snippet(mention.snippet, mention.surface, width=60),
                    figures=[{"surface": mention.surface, "match_kind": mention.kind}])  # fmt: skip


def _figure_alerts(
    session: Session, story: Story, observations: list[ObservationRow], run_id: int | None,
    thresholds: Mapping[str, tuple[limits.Threshold, ...]],
) -> Iterable[Alert]:  # fmt: skip
    for obs in observations:
        if obs.relative or obs.period_start is None:
            continue
        scope_key = f"{obs.indicator_id}|{obs.period_start}|{obs.period_end}|{obs.scope}"
        figure = _figure(obs)
        rules = thresholds.get(obs.indicator_id, ())
        prior = store_alerts.prior_observation(session, obs)
        if prior is None:
            yield _base(story, Rule.NEW_FIGURE, f"new_figure|{scope_key}", obs.indicator_id, run_id,
                        snippet=snippet(obs.snippet, obs.surface, width=60), figures=[figure])  # fmt: skip
            yield from _threshold_alerts(session, story, obs, run_id, rules)  # on new figures only
            continue
        before, before_date, before_title = prior
        changed = _differs(before.value, obs.value) or _differs(before.growth_pct, obs.growth_pct)
        if changed:
            key = f"revised_figure|{scope_key}|{obs.value}|{obs.growth_pct}"
            change = {
                "field": "figure",
                "before": _figure(before),
                "after": figure,
                "previous": {"issue_date": before_date.isoformat(), "title": before_title, "url": before.story_url},
            }
            text = snippet(obs.snippet, obs.surface, width=60)
            yield _base(story, Rule.REVISED_FIGURE, key, obs.indicator_id, run_id, snippet=text, figures=[figure],
                        change=change)  # fmt: skip
            yield from _threshold_alerts(session, story, obs, run_id, rules)


def _threshold_alerts(
    session: Session, story: Story, obs: ObservationRow, run_id: int | None, rules: tuple[limits.Threshold, ...]
) -> Iterable[Alert]:
    """One alert per figure (indicator, period, area) and rule it crosses; the earlier figure it was measured
    against, with its source, goes with it. A revision that crosses a rule the first report did not alerts too;
    one that crosses it again adds nothing (the dedupe key has no value in it)."""
    figure = _figure(obs)
    for rule in rules:
        crossing = limits.check(rule, figure, lambda: _earlier(store_alerts.same_period_last_year(session, obs)),
                                lambda: _earlier(store_alerts.earlier_ranked(session, obs)))  # fmt: skip
        if crossing is None:
            continue
        key = f"threshold|{obs.indicator_id}|{obs.period_start}|{obs.period_end}|{obs.scope}|{rule.text}"
        change: dict[str, Any] = {"field": "threshold", "rule": rule.text, "says": crossing.says}
        if crossing.before is not None:
            change.update(before=crossing.before, after=figure, previous=crossing.previous)
        yield _base(story, Rule.THRESHOLD, key[:255], obs.indicator_id, run_id,
                    snippet=snippet(obs.snippet, obs.surface, width=60), figures=[figure], change=change)  # fmt: skip


def _earlier(found: tuple[Observation, Any, str | None] | None) -> limits.Earlier | None:
    if found is None:
        return None
    before, issue_date, title = found
    return _figure(before), {"issue_date": issue_date.isoformat(), "title": title, "url": before.story_url}


def _project_updates(
    session: Session, story: Story, facts: list[Fact], run_id: int | None, writer: FindingsWriter,
    wanted: Callable[[str], bool],
) -> Iterable[Alert]:  # fmt: skip
    """Each fact belongs to the project that governs its clause, and the clause is the evidence the alert
    shows."""
    for fact in facts:
        field, value = fact.field, fact.value
        evidence = snippet(fact.sentence, fact.clause, width=40)
        saved = FactRow(watch_id=fact.watch_id, story_url=story.url, issue_date=story.issue_date, field=field,
                        value=value, snippet=evidence)  # fmt: skip
        if not wanted(fact.watch_id):
            writer.save_fact(saved)
            continue
        earlier = store_alerts.latest_fact(session, fact.watch_id, field, story.url)
        writer.save_fact(saved)
        if earlier is None or earlier.value == value or earlier.issue_date > story.issue_date:
            continue
        if field == "stage" and stage_rank(value) <= stage_rank(earlier.value):
            continue
        change = {
            "field": field, "before": earlier.value, "after": value, "evidence": fact.clause,
            "previous": {"issue_date": earlier.issue_date.isoformat(), "url": earlier.story_url,
                         "snippet": earlier.snippet},
        }  # fmt: skip
        key = f"project_update|{fact.watch_id}|{field}|{value}"
        yield _base(story, Rule.PROJECT_UPDATE, key, fact.watch_id, run_id, snippet=evidence, change=change)


def _figure(obs: Observation | ObservationRow) -> dict[str, Any]:
    return {
        "indicator_id": obs.indicator_id, "value": obs.value, "unit": obs.unit, "growth_pct": obs.growth_pct,
        "period": obs.period, "period_start": obs.period_start.isoformat() if obs.period_start else None,
        "period_end": obs.period_end.isoformat() if obs.period_end else None, "scope": obs.scope, "rank": obs.rank,
    }  # fmt: skip


def _differs(before: float | None, after: float | None) -> bool:
    return before is not None and after is not None and abs(before - after) > 1e-9
