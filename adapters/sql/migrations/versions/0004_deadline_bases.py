"""deadline bases: a case's deadlines and a step's due keep how they were counted (start day,
working days, provisional), so they can be recounted when a year's schedule is imported; and a
case row counts its parts (stops, extensions, cards, breaches), so a load reads only those it has

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("deadlines", sa.JSON, nullable=True))
        batch_op.add_column(sa.Column("parts", sa.JSON, nullable=True))
    with op.batch_alter_table("steps") as batch_op:
        batch_op.add_column(sa.Column("due_basis", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("steps") as batch_op:
        batch_op.drop_column("due_basis")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("parts")
        batch_op.drop_column("deadlines")
