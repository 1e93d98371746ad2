"""The PKCS#11 key provider against a real SoftHSM2 token: keys stay in the token, erasure destroys one.

Every test attacks a promise: the DEK of one owner cannot be opened as another's; a destroyed
owner key stays destroyed for every process; the token refuses to hand out any key écoute
made (neither its value nor wrapped under another key); hashes and signatures need the token.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pkcs11
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pkcs11 import Attribute, KeyType, ObjectClass
from pkcs11.exceptions import AttributeSensitive, KeyUnextractable
from sqlalchemy import text
from support.softhsm import SoftHsm
from test_rights_support import make_owner, make_turn

from ecoute.config import Settings
from ecoute.store import crypto
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.custody import KeyStoreError, KeyStoreMissing
from ecoute.store.keys import get_key_provider
from ecoute.store.keys_pkcs11 import FORMAT, INDEX_LABEL, NONCE_BYTES, SIGNING_LABEL, Pkcs11KeyProvider
from ecoute.store.schema.owner import Turn
from ecoute.store.store import Store
from ecoute.store.turns import read_turn
from ecoute.store.vault import Actor, KeyDestroyed


@pytest.fixture
def hsm_settings(settings: Settings, softhsm: SoftHsm) -> Settings:
    return softhsm.settings(settings)


@pytest.fixture
def provider(hsm_settings: Settings) -> Pkcs11KeyProvider:
    made = get_key_provider(hsm_settings)
    assert isinstance(made, Pkcs11KeyProvider)
    return made


def _owner_id() -> str:
    return crypto.new_key().hex()[:24]


def _in_new_process(softhsm: SoftHsm, settings: Settings, code: str) -> dict:
    """Run ``code`` (which sets ``result``) in a fresh interpreter with the provider built from settings."""
    script = textwrap.dedent("""
        import json, sys
        from ecoute import plugins
        from ecoute.config import Settings
        from ecoute.plugins import Family
        from ecoute.store import keys_pkcs11
        if "pkcs11" not in plugins.names(Family.KEYS):
            plugins.register(Family.KEYS, "pkcs11", keys_pkcs11.pkcs11_provider)
        settings = Settings.load(key_provider="pkcs11", data_dir=sys.argv[1], key_dir=sys.argv[2],
                                 pkcs11_module=sys.argv[3], pkcs11_token_label=sys.argv[4], pkcs11_user_pin=sys.argv[5])
        provider = keys_pkcs11.pkcs11_provider(settings)
    """) + textwrap.dedent(code) + "\nprint(json.dumps(result))\n"
    proc = subprocess.run([sys.executable, "-c", script, str(settings.store.data_dir), str(settings.store.key_dir),
                           settings.store.pkcs11_module, settings.store.pkcs11_token_label, settings.store.pkcs11_user_pin.get_secret_value()],
                          capture_output=True, text=True, env=softhsm.env(), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_wrap_unwrap_round_trip_and_another_owner_cannot_open_it(provider: Pkcs11KeyProvider) -> None:
    ana, ben = _owner_id(), _owner_id()
    dek_ana, dek_ben = crypto.new_key(), crypto.new_key()
    wrapped_ana, wrapped_ben = provider.wrap(dek_ana, ana), provider.wrap(dek_ben, ben)
    assert provider.unwrap(wrapped_ana, ana) == dek_ana and provider.unwrap(wrapped_ben, ben) == dek_ben
    assert dek_ana not in wrapped_ana
    # Ana's wrapped DEK presented as Ben's (the AAD is the owner id, and Ben's key is another key)
    with pytest.raises(crypto.DecryptionError):
        provider.unwrap(wrapped_ana, ben)
    # a row edited by someone with SQL access: one flipped bit and the tag check refuses it
    tampered = bytearray(wrapped_ana)
    tampered[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        provider.unwrap(bytes(tampered), ana)
    # Ana's own key, but sealed with Ben's id as associated data: the token's GCM check refuses it
    nonce = wrapped_ana[len(FORMAT):len(FORMAT) + NONCE_BYTES]
    sealed = provider._owner_key(ana).encrypt(dek_ana, mechanism=pkcs11.Mechanism.AES_GCM,
                                              mechanism_param=pkcs11.GCMParams(nonce, ben.encode()))
    with pytest.raises(crypto.DecryptionError):
        provider.unwrap(FORMAT + nonce + sealed, ana)
    control = provider._owner_key(ana).encrypt(dek_ana, mechanism=pkcs11.Mechanism.AES_GCM,
                                               mechanism_param=pkcs11.GCMParams(nonce, ana.encode()))
    assert provider.unwrap(FORMAT + nonce + control, ana) == dek_ana  # (the same with Ana's id opens)


def test_forget_destroys_the_key_for_this_and_every_new_process(
        provider: Pkcs11KeyProvider, hsm_settings: Settings, softhsm: SoftHsm) -> None:
    ana, ben = _owner_id(), _owner_id()
    dek_ana, dek_ben = crypto.new_key(), crypto.new_key()
    wrapped_ana, wrapped_ben = provider.wrap(dek_ana, ana), provider.wrap(dek_ben, ben)
    # before: a new process opens both (the keys are in the token, not in this process)
    before = _in_new_process(softhsm, hsm_settings, f"""
        result = [provider.unwrap(bytes.fromhex("{wrapped_ana.hex()}"), "{ana}").hex(),
                  provider.unwrap(bytes.fromhex("{wrapped_ben.hex()}"), "{ben}").hex()]
    """)
    assert before == [dek_ana.hex(), dek_ben.hex()]
    provider.forget(ana)
    with pytest.raises(crypto.DecryptionError):
        provider.unwrap(wrapped_ana, ana)
    after = _in_new_process(softhsm, hsm_settings, f"""
        from ecoute.store import crypto
        try:
            provider.unwrap(bytes.fromhex("{wrapped_ana.hex()}"), "{ana}")
            result = ["opened"]
        except crypto.DecryptionError as err:
            result = ["refused", str(err)]
        result.append(provider.unwrap(bytes.fromhex("{wrapped_ben.hex()}"), "{ben}").hex())
    """)
    assert after[0] == "refused" and "destroyed" in after[1]
    assert after[2] == dek_ben.hex()  # Ben is untouched
    # and the other way round: a key destroyed by another process is gone for this one too,
    # even though this process has just used it (and holds its handle)
    assert provider.unwrap(wrapped_ben, ben) == dek_ben
    _in_new_process(softhsm, hsm_settings, f"""
        provider.forget("{ben}")
        result = True
    """)
    with pytest.raises(crypto.DecryptionError):
        provider.unwrap(wrapped_ben, ben)


def _logged_in_session(softhsm: SoftHsm):
    """A second session of this process: PKCS#11 login is per application, so it sees private objects."""
    return pkcs11.lib(softhsm.module).get_token(token_label=softhsm.label).open(rw=True)


