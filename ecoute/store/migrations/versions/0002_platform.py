"""platform: pending device pairings

Revision ID: 0002_platform
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

import ecoute.store.schema.base

revision = "0002_platform"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_pairings",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", ecoute.store.schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", ecoute.store.schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_device_pairings_device_id_devices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_device_pairings")),
    )
    with op.batch_alter_table("device_pairings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_pairings_code_hash"), ["code_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("device_pairings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_pairings_code_hash"))
    op.drop_table("device_pairings")
