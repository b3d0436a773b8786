"""supervision matters: replies, appeals and decisions on cards; breaches that name how their
person was found and may stand without a case (体外审批); ratings (好差评), complaints (投诉) and
the provincial exchange exports

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

from adapters.sql.tables import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_CARD_COLUMNS = (
    ("reply", sa.Text), ("replied_by", sa.String(64)), ("replied_at", UTCDateTime),
    ("appeal", sa.Text), ("appealed_by", sa.String(64)), ("appealed_at", UTCDateTime),
    ("decision", sa.String(12)), ("decided_by", sa.String(64)), ("decided_at", UTCDateTime),
    ("decision_reasons", sa.Text),
)
_BREACH_COLUMNS = (
    ("ref", sa.String(40)), ("person_basis", sa.String(20)), ("power_code", sa.String(36)),
    ("unit", sa.String(100)), ("recorded_by", sa.String(64)),
)


def upgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        for name, kind in _CARD_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table("breaches") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer, nullable=True)
        batch.alter_column("case_number", existing_type=sa.String(50), nullable=True)
        for name, kind in _BREACH_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("case_number", sa.String(50), nullable=False),
        sa.Column("power_code", sa.String(36), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("rated_at", UTCDateTime, nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("words", sa.Text, nullable=False),
        sa.Column("review_due", sa.Date),
        sa.Column("reply", sa.Text),
        sa.Column("replied_by", sa.String(64)),
        sa.Column("replied_at", UTCDateTime),
        sa.Column("carded_at", UTCDateTime),
        sa.UniqueConstraint("case_id", name="uq_ratings_case_id"),
    )
    op.create_index("ix_ratings_rated_at", "ratings", ["rated_at"])
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("received_by", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("complainant", sa.String(100), nullable=False),
        sa.Column("contact", sa.String(100), nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("due_day", sa.Date, nullable=False),
        sa.Column("case_number", sa.String(50)),
        sa.Column("task_id", sa.String(36)),
        sa.Column("step_name", sa.String(200)),
        sa.Column("against_unit", sa.String(100)),
        sa.Column("against_post", sa.String(100)),
        sa.Column("against_person", sa.String(64)),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("findings", sa.Text),
        sa.Column("measure", sa.String(20)),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", UTCDateTime),
        sa.Column("breach_id", sa.Integer),
        sa.UniqueConstraint("number", name="uq_complaints_number"),
    )
    op.create_index("ix_complaints_case_number", "complaints", ["case_number"])
    op.create_index("ix_complaints_status_due", "complaints", ["status", "due_day"])
    op.create_table(
        "exchange_exports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mode", sa.String(12), nullable=False),
        sa.Column("since", UTCDateTime),
        sa.Column("until", UTCDateTime, nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("exported_by", sa.String(64), nullable=False),
        sa.Column("exported_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("exchange_exports")
    op.drop_index("ix_complaints_status_due", table_name="complaints")
    op.drop_index("ix_complaints_case_number", table_name="complaints")
    op.drop_table("complaints")
    op.drop_index("ix_ratings_rated_at", table_name="ratings")
    op.drop_table("ratings")
    with op.batch_alter_table("breaches") as batch:
        for name, _ in reversed(_BREACH_COLUMNS):
            batch.drop_column(name)
        batch.alter_column("case_number", existing_type=sa.String(50), nullable=False)
        batch.alter_column("case_id", existing_type=sa.Integer, nullable=False)
    with op.batch_alter_table("cards") as batch:
        for name, _ in reversed(_CARD_COLUMNS):
            batch.drop_column(name)
