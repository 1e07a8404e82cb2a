"""A character-level search index (single characters and pairs) for queries of any length, kept in key order.

Replaces the trigram index of 0001, which could not answer one- and two-character queries (they scanned
every article with LIKE) and, on PostgreSQL, was not used at all. Existing articles are indexed here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 06:00:00.000000
"""

from alembic import op

from szwatch.store import search

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_OLD_SQLITE = ["articles_fts_ai", "articles_fts_ad", "articles_fts_au"]
_TRIGRAM_SQLITE = [
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id',"
    " tokenize='trigram')",
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN"
    " INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN"
    " INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);"
    " END",
    "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN"
    " INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);"
    " INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]
_TRIGRAM_PG = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_articles_text_trgm ON articles USING gin (text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_articles_title_trgm ON articles USING gin (title gin_trgm_ops)",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in _OLD_SQLITE:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
        for statement in search.SQLITE_DDL:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_text_trgm")
        op.execute("DROP INDEX IF EXISTS ix_articles_title_trgm")
        for statement in search.PG_DDL + search.PLACES_DDL:  # today's rebuild writes places too (0016)
            op.execute(statement)
    search.rebuild(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in search.SQLITE_TABLES:
            op.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _TRIGRAM_SQLITE:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute(f"DROP TABLE IF EXISTS {search.PLACES_TABLE}")
        op.execute(f"DROP TABLE IF EXISTS {search.PG_TABLE}")
        for statement in _TRIGRAM_PG:
            op.execute(statement)
