"""who put a withdrawn power back in service, when and why (the last withdrawal stays on record)

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

from adapters.sql.tables import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("powers") as batch:
        batch.add_column(sa.Column("reinstated_at", UTCDateTime, nullable=True))
        batch.add_column(sa.Column("reinstated_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("reinstated_reason", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("powers") as batch:
        for column in ("reinstated_reason", "reinstated_by", "reinstated_at"):
            batch.drop_column(column)
