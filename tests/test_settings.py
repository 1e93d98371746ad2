"""Settings: grouped and typed, read from the same ECOUTE_* variables as always, checked at start."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from ecoute.config import GROUP_OF, ConfigError, Settings, env_name

ROOT = Path(__file__).resolve().parents[1]

#: Every setting and its default before settings were grouped (ecoute/config.py as a dataclass).
#: The environment variable of each is ECOUTE_<NAME>: a documented contract that must not change.
OLD_DEFAULTS = {
    "database_url": "", "sample_rate": 16000, "max_audio_seconds": 120.0, "max_upload_bytes": 20971520,
    "asr_engine": "faster-whisper", "asr_model_en": "tiny.en", "asr_model_multilingual": "base",
    "asr_beam_size": 5, "language": "en", "tts_engine": "espeak-ng", "piper_voice": "", "wake_engine": "micro",
    "wake_model": "alexa", "vad_engine": "silero", "wake_verify_score": 0.0, "extra_sentences_dir": "",
    "server_url": "", "device_token": "", "device_muted": False, "key_provider": "local-file",
    "blob_store": "local", "job_runner": "inline", "retention_sweep_interval_s": 3600.0, "ingest_pause_s": 0.0,
    "host": "127.0.0.1", "port": 8750, "argon2_time_cost": 3, "argon2_memory_kib": 65536,
    "max_retention_days": 0, "review_sample_rate": 0.01, "review_cap_per_owner_30d": 5,
    "review_unsure_boost": 5.0, "reviewer_owner_spacing_days": 30, "review_language_rates": "",
    "review_unsure_confidence": 0.6, "review_gold_rate": 0.05, "review_double_fraction": 0.1,
    "review_daily_cap": 200, "review_gold_pause_below": 0.7, "review_gold_window": 20, "review_gold_min_items": 5,
    "review_escalation_procedure": "Escalations go to your review lead, who answers within one working day. "
                                   "If a person may be in danger, the lead follows the site's safeguarding procedure.",
    "review_break_every": 25, "disguise_strength": 1.0, "bleep_mode": "tone", "bleep_margin_s": 0.4,
    "bleep_margin_after_s": 0.2,
    "sensitive_policy": "financial=lead_only,health=lead_only,credentials=lead_only,"
                        "distress=exclude,sexual=exclude,minors=exclude",
    "review_audio_rate": 16000,
}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No ECOUTE_* variable from the outer environment; HOME and XDG pinned."""
    for name in list(os.environ):
        if name.startswith("ECOUTE_") or name.startswith("VAULT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    return monkeypatch


def _value(settings: Settings, name: str):
    value = getattr(getattr(settings, GROUP_OF[name]), name)
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def test_defaults_are_unchanged(clean_env, tmp_path):
    settings = Settings.load()
    assert {name: _value(settings, name) for name in OLD_DEFAULTS} == OLD_DEFAULTS
    home = tmp_path / "home"
    assert settings.store.data_dir == home / ".local" / "share" / "ecoute"
    assert settings.store.cache_dir == home / ".cache" / "ecoute"
    assert settings.store.synth_cache == home / ".cache" / "ecoute" / "synth"
    clean_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert Settings.load().store.cache_dir == tmp_path / "xdg" / "ecoute"


@pytest.mark.parametrize("name", sorted(OLD_DEFAULTS))
def test_every_variable_keeps_its_name(clean_env, name):
    """ECOUTE_<NAME> still sets the setting, wherever its group put it."""
    assert env_name(name) == f"ECOUTE_{name.upper()}"
    default = OLD_DEFAULTS[name]
    if isinstance(default, bool):
        given, expected = "yes", True
    elif isinstance(default, int):
        given, expected = "32", 32
    elif isinstance(default, float):
        given, expected = "1", 1.0
    elif name == "bleep_mode":
        given, expected = "silence", "silence"
    elif name == "language":
        given, expected = "fr", "fr"
    elif name == "database_url":
        given, expected = "postgresql+psycopg://h/db", "postgresql+psycopg://h/db"
    elif name == "server_url":
        given, expected = "http://hub:8750", "http://hub:8750"
    elif name in {"review_language_rates", "sensitive_policy"}:
        given = expected = "fr=0.5" if name == "review_language_rates" else "health=allow"
    else:
        given, expected = "custom-value", "custom-value"
    clean_env.setenv(f"ECOUTE_{name.upper()}", given)
    if name == "review_gold_min_items":  # more than review_gold_window (20) is refused
        clean_env.setenv("ECOUTE_REVIEW_GOLD_WINDOW", "32")
    assert _value(Settings.load(), name) == expected


def test_env_paths_and_s3_settings(clean_env, tmp_path):
    clean_env.setenv("ECOUTE_DATA_DIR", str(tmp_path / "d"))
    clean_env.setenv("ECOUTE_S3_ENDPOINT", "http://minio:9000")
    clean_env.setenv("ECOUTE_S3_BUCKET", "b1")
    clean_env.setenv("ECOUTE_SYNTH_CACHE", "~/synth")
    store = Settings.load().store
    assert store.data_dir == tmp_path / "d" and store.db_url == f"sqlite:///{tmp_path / 'd' / 'ecoute.db'}"
    assert (store.s3_endpoint, store.s3_bucket) == ("http://minio:9000", "b1")
    assert store.synth_cache == tmp_path / "home" / "synth"  # ~ expanded, as before


def test_precedence_override_env_toml_default(clean_env, tmp_path):
    cfg = tmp_path / "ecoute.toml"
    cfg.write_text('wake_model = "from-toml"\nport = 9000\nasr_beam_size = 2\n'
                   '[policy]\nreview_sample_rate = 0.5\n')
    clean_env.setenv("ECOUTE_CONFIG", str(cfg))
    clean_env.setenv("ECOUTE_WAKE_MODEL", "from-env")
    clean_env.setenv("ECOUTE_PORT", "9001")
    settings = Settings.load(port=9002, host=None)  # None means "not given"
    assert settings.speech.wake_model == "from-env"  # env beats the file
    assert settings.server.port == 9002  # an override beats env
    assert settings.speech.asr_beam_size == 2  # flat key in the file
    assert settings.policy.review_sample_rate == 0.5  # grouped table in the file
    assert settings.server.host == "127.0.0.1"  # default


def test_unknown_settings_are_refused(clean_env, tmp_path):
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.load(not_a_setting=1)
    cfg = tmp_path / "ecoute.toml"
    cfg.write_text('[speech]\nport = 1\n')  # port is a server setting
    clean_env.setenv("ECOUTE_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match=r"unknown setting in .*ecoute\.toml.*speech\.port"):
        Settings.load()


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("ECOUTE_REVIEW_SAMPLE_RATE", "2", "ECOUTE_REVIEW_SAMPLE_RATE=2: must be between 0 and 1"),
    ("ECOUTE_PORT", "0", "ECOUTE_PORT=0: must be between 1 and 65535"),
    ("ECOUTE_PORT", "70000", "ECOUTE_PORT=70000: must be between 1 and 65535"),
    ("ECOUTE_ASR_BEAM_SIZE", "0", "ECOUTE_ASR_BEAM_SIZE=0: must be at least 1"),
    ("ECOUTE_MAX_AUDIO_SECONDS", "-1", "ECOUTE_MAX_AUDIO_SECONDS=-1: must be greater than 0"),
    ("ECOUTE_MAX_UPLOAD_BYTES", "lots", "ECOUTE_MAX_UPLOAD_BYTES=lots: input should be a valid integer"),
    ("ECOUTE_BLEEP_MODE", "beep", "ECOUTE_BLEEP_MODE=beep: input should be 'tone' or 'silence'"),
    ("ECOUTE_WAKE_VERIFY_SCORE", "1.5", "ECOUTE_WAKE_VERIFY_SCORE=1.5: must be between 0 and 1"),
    ("ECOUTE_REVIEW_LANGUAGE_RATES", "fr=2", "ECOUTE_REVIEW_LANGUAGE_RATES=fr=2: 'fr=2': want lang=rate"),
    ("ECOUTE_SENSITIVE_POLICY", "health=maybe", "ECOUTE_SENSITIVE_POLICY=health=maybe: 'health=maybe': want"),
    ("ECOUTE_DEVICE_MUTED", "perhaps", "ECOUTE_DEVICE_MUTED=perhaps: input should be a valid boolean"),
])
def test_a_bad_value_names_its_variable(clean_env, variable, value, message):
    clean_env.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        Settings.load()
    assert str(caught.value).startswith(message)


