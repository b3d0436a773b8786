"""the open cases' deadline index also carries when the clock stopped: a suspended case is
overdue only if its deadline ran out before the stop, and the overview must still be an
index-only count

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN = "state IN ('received', 'accepted', 'in_correction', 'in_special')"


def upgrade() -> None:
    op.drop_index("ix_cases_open_due", table_name="cases")
    op.create_index("ix_cases_open_due", "cases",
                    ["definition_id", "promised_due", "clock", "suspended_since"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade() -> None:
    op.drop_index("ix_cases_open_due", table_name="cases")
    op.create_index("ix_cases_open_due", "cases", ["definition_id", "promised_due", "clock"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