def test_no_key_leaves_the_token_neither_read_nor_wrapped_out(provider: Pkcs11KeyProvider, softhsm: SoftHsm) -> None:
    owner = _owner_id()
    provider.wrap(crypto.new_key(), owner)
    session = _logged_in_session(softhsm)
    try:
        keys = [session.get_key(label=owner, object_class=ObjectClass.SECRET_KEY),
                session.get_key(label=INDEX_LABEL, object_class=ObjectClass.SECRET_KEY),
                session.get_key(label=SIGNING_LABEL, object_class=ObjectClass.PRIVATE_KEY)]
        for key in keys:
            assert key[Attribute.SENSITIVE] is True and key[Attribute.EXTRACTABLE] is False
            assert key[Attribute.NEVER_EXTRACTABLE] is True and key[Attribute.TOKEN] is True
            with pytest.raises(AttributeSensitive):  # the value is refused
                key[Attribute.VALUE]
        # nor can a key be wrapped out under a key the attacker makes in the same token
        wrapper = session.generate_key(KeyType.AES, 256, store=False, template={Attribute.WRAP: True})
        for key in keys[:2]:
            with pytest.raises(KeyUnextractable):
                wrapper.wrap_key(key)
    finally:
        session.close()


def test_keyed_hash_is_stable_for_the_token_and_differs_on_another(
        provider: Pkcs11KeyProvider, hsm_settings: Settings, softhsm: SoftHsm) -> None:
    email = b"alice@example.org"
    digest = provider.keyed_hash("login", email)
    assert len(digest) == 32 and digest == provider.keyed_hash("login", email)
    assert digest != provider.keyed_hash("owner-tag", email) and digest != provider.keyed_hash("login", b"bob")
    assert _in_new_process(softhsm, hsm_settings, """
        result = provider.keyed_hash("login", b"alice@example.org").hex()
    """) == digest.hex()
    other = get_key_provider(softhsm.settings(hsm_settings.replace(data_dir=hsm_settings.store.data_dir / "other"),
                                              label=softhsm.other_label))
    assert other.keyed_hash("login", email) != digest and other.key_id != provider.key_id
    # no purpose/data split collides: the purpose is length-prefixed
    assert provider.keyed_hash("ab", b"c") != provider.keyed_hash("a", b"bc")


