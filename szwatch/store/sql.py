"""``select`` for rows of more than four columns.

sqlmodel's ``select()`` is typed by overloads that stop at four entities, so a wider select does not
type-check although it runs fine (the function builds the same ``Select`` for any number). Building that
``Select`` directly keeps the query checked; its rows are typed as tuples of ``Any``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.sql.expression import Select


def select_wide(*entities: Any) -> Select[*tuple[Any, ...]]:
    return Select(*entities)
