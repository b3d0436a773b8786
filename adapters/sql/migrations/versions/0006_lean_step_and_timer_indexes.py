"""lean per-step indexes: the task list's indexes cover waiting steps only (partial, status =
'ready'), the sweep's index covers pending due rows only; spent due rows are deleted (their
history is in the audit trail), so a case at rest keeps only what can still fire

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

READY = sa.text("status = 'ready'")
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.execute("DELETE FROM timers WHERE status IN ('fired', 'cancelled')")
    for name in ("ix_steps_post", "ix_steps_status", "ix_steps_assignee"):
        op.drop_index(name, table_name="steps")
    op.create_index("ix_steps_ready_post", "steps", ["post"], sqlite_where=READY,
                    postgresql_where=READY)
    op.create_index("ix_steps_ready_assignee", "steps", ["assignee"], sqlite_where=READY,
                    postgresql_where=READY)
    op.drop_index("ix_timers_status_due", table_name="timers")
    op.create_index("ix_timers_pending_due", "timers", ["due_at", "id"], sqlite_where=PENDING,
                    postgresql_where=PENDING)


def downgrade() -> None:
    op.drop_index("ix_timers_pending_due", table_name="timers")
    op.create_index("ix_timers_status_due", "timers", ["status", "due_at", "id"])
    op.drop_index("ix_steps_ready_assignee", table_name="steps")
    op.drop_index("ix_steps_ready_post", table_name="steps")
    for column in ("post", "status", "assignee"):
        op.create_index(f"ix_steps_{column}", "steps", [column])
