"""learning loop: dataset versions and items (lineage), eval runs, template proposals, wake tunings

Revision ID: 0005_improve
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_improve"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("built_day", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.String(length=32), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("lineage_digest", sa.String(length=64), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("stale_reason", sa.String(length=200), nullable=True),
        sa.Column("rebuilt_as", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_versions")),
        sa.UniqueConstraint("name", "version", name="uq_dataset_versions_name_version"),
    )
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dataset_versions_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_dataset_versions_stale"), ["stale"], unique=False)

    op.create_table(
        "dataset_items",
        sa.Column("version_id", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("split", sa.String(length=8), nullable=False),
        sa.Column("content_ct", sa.LargeBinary(), nullable=True),
        sa.Column("annotation_id", sa.String(length=32), nullable=True),
        sa.Column("asr_ct", sa.LargeBinary(), nullable=True),
        sa.Column("audio_blob", sa.String(length=200), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["dataset_versions.id"],
                                name=op.f("fk_dataset_items_version_id_dataset_versions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version_id", "task_id", name=op.f("pk_dataset_items")),
    )
    with op.batch_alter_table("dataset_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dataset_items_task_id"), ["task_id"], unique=False)

    op.create_table(
        "eval_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("dataset_version_id", sa.String(length=32), nullable=True),
        sa.Column("dataset_label", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("asr_version", sa.String(length=200), nullable=False),
        sa.Column("sentences_version", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("wer", sa.Float(), nullable=True),
        sa.Column("intent_accuracy", sa.Float(), nullable=True),
        sa.Column("slot_f1", sa.Float(), nullable=True),
        sa.Column("unhandled_rate", sa.Float(), nullable=True),
        sa.Column("false_accepts_per_device_hour", sa.Float(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_runs")),
    )
    with op.batch_alter_table("eval_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_eval_runs_seq"), ["seq"], unique=False)

    op.create_table(
        "template_proposals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=False),
        sa.Column("template", sa.String(length=400), nullable=False),
        sa.Column("new_intent", sa.Boolean(), nullable=False),
        sa.Column("support", sa.Integer(), nullable=False),
        sa.Column("support_tasks", sa.JSON(), nullable=False),
        sa.Column("slot_types", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_proposals")),
    )
    with op.batch_alter_table("template_proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_template_proposals_language"), ["language"], unique=False)
        batch_op.create_index(batch_op.f("ix_template_proposals_status"), ["status"], unique=False)

    op.create_table(
        "wake_tunings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("threshold_before", sa.Float(), nullable=True),
        sa.Column("threshold_after", sa.Float(), nullable=False),
        sa.Column("false_scores", sa.Integer(), nullable=False),
        sa.Column("true_scores", sa.Integer(), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wake_tunings")),
    )


def downgrade() -> None:
    op.drop_table("wake_tunings")
    op.drop_table("template_proposals")
    op.drop_table("eval_runs")
    op.drop_table("dataset_items")
    op.drop_table("dataset_versions")
