"""hardening: rate-limit counters shared by API processes; wrong codes per pending pairing

Revision ID: 0007_rate_limits
Revises: 0002_platform
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_rate_limits"
down_revision = "0002_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counters")),
    )
    with op.batch_alter_table("rate_limit_counters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_limit_counters_expires_at"), ["expires_at"], unique=False)
    with op.batch_alter_table("device_pairings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_claims", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("device_pairings", schema=None) as batch_op:
        batch_op.drop_column("failed_claims")
    with op.batch_alter_table("rate_limit_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_counters_expires_at"))
    op.drop_table("rate_limit_counters")
