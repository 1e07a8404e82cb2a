"""Indexes for detection's look-ups: a figure's earlier values, a project's latest fact, a story's facts.

Revision ID: 0008
Revises: 0007

The alert rules ask, per figure found, for the newest earlier value of the same indicator, period and scope,
and per project fact for the newest earlier fact of that project and field; with an index on the indicator
or the watch alone each look-up read and sorted every earlier row of it, so detection slowed as the archive
grew. Detection also reads the facts of the stories it is about to write, by story.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_observations_figure", "observations", ["indicator_id", "period_start", "period_end", "scope"])
    op.create_index("ix_project_facts_latest", "project_facts", ["watch_id", "field", "issue_date"])
    op.create_index("ix_project_facts_story_url", "project_facts", ["story_url"])


def downgrade() -> None:
    op.drop_index("ix_project_facts_story_url", table_name="project_facts")
    op.drop_index("ix_project_facts_latest", table_name="project_facts")
    op.drop_index("ix_observations_figure", table_name="observations")
