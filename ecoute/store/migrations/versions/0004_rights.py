"""owners' rights: blob tombstones (blobs deleted only after the deleting transaction commits)

Revision ID: 0004_rights
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

import ecoute.store.schema.base

revision = "0004_rights"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob_tombstones",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", ecoute.store.schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_blob_tombstones")),
    )


def downgrade() -> None:
    op.drop_table("blob_tombstones")
