"""Who a person is, sealed: owner and staff emails and names never stand in the clear.

An owner's email and display name are sealed under the owner's DEK (associated data: owner
id, owner id, kind), so erasing the owner — which destroys the DEK — makes them unreadable
in every copy of the database, backups included. Staff have no DEK: theirs are sealed under
a staff-data key derived by the key provider (never stored in the database).

Login needs to find a row by email without storing it: the row keeps a keyed hash (HMAC
under the key provider's index key) of the normalised email, with a unique index so two
accounts cannot share an email. Without the key provider, nobody holding the database can
recompute or invert that hash.
"""

from __future__ import annotations

import unicodedata

from ecoute.store import crypto
from ecoute.store.keys import KeyProvider
from ecoute.store.schema.owner import Owner
from ecoute.store.schema.review import Staff
from ecoute.store.vault import KeyDestroyed, Vault

#: Keyed-hash purposes: owners and staff use distinct ones, so the same person's two
#: accounts cannot be linked by comparing hashes.
OWNER_LOGIN = "login-email"
STAFF_LOGIN = "staff-login-email"
#: ``kind`` in the associated data of the sealed fields.
EMAIL, NAME = "email", "display-name"
#: The pseudo-owner whose id binds staff ciphertexts (owner ids are random hex, never this).
STAFF_SCOPE = "staff"


def normalise_email(email: str) -> str:
    """The one spelling of an address: NFKC, surrounding space removed, lower case."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def owner_email_hash(keys: KeyProvider, email: str) -> str:
    return keys.keyed_hash(OWNER_LOGIN, normalise_email(email).encode()).hex()


def staff_email_hash(keys: KeyProvider, email: str) -> str:
    return keys.keyed_hash(STAFF_LOGIN, normalise_email(email).encode()).hex()


# -- owners ---------------------------------------------------------------------------------

def seal_owner_identity(vault: Vault, owner: Owner, *, email: str | None, display_name: str) -> None:
    """Set the owner's sealed email (and its login hash) and sealed display name."""
    owner.email_hash = owner_email_hash(vault.keys, email) if email else None
    owner.email_ct = vault.seal(owner.id, owner.id, EMAIL, normalise_email(email).encode()) if email else None
    owner.name_ct = vault.seal(owner.id, owner.id, NAME, display_name.encode())


def _open_owner_field(vault: Vault, owner: Owner, kind: str, ciphertext: bytes | None) -> str | None:
    """Unaudited on purpose: a name is shown to its owner and their household on every page,
    never to staff; an audit entry per page view would drown the entries that matter."""
    if ciphertext is None:
        return None
    try:
        dek = vault.dek(owner.id)
    except KeyDestroyed:
        return None
    return crypto.open_sealed(dek, ciphertext, crypto.aad_for(owner.id, owner.id, kind)).decode()


def owner_email(vault: Vault, owner: Owner) -> str | None:
    """The owner's email; None if they have none or were erased. A ciphertext moved from
    another row fails to authenticate (:class:`crypto.DecryptionError`), never swaps."""
    return _open_owner_field(vault, owner, EMAIL, owner.email_ct)


def owner_name(vault: Vault, owner: Owner) -> str:
    """The owner's display name; "" once erased."""
    return _open_owner_field(vault, owner, NAME, owner.name_ct) or ""


def clear_owner_identity(owner: Owner) -> None:
    owner.email_hash = owner.email_ct = owner.name_ct = None


# -- staff ----------------------------------------------------------------------------------

def staff_key(keys: KeyProvider) -> bytes:
    """The staff-data key: an HMAC under the provider's index key, so it lives wherever the
    provider keeps its keys (a token for PKCS#11), never in the database."""
    return keys.keyed_hash("staff-data-key", b"v1")


def seal_staff_identity(keys: KeyProvider, staff: Staff, *, email: str, display_name: str) -> None:
    key = staff_key(keys)
    staff.email_hash = staff_email_hash(keys, email)
    staff.email_ct = crypto.seal(key, normalise_email(email).encode(), crypto.aad_for(STAFF_SCOPE, staff.id, EMAIL))
    staff.name_ct = crypto.seal(key, display_name.encode(), crypto.aad_for(STAFF_SCOPE, staff.id, NAME))


def staff_email(keys: KeyProvider, staff: Staff) -> str:
    return crypto.open_sealed(staff_key(keys), staff.email_ct, crypto.aad_for(STAFF_SCOPE, staff.id, EMAIL)).decode()


def staff_name(keys: KeyProvider, staff: Staff) -> str:
    return crypto.open_sealed(staff_key(keys), staff.name_ct, crypto.aad_for(STAFF_SCOPE, staff.id, NAME)).decode()
