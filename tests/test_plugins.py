"""The engine registry: built-ins by name, clear errors, third-party entry points, languages, fakes."""

from __future__ import annotations

import json
import logging
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from support.fakes import FakeAsr, Fakes, fake_engines_fixture, tone  # noqa: F401 - the fixture is used by name

from ecoute import plugins
from ecoute.audio.io import Audio, write_wav
from ecoute.audio.vad import Vad, find_speech, get_vad
from ecoute.audio.wake import WakeDetector, get_wake_detector
from ecoute.cli import main
from ecoute.config import Settings
from ecoute.errors import BadInput, EcouteError
from ecoute.jobs import InlineJobRunner, JobRunner, get_runner
from ecoute.plugins import Family
from ecoute.speech.asr import AsrEngine, get_asr
from ecoute.speech.tts import TtsEngine, get_tts
from ecoute.store.blobs import BlobStore, LocalBlobStore, get_blob_store
from ecoute.store.keys import KeyProvider, LocalFileKeyProvider, get_key_provider

#: Built-ins that need an outside service, an optional package or an operator's file to be built.
NEEDS_OUTSIDE = {(Family.TTS, "piper"), (Family.KEYS, "pkcs11"), (Family.BLOBS, "s3"),
                 (Family.JOBS, "procrastinate")}
BUILTINS = [(family, name) for family in Family for name in plugins.builtin_names(family)]


def _build(family: Family, settings: Settings) -> object:
    """What the rest of the code gets for ``family``: each family's own helper, checked against its protocol."""
    match family:
        case Family.ASR:
            return get_asr(settings)
        case Family.TTS:
            return get_tts(settings)
        case Family.WAKE:
            return get_wake_detector(settings)
        case Family.VAD:
            return get_vad(settings)
        case Family.KEYS:
            return get_key_provider(settings)
        case Family.BLOBS:
            return get_blob_store(settings)
        case Family.JOBS:
            return plugins.create(Family.JOBS, settings)


PROTOCOLS: dict[Family, type] = {Family.ASR: AsrEngine, Family.TTS: TtsEngine, Family.WAKE: WakeDetector,
                                 Family.VAD: Vad, Family.KEYS: KeyProvider, Family.BLOBS: BlobStore}

SETTING = {Family.ASR: "asr_engine", Family.TTS: "tts_engine", Family.WAKE: "wake_engine", Family.VAD: "vad_engine",
           Family.KEYS: "key_provider", Family.BLOBS: "blob_store", Family.JOBS: "job_runner"}


@pytest.mark.parametrize("family, name", BUILTINS, ids=[f"{f}-{n}" for f, n in BUILTINS])
def test_every_builtin_resolves_by_name(settings: Settings, family: Family, name: str) -> None:
    engine = plugins.get(family, name)
    assert engine.origin == plugins.BUILTIN_ORIGIN and engine.family is family
    assert callable(engine.factory())
    if (family, name) in NEEDS_OUTSIDE:
        return
    built = _build(family, settings.replace(**{SETTING[family]: name}))
    if family is Family.JOBS:
        assert built is InlineJobRunner
    else:
        assert isinstance(built, PROTOCOLS[family])
        assert getattr(built, "name", name).split(":")[0] == name  # faster-whisper's name adds its model


def test_the_configured_name_picks_the_engine(settings: Settings) -> None:
    assert isinstance(get_key_provider(settings), LocalFileKeyProvider)
    assert isinstance(get_blob_store(settings), LocalBlobStore)
    assert get_vad(settings.replace(vad_engine="micro")).name == "micro"
    assert get_asr(settings.replace(asr_engine="pocketsphinx")).name == "pocketsphinx"
    assert get_asr(settings, "en").name == "faster-whisper:tiny.en"
    assert get_asr(settings, "fr").name == "faster-whisper:base"


def test_runner_comes_from_the_registry(sqlite_store) -> None:
    runner: JobRunner = get_runner(sqlite_store)
    assert isinstance(runner, InlineJobRunner) and runner.store is sqlite_store


def test_expensive_engines_stay_cached_and_stores_do_not(settings: Settings) -> None:
    other = settings.replace(data_dir=settings.store.data_dir / "other")
    assert get_wake_detector(settings) is get_wake_detector(other)
    assert get_vad(settings) is get_vad(other)
    assert get_asr(settings.replace(asr_engine="pocketsphinx")) is get_asr(other.replace(asr_engine="pocketsphinx"))
    # key providers and blob stores hold their own data dir: one per store
    assert get_key_provider(settings) is not get_key_provider(settings)
    mine, theirs = get_blob_store(settings), get_blob_store(other)
    assert isinstance(mine, LocalBlobStore) and isinstance(theirs, LocalBlobStore) and mine.root != theirs.root


