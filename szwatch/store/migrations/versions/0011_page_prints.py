"""A page (版面) keeps its printed form: the page picture and the PDF link, where the paper's system offers them;
an alert carries the printed page of its story (readers ask for it next to the text).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 03:30:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops columns): a batch copy of ``pages`` would drop the
# table that ``articles`` refers to, which SQLite refuses while foreign keys are enforced.
COLUMNS = (("pages", "image_url"), ("pages", "pdf_url"), ("alerts", "page_print_url"))


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
