"""open cases' promised due: a partial index on cases (definition_id, promised_due, clock) WHERE
the case is open, for the supervisors' overdue / near-deadline counts per unit (closed cases,
most of the table, are not in it)

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN = "state IN ('received', 'accepted', 'in_correction', 'in_special')"


def upgrade() -> None:
    op.create_index("ix_cases_open_due", "cases", ["definition_id", "promised_due", "clock"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade() -> None:
    op.drop_index("ix_cases_open_due", table_name="cases")
