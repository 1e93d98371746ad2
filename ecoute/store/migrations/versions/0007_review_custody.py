"""review custody: keyed owner/turn references in links and samples, sealed reasons

Owner and turn ids leave ``review_links`` and ``review_samples``: new columns hold keyed
tags and ids sealed under a key of the key provider (``store/reviewrefs.py``). A migration
has no key provider, so it only adds the columns and relaxes the old ones (nullable, no
foreign key, no index); :func:`ecoute.store.reviewrefs_backfill.backfill` converts rows
written before this revision when the store opens, and clears the old columns.
``annotations.reason_ct`` holds escalation reasons and lead notes sealed with the task key.

Revision ID: 0007_review_custody
Revises: 0003_review_qc
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_review_custody"
down_revision = "0003_review_qc"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_tag", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("owner_ref_ct", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("owner_active", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.drop_constraint("fk_review_links_owner_id_owners", type_="foreignkey")
        batch_op.drop_index("ix_review_links_owner_id")
        batch_op.alter_column("owner_id", existing_type=sa.String(length=32), nullable=True)
        batch_op.create_index(batch_op.f("ix_review_links_owner_tag"), ["owner_tag"], unique=False)
    with op.batch_alter_table("review_samples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_tag", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("owner_ref_ct", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("turn_tag", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("turn_ref_ct", sa.LargeBinary(), nullable=True))
        batch_op.drop_constraint("fk_review_samples_owner_id_owners", type_="foreignkey")
        batch_op.drop_index("ix_review_samples_owner_id")
        batch_op.drop_index("ix_review_samples_turn_id")
        batch_op.alter_column("owner_id", existing_type=sa.String(length=32), nullable=True)
        batch_op.create_index(batch_op.f("ix_review_samples_owner_tag"), ["owner_tag"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_samples_turn_tag"), ["turn_tag"], unique=False)
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_ct", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.drop_column("reason_ct")
    with op.batch_alter_table("review_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_samples_turn_tag"))
        batch_op.drop_index(batch_op.f("ix_review_samples_owner_tag"))
        batch_op.create_index("ix_review_samples_turn_id", ["turn_id"], unique=False)
        batch_op.create_index("ix_review_samples_owner_id", ["owner_id"], unique=False)
        for column in ("turn_ref_ct", "turn_tag", "owner_ref_ct", "owner_tag"):
            batch_op.drop_column(column)
    with op.batch_alter_table("review_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_links_owner_tag"))
        batch_op.create_index("ix_review_links_owner_id", ["owner_id"], unique=False)
        for column in ("owner_active", "owner_ref_ct", "owner_tag"):
            batch_op.drop_column(column)
