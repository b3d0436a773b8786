"""the web's server-side sessions: the hash of the cookie's token, the login, when it began, when
it was last used and when it was revoked (adapters/web/sessions.py)

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

from adapters.sql.tables import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_login", "web_sessions", ["login"])


def downgrade() -> None:
    op.drop_table("web_sessions")
