"""One article from two sites: a page keeps its printed number (版面), and an article keeps the URLs other sites
of its paper serve it under, so the same article crawled from a second site is recognised, not stored again.
An alert names its paper (《山西日报》2024-05-07 第3版): alerts raised before get the name of their story's paper.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 06:00:00.000000

Existing pages get no number (the page codes of earlier crawls say it only per family); a page crawled again
gets it. Pages without a number are matched by their code alone, as before.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The bundled papers' names when this was written (a migration does not read profiles that may change later).
NAMES = {"szrb": "朔州日报", "sxrb": "山西日报", "sxjjrb": "山西经济日报", "dtrb": "大同日报", "rmrb": "人民日报"}


def upgrade() -> None:
    op.add_column("pages", sa.Column("number", sa.Integer(), nullable=True))
    op.create_table(
        "article_alternates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    op.create_index("ix_article_alternates_article_id", "article_alternates", ["article_id"])
    op.add_column("alerts", sa.Column("paper", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.execute(
        "UPDATE alerts SET paper = (SELECT CASE i.source "
        + "".join(f"WHEN '{k}' THEN '{v}' " for k, v in NAMES.items())
        + "ELSE i.source END FROM articles a JOIN issues i ON i.id = a.issue_id WHERE a.url = alerts.story_url) "
        "WHERE story_url IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE alerts DROP COLUMN paper")
    op.drop_index("ix_article_alternates_article_id", table_name="article_alternates")
    op.drop_table("article_alternates")
    op.execute("ALTER TABLE pages DROP COLUMN number")
