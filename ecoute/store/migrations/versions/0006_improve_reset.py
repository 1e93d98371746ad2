"""learning loop: recreate the loop's tables if an early draft of 0005_improve created them

Revision 0005_improve changed shape several times on the day it was written (item key,
sealed-copy columns, proposal slot types, a device-free wake history). A data directory
opened in between carries one of those drafts under the same revision id. The loop's
tables hold only derived data (datasets rebuild from reviewed tasks), so this revision
drops and recreates them when their shape is not the final one; on any other database it
does nothing.

Revision ID: 0006_improve_reset
Revises: 0005_improve
"""

from importlib import util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0006_improve_reset"
down_revision = "0005_improve"
branch_labels = None
depends_on = None

TABLES = ("wake_tunings", "template_proposals", "eval_runs", "dataset_items", "dataset_versions")


def _columns(inspector, table: str) -> set[str]:
    return {c["name"] for c in inspector.get_columns(table)}


def _is_draft() -> bool:
    inspector = sa.inspect(op.get_bind())
    items = _columns(inspector, "dataset_items")
    return ("id" in items or "annotation_id" not in items
            or "device_id" in _columns(inspector, "wake_tunings")
            or "slot_types" not in _columns(inspector, "template_proposals"))


def upgrade() -> None:
    if not _is_draft():
        return
    for table in TABLES:
        op.drop_table(table)
    spec = util.spec_from_file_location("improve_0005", Path(__file__).with_name("0005_improve.py"))
    if spec is None or spec.loader is None:
        raise RuntimeError("migration 0005_improve.py is missing beside 0006")
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.upgrade()


def downgrade() -> None:
    pass
