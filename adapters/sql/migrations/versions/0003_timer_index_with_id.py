"""timers index includes id, so claiming the next due row needs no sort among equal due times

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("timers") as batch_op:
        batch_op.drop_index("ix_timers_status_due")
        batch_op.create_index("ix_timers_status_due", ["status", "due_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("timers") as batch_op:
        batch_op.drop_index("ix_timers_status_due")
        batch_op.create_index("ix_timers_status_due", ["status", "due_at"])
