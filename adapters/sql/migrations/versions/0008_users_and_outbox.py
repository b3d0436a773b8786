"""who may act: users (roles, posts, argon2id passwords), API keys, refused attempts; the
outbox of notices to applicants; idempotent start requests; who withdrew a power and why

Existing cases are kept as they are: their actors were free text and stay so in their records
(tests/integration/test_upgrade_keeps_cases.py upgrades a database made by 0007).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

from adapters.sql.tables import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("powers") as batch:
        batch.add_column(sa.Column("withdrawn_at", UTCDateTime, nullable=True))
        batch.add_column(sa.Column("withdrawn_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("withdrawn_reason", sa.Text, nullable=True))
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("posts", sa.JSON, nullable=False),
        sa.Column("leads", sa.JSON, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("disabled_at", UTCDateTime, nullable=True),
        sa.Column("disabled_by", sa.String(64), nullable=True),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("login", name="uq_users_login"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.Column("revoked_by", sa.String(64), nullable=True),
        sa.Column("last_used_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("prefix", name="uq_api_keys_prefix"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_api_keys_user_id_users"),
    )
    op.create_index("ix_api_keys_user_id", "api_keys", ["user_id"])
    op.create_table(
        "access_denials",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("written_at", UTCDateTime, nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_denials"),
    )
    op.create_index("ix_access_denials_login", "access_denials", ["login"])
    op.create_table(
        "start_requests",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_start_requests"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_start_requests_case_id_cases"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, nullable=True),
        sa.Column("case_number", sa.String(50), nullable=False),
        sa.Column("dedupe", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("dedupe", name="uq_outbox_dedupe"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_outbox_case_id_cases"),
    )
    op.create_index("ix_outbox_case_id", "outbox", ["case_id"])
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    for table in ("outbox", "start_requests", "access_denials", "api_keys", "users"):
        op.drop_table(table)
    with op.batch_alter_table("powers") as batch:
        for column in ("withdrawn_reason", "withdrawn_by", "withdrawn_at"):
            batch.drop_column(column)
