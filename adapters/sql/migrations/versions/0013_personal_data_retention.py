"""personal data retention: audit events hashed over commitments of their personal values
(hash version 2, with the commitments' salt), the time a case's personal data was erased, and a
complaint's contact sealed with the data key (too long for 100 characters once sealed)

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

from adapters.sql.tables import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("hash_version", sa.Integer, nullable=False,
                                   server_default="1"))
        batch.add_column(sa.Column("salt", sa.Text, nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("erased_at", UTCDateTime, nullable=True))
    op.create_index("ix_cases_retention", "cases", ["erased_at", "closed_at"])
    with op.batch_alter_table("complaints") as batch:
        batch.alter_column("contact", existing_type=sa.String(100), type_=sa.Text,
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.alter_column("contact", existing_type=sa.Text, type_=sa.String(100),
                           existing_nullable=False)
    op.drop_index("ix_cases_retention", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("erased_at")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("salt")
        batch.drop_column("hash_version")
