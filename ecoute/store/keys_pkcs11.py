"""A key provider whose keys live in a PKCS#11 token: an HSM, a cloud HSM, or SoftHSM2 in tests.

Every key is generated inside the token and marked sensitive and non-extractable, so the
master secrets never leave it; écoute only asks the token to use them:

- one AES-256 key per owner (label = owner id) encrypts that owner's DEK with AES-GCM, the
  owner id as associated data; erasure (:meth:`Pkcs11KeyProvider.forget`) destroys the key
  object, after which no copy of the wrapped DEK, in any backup, can be opened again;
- one HMAC key (``ecoute-index``) computes the keyed hashes (:meth:`keyed_hash`);
- one Ed25519 key pair (``ecoute-audit-signing``) signs audit checkpoints.

The index key and signing pair are created on a first start only; a token without them
while the data already holds wrapped owner keys is a lost or wrong token, and is refused.
PKCS#11 logs in per application and token, so one process shares one logged-in session per
token (guarded by a lock: sessions are not thread-safe).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import (
    GeneralError,
    KeyHandleInvalid,
    NoSuchKey,
    NoSuchToken,
    ObjectHandleInvalid,
    PinIncorrect,
    PinLenRange,
    PKCS11Error,
)

from ecoute import plugins
from ecoute.config import Settings
from ecoute.store import crypto
from ecoute.store.custody import KeyStoreMissing, KeyStoreUnreadable, first_start, missing_message

INDEX_LABEL = "ecoute-index"
SIGNING_LABEL = "ecoute-audit-signing"
#: DER OID of Ed25519 (1.3.101.112), the curve of the signing pair.
ED25519_PARAMS = bytes.fromhex("06032b6570")
NONCE_BYTES = 12
FORMAT = b"p11gcm1"
#: Attributes of every secret key écoute makes: kept in the token, usable only after login, never read out.
SECRET_TEMPLATE: dict[Attribute, Any] = {Attribute.TOKEN: True, Attribute.PRIVATE: True,
                                         Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}

T = TypeVar("T")


@dataclass
class _TokenSession:
    """The process's one logged-in session on a token, and the lock that serialises its use."""

    session: Any
    lock: threading.RLock


_sessions: dict[tuple[str, str, str], _TokenSession] = {}
_sessions_lock = threading.Lock()


def _open_session(module: str, label: str, pin: str) -> _TokenSession:
    key = (module, label, hashlib.sha256(pin.encode()).hexdigest())
    with _sessions_lock:
        if key in _sessions:
            return _sessions[key]
        fix = (f"initialise it (softhsm2-util --init-token --free --label {label} …, or your HSM's tool) "
               f"or set ECOUTE_PKCS11_TOKEN_LABEL / ECOUTE_PKCS11_MODULE to the token that holds écoute's keys")
        if not os.path.exists(module):
            raise KeyStoreMissing(f"the PKCS#11 module {module} does not exist; install it (Debian: softhsm2) "
                                  f"or set ECOUTE_PKCS11_MODULE to your HSM's library")
        try:
            token = pkcs11.lib(module).get_token(token_label=label)
        except NoSuchToken:
            raise KeyStoreMissing(f"no PKCS#11 token labelled {label!r} in {module}; {fix}") from None
        except PKCS11Error as err:
            raise KeyStoreUnreadable(f"the PKCS#11 module {module} failed ({type(err).__name__}); {fix}") from err
        try:
            session = token.open(user_pin=pin, rw=True)
        except (PinIncorrect, PinLenRange):
            raise KeyStoreUnreadable(f"the PKCS#11 token {label!r} refused the user PIN; set "
                                     f"ECOUTE_PKCS11_USER_PIN to the token's user PIN") from None
        opened = _sessions[key] = _TokenSession(session, threading.RLock())
        return opened


