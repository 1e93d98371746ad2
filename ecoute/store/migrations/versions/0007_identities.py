"""identities sealed: owner and staff emails and names sealed, found by a keyed email hash

Existing rows are migrated in place: the normalised email's keyed hash (key provider's index
key) goes to ``email_hash`` (unique), the email and name are sealed (owners under their DEK,
staff under the staff-data key), then the plaintext columns are dropped. Rows to migrate need
the key provider: ``ecoute.store.db.migrate`` hands it over in the Alembic config.

Revision ID: 0007_identities
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

from ecoute.store import crypto, identity

revision = "0007_identities"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def _add_sealed_columns(table: str) -> None:
    with op.batch_alter_table(table) as batch_op:
        batch_op.add_column(sa.Column("email_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("email_ct", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("name_ct", sa.LargeBinary(), nullable=True))


def _key_provider(table: str):
    config = op.get_context().config
    keys = config.attributes.get("key_provider") if config is not None else None
    if keys is None:
        raise RuntimeError(f"sealing the existing rows of {table} needs the key provider: "
                           "open the database with ecoute.store.store.Store.open")
    return keys


def _seal_owners() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, email, display_name, wrapped_dek FROM owners")).all()
    for owner_id, email, name, wrapped in rows:
        if wrapped is None:  # erased (or erasing): nothing may be readable; keep nothing
            bind.execute(sa.text("UPDATE owners SET email_hash = NULL, email_ct = NULL, name_ct = NULL "
                                 "WHERE id = :id"), {"id": owner_id})
            continue
        keys = _key_provider("owners")
        dek = keys.unwrap(wrapped, owner_id)
        email_hash = email_ct = None
        if email:
            norm = identity.normalise_email(email)
            email_hash = identity.owner_email_hash(keys, norm)
            email_ct = crypto.seal(dek, norm.encode(), crypto.aad_for(owner_id, owner_id, identity.EMAIL))
        name_ct = crypto.seal(dek, (name or "").encode(), crypto.aad_for(owner_id, owner_id, identity.NAME))
        bind.execute(sa.text("UPDATE owners SET email_hash = :h, email_ct = :e, name_ct = :n WHERE id = :id"),
                     {"h": email_hash, "e": email_ct, "n": name_ct, "id": owner_id})


def _seal_staff() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, email, display_name FROM staff")).all()
    for staff_id, email, name in rows:
        keys = _key_provider("staff")
        key = identity.staff_key(keys)
        norm = identity.normalise_email(email)
        bind.execute(sa.text("UPDATE staff SET email_hash = :h, email_ct = :e, name_ct = :n WHERE id = :id"), {
            "h": identity.staff_email_hash(keys, norm),
            "e": crypto.seal(key, norm.encode(), crypto.aad_for(identity.STAFF_SCOPE, staff_id, identity.EMAIL)),
            "n": crypto.seal(key, (name or "").encode(),
                             crypto.aad_for(identity.STAFF_SCOPE, staff_id, identity.NAME)),
            "id": staff_id,
        })


def upgrade() -> None:
    _add_sealed_columns("owners")
    _add_sealed_columns("staff")
    _seal_owners()
    _seal_staff()
    with op.batch_alter_table("owners") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_owners_email"), type_="unique")
        batch_op.drop_column("email")
        batch_op.drop_column("display_name")
        batch_op.create_unique_constraint(batch_op.f("uq_owners_email_hash"), ["email_hash"])
    with op.batch_alter_table("staff") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_staff_email"), type_="unique")
        batch_op.drop_column("email")
        batch_op.drop_column("display_name")
        batch_op.alter_column("email_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("email_ct", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column("name_ct", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_staff_email_hash"), ["email_hash"])


def downgrade() -> None:
    raise NotImplementedError("sealed identities cannot be put back in the clear by a migration")
