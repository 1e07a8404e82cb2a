"""Detection's look-ups are answered by indexes, so detecting a story costs the same in a large archive."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Engine


def test_earlier_figures_and_facts_are_found_by_index(engine: Engine):
    indexes = {
        table: {tuple(ix["column_names"]) for ix in inspect(engine).get_indexes(table)}
        for table in ("observations", "project_facts")
    }

    assert ("indicator_id", "period_start", "period_end", "scope") in indexes["observations"]
    assert ("watch_id", "field", "issue_date") in indexes["project_facts"]
    assert ("story_url",) in indexes["project_facts"]
