"""The platform's commands: operator admin, and `ecoute audit verify` catching tampering."""

from __future__ import annotations

from sqlalchemy import update
from typer.testing import CliRunner

from ecoute.cli import app
from ecoute.services.privacy_actions import PrivacyActions
from ecoute.store.schema.owner import AuditEntry, Device
from ecoute.store.store import Store

runner = CliRunner()


def _ok(*args: str, env: dict | None = None) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_admin_commands_and_audit_verify(settings):
    data = str(settings.store.data_dir)
    env = {"ECOUTE_ARGON2_TIME_COST": "1", "ECOUTE_ARGON2_MEMORY_KIB": "1024", "ECOUTE_NEW_PASSWORD": "pw-long-enough"}
    home = _ok("household", "add", "The Smiths", "--data-dir", data)
    owner = _ok("owner", "add", "--household", home, "--name", "Sam", "--email", "sam@example.org",
                "--data-dir", data, env=env)
    out = _ok("devices", "add", "--household", home, "--name", "Den", "--owner", owner, "--data-dir", data)
    assert out.splitlines()[1].startswith("token dev_")
    bad = runner.invoke(app, ["devices", "add", "--household", "nope", "--name", "X", "--data-dir", data])
    assert bad.exit_code != 0
    dup = runner.invoke(app, ["owner", "add", "--household", home, "--name", "Sam2", "--email", "sam@example.org",
                              "--data-dir", data], env=env)
    assert dup.exit_code != 0 and "already exists" in str(dup.exception or dup.output)

    store = Store.open(settings)
    try:
        with store.vault_session() as (session, vault):  # a few audited actions
            device_id = session.query(Device.id).scalar()
            actions = PrivacyActions(session, vault, owner_id=owner, device_id=device_id)
            actions.stop_review()
            vault.audit(vault_actor("system:test"), action="decrypt", purpose="test", owner_id=owner)
        assert "intact" in _ok("audit", "verify", "--data-dir", data)
        with store.session() as session:
            session.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(purpose="nothing to see"))
    finally:
        store.close()
    broken = runner.invoke(app, ["audit", "verify", "--data-dir", data])
    assert broken.exit_code == 1 and "BROKEN at entry 1" in broken.output


def vault_actor(actor_id: str):
    from ecoute.store.vault import Actor

    return Actor(actor_id, "system")