def test_signatures_verify_with_the_token_public_key_only(provider: Pkcs11KeyProvider, hsm_settings: Settings,
                                                          softhsm: SoftHsm) -> None:
    public = Ed25519PublicKey.from_public_bytes(provider.public_key())
    signature = provider.sign(b"seq=7 head=abc")
    assert len(signature) == 64
    public.verify(signature, b"seq=7 head=abc")
    with pytest.raises(InvalidSignature):
        public.verify(signature, b"seq=6 head=abc")
    other = get_key_provider(softhsm.settings(hsm_settings.replace(data_dir=hsm_settings.store.data_dir / "other"),
                                              label=softhsm.other_label))
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(other.public_key()).verify(signature, b"seq=7 head=abc")


def test_a_store_on_the_token_erases_one_owner_and_keeps_the_other(hsm_settings: Settings, softhsm: SoftHsm) -> None:
    store = Store.open(hsm_settings)
    try:
        ana, ben = make_owner(store, "Ana"), make_owner(store, "Ben")
        turns = {owner: make_turn(store, owner, 1) for owner in (ana, ben)}
        with store.session() as session:
            kek_ids = {row[0] for row in session.execute(text("SELECT kek_id FROM owners"))}
        assert kek_ids == {store.keys.key_id} and store.keys.key_id.startswith("pkcs11:")
        with store.vault_session() as (session, vault):
            vault.destroy_owner_key(ana)
        with store.vault_session() as (session, vault):
            with pytest.raises(KeyDestroyed, match="erased"):
                read_turn(vault, session.get(Turn, turns[ana]), actor=Actor.owner(ana), purpose="t")
            assert read_turn(vault, session.get(Turn, turns[ben]), actor=Actor.owner(ben), purpose="t").transcript
    finally:
        store.close()


def test_a_missing_token_or_a_token_without_the_keys_is_refused(hsm_settings: Settings, softhsm: SoftHsm) -> None:
    with pytest.raises(KeyStoreMissing, match="no PKCS#11 token labelled 'nowhere'"):
        Store.open(hsm_settings.replace(pkcs11_token_label="nowhere"))
    with pytest.raises(KeyStoreMissing, match="does not exist"):
        Store.open(hsm_settings.replace(pkcs11_module="/nonexistent/libpkcs11.so"))
    # data written with the main token, then opened with the other one: refused, nothing created
    store = Store.open(hsm_settings)
    with store.vault_session() as (session, vault):
        create_owner(session, vault, store.settings, create_household(session, "h"), display_name="Ana")
    store.close()
    with pytest.raises(KeyStoreError, match=softhsm.other_label):
        Store.open(softhsm.settings(hsm_settings, label=softhsm.other_label))


def test_a_wrong_pin_is_refused_with_the_setting_to_fix(hsm_settings: Settings, softhsm: SoftHsm) -> None:
    script = textwrap.dedent("""
        import sys
        from ecoute.config import Settings
        from ecoute.store import keys_pkcs11
        from ecoute.store.custody import KeyStoreUnreadable
        try:
            keys_pkcs11.pkcs11_provider(Settings.load(data_dir=sys.argv[1], key_dir=sys.argv[2],
                pkcs11_module=sys.argv[3], pkcs11_token_label=sys.argv[4], pkcs11_user_pin="0000"))
        except KeyStoreUnreadable as err:
            print(err)
    """)
    proc = subprocess.run([sys.executable, "-c", script, str(hsm_settings.store.data_dir), str(hsm_settings.store.key_dir),
                           softhsm.module, softhsm.other_label], capture_output=True, text=True, env=softhsm.env(),
                          timeout=120)
    assert "ECOUTE_PKCS11_USER_PIN" in proc.stdout, proc.stdout + proc.stderr