@pytest.mark.parametrize("family", list(Family))
def test_unknown_name_is_a_clear_error_listing_the_names(settings: Settings, family: Family) -> None:
    with pytest.raises(plugins.UnknownEngine) as caught:
        _build(family, settings.replace(**{SETTING[family]: "nope"}))
    assert isinstance(caught.value, BadInput) and isinstance(caught.value, EcouteError)
    message = str(caught.value)
    assert message.startswith(f"unknown {family.noun} 'nope'; choose one of ")
    assert all(name in message for name in plugins.builtin_names(family))


def _run_cli(args: list[str], capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["ecoute", *args])
    code = 0
    try:
        main()
    except SystemExit as ex:
        code = int(ex.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_the_unknown_engine_error(tmp_path: Path, capsys, monkeypatch) -> None:
    wav = tmp_path / "tone.wav"
    write_wav(wav, tone(0.5))
    code, out, err = _run_cli(["transcribe", str(wav), "--engine", "nope"], capsys, monkeypatch)
    assert code == 2 and out == ""
    assert err.strip() == "error: unknown ASR engine 'nope'; choose one of faster-whisper, pocketsphinx"


# -- a third party, through a real installed distribution ----------------------------------------

THIRD_PARTY_MODULE = '''
from ecoute.speech.asr import Transcript, Word


class ParrotAsr:
    """Says what it was told to in its settings: proof that settings reach a plugin."""

    name = "parrot"

    def __init__(self, language):
        self.language = language

    def transcribe(self, audio, language=None, *, hotwords=None, initial_prompt=None):
        return Transcript("bonjour", language or self.language, [Word("bonjour", 0.0, 0.4)], audio.duration, self.name)


def build(settings):
    return ParrotAsr(settings.speech.language)


build.languages = ["fr"]


def evil_keys(settings):
    raise AssertionError("an installed package must not replace a built-in key provider")
'''


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch) -> Iterator[Path]:
    """A distribution ``ecoute-parrot`` installed on sys.path the way pip lays it out."""
    site = tmp_path / "site"
    dist = site / "ecoute_parrot-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ecoute-parrot\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent("""\
        [ecoute.asr]
        thirdparty = ecoute_parrot_plugin:build

        [ecoute.keys]
        local-file = ecoute_parrot_plugin:evil_keys
        """))
    (site / "ecoute_parrot_plugin.py").write_text(THIRD_PARTY_MODULE)
    monkeypatch.syspath_prepend(str(site))  # also invalidates the import caches
    yield site
    monkeypatch.undo()
    sys.modules.pop("ecoute_parrot_plugin", None)
    plugins.refresh()


def test_third_party_engine_is_picked_without_editing_ecoute(third_party: Path, tmp_path: Path) -> None:
    settings = Settings.load(asr_engine="thirdparty", data_dir=tmp_path / "data", language="fr")
    engine = get_asr(settings)
    assert engine.name == "parrot"
    result = engine.transcribe(Audio(np.zeros(16000, dtype=np.float32)))
    assert result.text == "bonjour" and result.language == "fr" and result.engine == "parrot"
    found = plugins.get(Family.ASR, "thirdparty")
    assert found.origin == "ecoute-parrot" and found.target == "ecoute_parrot_plugin:build"
    assert "thirdparty" in plugins.names(Family.ASR)


def test_third_party_engine_through_the_cli(third_party: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    wav = tmp_path / "tone.wav"
    write_wav(wav, tone(0.5))
    code, out, _ = _run_cli(["transcribe", str(wav), "--engine", "thirdparty", "--language", "fr", "--json"],
                            capsys, monkeypatch)
    assert code == 0
    assert json.loads(out)["engine"] == "parrot" and json.loads(out)["text"] == "bonjour"


def test_a_distribution_cannot_replace_a_builtin(third_party: Path, settings: Settings, caplog) -> None:
    plugins.refresh()
    with caplog.at_level(logging.WARNING, logger="ecoute.plugins"):
        assert plugins.get(Family.KEYS, "local-file").origin == plugins.BUILTIN_ORIGIN
    assert "ignored the key provider 'local-file' from ecoute-parrot" in caplog.text
    assert isinstance(get_key_provider(settings), LocalFileKeyProvider)


def test_third_party_languages_are_queryable(third_party: Path) -> None:
    plugins.refresh()
    assert plugins.engines_for(Family.ASR, "fr") == ["faster-whisper", "thirdparty"]
    assert plugins.engines_for(Family.ASR, "en") == ["faster-whisper", "pocketsphinx"]


# -- languages -------------------------------------------------------------------------------------

def test_languages_are_declared_and_queryable(tmp_path: Path) -> None:
    assert plugins.get(Family.ASR, "pocketsphinx").languages() == {"en"}
    whisper = plugins.get(Family.ASR, "faster-whisper").languages()
    assert {"en", "fr", "de", "ja"} <= whisper and len(whisper) > 90
    assert plugins.get(Family.TTS, "espeak-ng").languages() == {"en", "fr", "de"}
    assert plugins.engines_for(Family.ASR, "fr") == ["faster-whisper"]
    assert plugins.engines_for(Family.ASR, "en") == ["faster-whisper", "pocketsphinx"]
    assert plugins.engines_for(Family.TTS, "de") == ["espeak-ng"]
    assert plugins.engines_for(Family.TTS, "xx") == []
    assert plugins.engines_for(Family.ASR) == ["faster-whisper", "pocketsphinx"]
    # wake word, VAD and storage do not depend on a language
    for family in (Family.WAKE, Family.VAD, Family.KEYS, Family.BLOBS, Family.JOBS):
        for name in plugins.names(family):
            assert plugins.get(family, name).languages() == {plugins.ANY_LANGUAGE}
        assert plugins.engines_for(family, "fr") == plugins.names(family)


def test_piper_serves_the_language_of_its_voice(tmp_path: Path) -> None:
    voice = tmp_path / "fr_FR-siwis-low.onnx"
    Path(f"{voice}.json").write_text(json.dumps({"language": {"code": "fr_FR", "family": "fr"}}))
    with_voice = Settings.load(data_dir=tmp_path, piper_voice=str(voice))
    assert plugins.get(Family.TTS, "piper").languages(with_voice) == {"fr"}
    assert plugins.engines_for(Family.TTS, "fr", with_voice) == ["espeak-ng", "piper"]
    assert plugins.engines_for(Family.TTS, "fr", Settings.load(data_dir=tmp_path, piper_voice="")) == ["espeak-ng"]


# -- in-process registration and the fakes ---------------------------------------------------------

def test_register_refuses_a_taken_name_and_checks_what_factories_return(settings: Settings) -> None:
    with pytest.raises(ValueError, match="already exists"):
        plugins.register(Family.ASR, "pocketsphinx", lambda s: FakeAsr())
    with plugins.registered(Family.ASR, "broken", lambda s: object()):
        with pytest.raises(plugins.EngineUnavailable, match="does not provide AsrEngine"):
            get_asr(settings.replace(asr_engine="broken"))
    assert "broken" not in plugins.names(Family.ASR)


def test_fakes_come_through_the_registry(fake_engines: Fakes) -> None:
    s = fake_engines.settings
    assert get_asr(s) is fake_engines.asr and get_tts(s) is fake_engines.tts
    assert get_wake_detector(s) is fake_engines.wake and get_vad(s) is fake_engines.vad
    assert get_blob_store(s) is fake_engines.blobs
    fake_engines.asr.text = "alexa set a timer"
    heard = get_asr(s, "en").transcribe(tone(1.0), "en", hotwords="timer")
    assert heard.text == "alexa set a timer" and [w.word for w in heard.words] == ["alexa", "set", "a", "timer"]
    assert fake_engines.asr.calls == [{"language": "en", "hotwords": "timer", "initial_prompt": None}]
    assert get_tts(s).synthesize("hello", "en").duration == pytest.approx(0.25)


def test_wake_detect_reports_the_peak_shortly_after_the_first_firing(fake_engines: Fakes) -> None:
    # Our detect(): fires at the first score above the threshold, keeps scoring PEAK_WINDOW_S for the peak.
    fake_engines.wake.scores = [0.1, 0.2, 0.6, 0.8, 0.7, 0.1, 0.1, 0.1, 0.1, 0.99]
    result = get_wake_detector(fake_engines.settings).detect(Audio(np.zeros(16000, dtype=np.float32)))
    assert result.fired and result.end_s == pytest.approx(0.24) and result.score == 0.8


def test_endpointer_on_the_fake_vad(fake_engines: Fakes) -> None:
    # Our endpointing on a tone between silences: speech found where the tone is, closed by silence.
    audio = Audio(np.concatenate([np.zeros(8000), tone(1.0).samples, np.zeros(16000)]).astype(np.float32))
    ep = find_speech(audio, fake_engines.settings)
    assert ep.speech and ep.closed
    assert ep.start_s == pytest.approx(0.5, abs=0.02) and ep.end_s == pytest.approx(1.5, abs=0.02)
