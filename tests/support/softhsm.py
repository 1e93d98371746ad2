"""A real SoftHSM2 token for the PKCS#11 key provider's tests, initialised in a temporary directory.

The token directory is private to the test session (its own ``softhsm2.conf``, named by
``SOFTHSM2_CONF``, which the PKCS#11 library reads when it is first loaded). Two tokens are
initialised up front: the library sees only the tokens that exist when it starts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from ecoute import plugins
from ecoute.config import Settings
from ecoute.plugins import Family
from ecoute.store import keys_pkcs11

MODULE = "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"
USER_PIN = "4711-user"
SO_PIN = "0815-security-officer"


@dataclass(frozen=True)
class SoftHsm:
    conf: Path
    module: str
    label: str = "ecoute-test"
    other_label: str = "ecoute-test-other"
    pin: str = USER_PIN

    def settings(self, base: Settings, label: str | None = None) -> Settings:
        """``base`` with its owner keys in this token."""
        return base.replace(key_provider="pkcs11", pkcs11_module=self.module,
                            pkcs11_token_label=label or self.label, pkcs11_user_pin=self.pin)

    def env(self) -> dict[str, str]:
        """The environment a subprocess needs to find the same token."""
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf)}


def softhsm_or_skip(root: Path) -> SoftHsm:
    """Initialise the session's tokens under ``root``; skip (fail in CI) without SoftHSM2."""
    util = shutil.which("softhsm2-util")
    if util is None or not Path(MODULE).exists():
        reason = "SoftHSM2 is not installed (Debian package softhsm2: softhsm2-util and libsofthsm2.so)"
        if os.environ.get("ECOUTE_REQUIRE_SOFTHSM"):
            pytest.fail(f"{reason}, but ECOUTE_REQUIRE_SOFTHSM is set")
        pytest.skip(reason)
    tokens = root / "tokens"
    tokens.mkdir(mode=0o700)
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # before the library is loaded in this process
    hsm = SoftHsm(conf, MODULE)
    for label in (hsm.label, hsm.other_label):
        subprocess.run([util, "--init-token", "--free", "--label", label, "--pin", USER_PIN, "--so-pin", SO_PIN],
                       check=True, capture_output=True, env=hsm.env())
    if "pkcs11" not in plugins.names(Family.KEYS):
        # until the package is reinstalled with its pyproject's `pkcs11` entry point
        plugins.register(Family.KEYS, "pkcs11", keys_pkcs11.pkcs11_provider)
    return hsm