def test_overrides_toml_and_replace_are_checked_too(clean_env, tmp_path):
    with pytest.raises(ConfigError, match=r"^port=0: must be between 1 and 65535$"):
        Settings.load(port=0)
    settings = Settings.load()
    with pytest.raises(ConfigError, match=r"^review_gold_rate=-0.1: must be between 0 and 1$"):
        settings.replace(review_gold_rate=-0.1)
    cfg = tmp_path / "ecoute.toml"
    cfg.write_text("[policy]\nreview_double_fraction = 3\n")
    clean_env.setenv("ECOUTE_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match=r"^review_double_fraction = 3 \(in .*ecoute\.toml\): must be between"):
        Settings.load()


def test_replace_changes_a_copy_by_flat_name(clean_env, tmp_path):
    settings = Settings.load()
    other = settings.replace(data_dir=tmp_path, port=1234, review_sample_rate=1.0)
    assert (other.store.data_dir, other.server.port, other.policy.review_sample_rate) == (tmp_path, 1234, 1.0)
    assert (settings.server.port, settings.policy.review_sample_rate) == (8750, 0.01)
    assert other.speech == settings.speech  # untouched groups are kept
    settings.policy.review_gold_rate = 0.0  # tests tune a live store's policy; still checked
    with pytest.raises(ValueError):
        settings.policy.review_gold_rate = 3.0


def test_secrets_never_show(clean_env, caplog):
    clean_env.setenv("ECOUTE_DEVICE_TOKEN", "dev_supersecret")
    settings = Settings.load(s3_secret_access_key="s3-supersecret")
    with caplog.at_level(logging.INFO):
        logging.getLogger("ecoute.test").info("settings: %s %r", settings, settings)
    shown = repr(settings) + str(settings) + settings.model_dump_json() + caplog.text
    assert "supersecret" not in shown and "**********" in shown
    assert settings.device.device_token.get_secret_value() == "dev_supersecret"
    assert settings.store.s3_secret_access_key.get_secret_value() == "s3-supersecret"


def _cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command line, in a subprocess, running this checkout's code."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("ECOUTE_")}
    full.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "ecoute.cli", *args], env=full, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def test_the_cli_prints_the_error_and_exits_2(tmp_path):
    result = _cli("audit", "verify", "--data-dir", str(tmp_path),
                  env={"ECOUTE_REVIEW_SAMPLE_RATE": "2"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "error: ECOUTE_REVIEW_SAMPLE_RATE=2: must be between 0 and 1"
    assert "Traceback" not in result.stderr


def test_serve_refuses_to_start_on_a_bad_setting(tmp_path):
    result = _cli("serve", "--data-dir", str(tmp_path), env={"ECOUTE_PORT": "70000"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "error: ECOUTE_PORT=70000: must be between 1 and 65535"
    assert "serving" not in result.stdout and not (tmp_path / "ecoute.db").exists()
