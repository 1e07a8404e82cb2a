"""Alembic environment: runs on the connection handed over by ``szwatch.store.db.migrate``."""

from alembic import context
from sqlmodel import SQLModel

import szwatch.store.models  # noqa: F401  (registers the tables)

connection = context.config.attributes["connection"]


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """The full-text index tables are made by hand (0001, 0007); autogenerate must leave them be."""
    return not (type_ == "table" and name is not None and name.startswith(("articles_fts", "search_")))


context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
