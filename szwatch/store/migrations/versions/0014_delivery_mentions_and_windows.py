"""Per-delivery ``@`` mentions and push window, resolved when the alert is queued.

Revision ID: 0014
Revises: 0013

A retry must ``@`` the same people and respect the same window as the first attempt, even after the settings
or the watchlist changed: so both are written on the delivery row, not looked up when it is sent. Rows from
before this change have neither (the channel's own mentions still apply; no window).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("mentions", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("push_window", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("push_window")
        batch.drop_column("mentions")