class Pkcs11KeyProvider:
    """Owner wrapping keys, the index key and the signing pair, all inside one PKCS#11 token."""

    def __init__(self, module: str, token_label: str, user_pin: str, *, create: Callable[[], bool] | bool = True,
                 missing: str = ""):
        self.module, self.token_label = module, token_label
        self._token = _open_session(module, token_label, user_pin)
        #: owner id → key object. A handle destroyed meanwhile (by any process) fails with a
        #: handle error, which reads as "destroyed"; searching the token each time costs ~10 ms.
        self._owner_keys: dict[str, Any] = {}
        self._index = self._find(INDEX_LABEL, ObjectClass.SECRET_KEY)
        self._signing = self._find(SIGNING_LABEL, ObjectClass.PRIVATE_KEY)
        if self._index is None or self._signing is None:
            if not (create() if callable(create) else create):
                raise KeyStoreMissing(missing or f"the PKCS#11 token {token_label!r} holds no écoute keys")
            self._create_service_keys()
        self.key_id = f"pkcs11:{token_label}:{self.keyed_hash('key-id', b'').hex()[:16]}"

    # -- token access ---------------------------------------------------------------------
    def _use(self, work: Callable[[Any], T]) -> T:
        with self._token.lock:
            return work(self._token.session)

    def _find(self, label: str, object_class: ObjectClass) -> Any:
        """The key object labelled ``label``, or None."""
        try:
            return self._use(lambda s: s.get_key(label=label, object_class=object_class))
        except NoSuchKey:
            return None

    def _create_service_keys(self) -> None:
        def create(session: Any) -> None:
            if self._index is None:
                self._index = session.generate_key(
                    KeyType.GENERIC_SECRET, 256, label=INDEX_LABEL, store=True,
                    template={**SECRET_TEMPLATE, Attribute.SIGN: True, Attribute.VERIFY: True,
                              Attribute.ENCRYPT: False, Attribute.DECRYPT: False})
            if self._signing is None:
                _public, self._signing = session.generate_keypair(
                    KeyType.EC_EDWARDS, store=True, label=SIGNING_LABEL,
                    public_template={Attribute.EC_PARAMS: ED25519_PARAMS},
                    private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
                                      Attribute.PRIVATE: True})

        self._use(create)

    def _owner_key(self, context: str) -> Any:
        """The owner's wrapping key (another process may destroy it: every use checks its handle)."""
        if not context.isalnum():
            raise ValueError(f"invalid key context {context!r}")
        if context in self._owner_keys:
            return self._owner_keys[context]
        try:
            key = self._use(lambda s: s.get_key(label=context, object_class=ObjectClass.SECRET_KEY,
                                                key_type=KeyType.AES))
        except NoSuchKey:
            raise crypto.DecryptionError("the wrapping key of this owner was destroyed") from None
        self._owner_keys[context] = key
        return key

    # -- the KeyProvider protocol -----------------------------------------------------------
    def wrap(self, dek: bytes, context: str) -> bytes:
        try:
            key = self._owner_key(context)
        except crypto.DecryptionError:
            key = self._use(lambda s: s.generate_key(
                KeyType.AES, 256, label=context, id=context.encode(), store=True,
                template={**SECRET_TEMPLATE, Attribute.ENCRYPT: True, Attribute.DECRYPT: True,
                          Attribute.WRAP: False, Attribute.UNWRAP: False}))
        nonce = os.urandom(NONCE_BYTES)
        try:
            sealed = self._use(lambda _s: key.encrypt(dek, mechanism=Mechanism.AES_GCM,
                                                      mechanism_param=pkcs11.GCMParams(nonce, context.encode())))
        except (ObjectHandleInvalid, KeyHandleInvalid):
            self._owner_keys.pop(context, None)
            raise crypto.DecryptionError("the wrapping key of this owner was destroyed meanwhile") from None
        return FORMAT + nonce + sealed

    def unwrap(self, wrapped: bytes, context: str) -> bytes:
        if not wrapped.startswith(FORMAT) or len(wrapped) < len(FORMAT) + NONCE_BYTES + 16:
            raise crypto.DecryptionError("not a DEK wrapped by a PKCS#11 key provider")
        nonce = wrapped[len(FORMAT):len(FORMAT) + NONCE_BYTES]
        sealed = wrapped[len(FORMAT) + NONCE_BYTES:]
        key = self._owner_key(context)
        try:
            return bytes(self._use(lambda _s: key.decrypt(
                sealed, mechanism=Mechanism.AES_GCM, mechanism_param=pkcs11.GCMParams(nonce, context.encode()))))
        except (ObjectHandleInvalid, KeyHandleInvalid):
            self._owner_keys.pop(context, None)
            raise crypto.DecryptionError("the wrapping key of this owner was destroyed") from None
        except GeneralError:  # SoftHSM2 reports a failed GCM tag check this way
            raise crypto.DecryptionError("the wrapped DEK does not authenticate for this owner") from None

    def forget(self, context: str) -> None:
        if not context.isalnum():
            raise ValueError(f"invalid key context {context!r}")

        self._owner_keys.pop(context, None)

        def destroy_all(session: Any) -> None:
            for key in list(session.get_objects({Attribute.LABEL: context, Attribute.CLASS: ObjectClass.SECRET_KEY})):
                key.destroy()

        self._use(destroy_all)

    def keyed_hash(self, purpose: str, data: bytes) -> bytes:
        tagged = len(purpose.encode()).to_bytes(2, "big") + purpose.encode() + data
        return bytes(self._use(lambda _s: self._index.sign(tagged, mechanism=Mechanism.SHA256_HMAC)))

    def sign(self, message: bytes) -> bytes:
        return bytes(self._use(lambda _s: self._signing.sign(message, mechanism=Mechanism.EDDSA)))

    def public_key(self) -> bytes:
        def read(session: Any) -> bytes:
            public = session.get_key(label=SIGNING_LABEL, object_class=ObjectClass.PUBLIC_KEY)
            return bytes(public[Attribute.EC_POINT])[2:]  # DER OCTET STRING header: 04 20

        return self._use(read)


@plugins.declare(plugins.ANY_LANGUAGE)
def pkcs11_provider(settings: Settings) -> Pkcs11KeyProvider:
    """``ECOUTE_KEY_PROVIDER=pkcs11``: keys in the token named by the ``pkcs11_*`` settings."""
    what = f"écoute's keys in the PKCS#11 token {settings.store.pkcs11_token_label!r} ({settings.store.pkcs11_module})"
    return Pkcs11KeyProvider(settings.store.pkcs11_module, settings.store.pkcs11_token_label, settings.store.pkcs11_user_pin.get_secret_value(),
                             create=lambda: first_start(settings), missing=missing_message(what, settings))
