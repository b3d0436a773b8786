"""supervision reports signed off by a supervisor and archived with their figures

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

from adapters.sql.tables import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period_from", sa.Date, nullable=False),
        sa.Column("period_to", sa.Date, nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("signed_by", sa.String(64), nullable=False),
        sa.Column("signed_at", UTCDateTime, nullable=False),
        sa.Column("written_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_reports_period", "reports", ["period_from", "period_to"])


def downgrade() -> None:
    op.drop_index("ix_reports_period", table_name="reports")
    op.drop_table("reports")
