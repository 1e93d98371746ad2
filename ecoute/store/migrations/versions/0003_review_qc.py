"""human review: samples, strata, gold keys, agreements

Revision ID: 0003_review_qc
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

import ecoute.store.schema.base

revision = "0003_review_qc"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_samples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("turn_id", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("sampled_at", ecoute.store.schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("boosted", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_review_samples_owner_id_owners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_samples")),
    )
    with op.batch_alter_table("review_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_samples_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_samples_turn_id"), ["turn_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_samples_sampled_at"), ["sampled_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_samples_status"), ["status"], unique=False)
    op.create_table(
        "review_strata",
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("accumulator", sa.Float(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("sampled", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("language", name=op.f("pk_review_strata")),
    )
    op.create_table(
        "gold_task_keys",
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("task_key", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["review_tasks.id"],
            name=op.f("fk_gold_task_keys_task_id_review_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_gold_task_keys")),
    )
    op.create_table(
        "review_agreements",
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("reviewer_a", sa.String(length=32), nullable=False),
        sa.Column("reviewer_b", sa.String(length=32), nullable=False),
        sa.Column("intent_a", sa.String(length=64), nullable=False),
        sa.Column("intent_b", sa.String(length=64), nullable=False),
        sa.Column("wer", sa.Float(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["review_tasks.id"],
            name=op.f("fk_review_agreements_task_id_review_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_review_agreements")),
    )
    with op.batch_alter_table("review_agreements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_agreements_reviewer_a"), ["reviewer_a"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_agreements_reviewer_b"), ["reviewer_b"], unique=False)


def downgrade() -> None:
    op.drop_table("review_agreements")
    op.drop_table("gold_task_keys")
    op.drop_table("review_strata")
    op.drop_table("review_samples")
