"""What the learning loop feeds back into a live turn: device thresholds and accepted templates."""

from __future__ import annotations

import pytest
from support.fakes import Fakes, fake_engines_fixture, tone  # noqa: F401 - the fixture is used by name

from ecoute.assistant.context import TurnContext
from ecoute.assistant.intents import IntentMatch, load_intents
from ecoute.assistant.pipeline import Stage
from ecoute.assistant.pipeline.runner import RunOptions, run
from ecoute.assistant.privacy_skills import who_listened
from ecoute.audio import synth
from ecoute.config import Settings

SLT = synth.VOICES["en"][5]
#: The server side: the device already fired.
FIRED = RunOptions(device_fired=True)


@pytest.fixture
def cfg(tmp_path) -> Settings:
    return Settings.load(data_dir=tmp_path / "data")


def test_a_tuned_device_threshold_makes_a_weak_wake_a_false_activation(cfg: Settings) -> None:
    audio = synth.wake_and_request("what time is it", SLT)
    assert not run(audio, cfg, end=Stage.SKILL, options=FIRED).false_activation
    strict = run(audio, cfg, end=Stage.SKILL, options=RunOptions(device_fired=True, min_wake_score=1.01))  # none reaches it
    assert strict.false_activation and strict.answer is None


def test_templates_in_the_data_dirs_sentence_folder_are_loaded(fake_engines: Fakes) -> None:
    # About our sentence loading, not the models: fake engines hear "Alexa, make me a sandwich"
    # in a tone layout (the wake detector fires at the end of the first tone, 0.96 s).
    cfg = fake_engines.settings
    fake_engines.wake.scores = [0.0] * 11 + [0.95]
    fake_engines.asr.text = "Alexa, make me a sandwich"
    request = synth.concat([0.5, tone(0.45), 0.25, tone(1.2), 1.0])
    assert run(request, cfg, end=Stage.SKILL, options=FIRED).intent is None
    folder = cfg.store.sentences_dir / "en"
    folder.mkdir(parents=True)
    (folder / "accepted.yaml").write_text(
        'language: "en"\nintents:\n  HassNevermind:\n    data:\n      - sentences:\n'
        '          - "make me a sandwich"\n', encoding="utf-8")
    load_intents.cache_clear()
    assert run(request, cfg, end=Stage.SKILL, options=FIRED).intent == "HassNevermind"
    load_intents.cache_clear()


def test_who_listened_counts_each_listen_once() -> None:
    class Privacy:
        def who_listened(self) -> list[dict]:
            one = {"day": "2026-11-20", "role": "reviewer", "site_country": "FR", "language_team": "fr", "count": 2}
            return [{**one, "scope": "recording"}, {**one, "scope": "overall"}]

    match = IntentMatch("EcouteWhoListened", {}, "who listened to my recordings", "en", 1.0)
    reply = who_listened(match, TurnContext(privacy=Privacy()))
    assert "listened to 2 times" in reply.text and "4" not in reply.text
    assert "in FR, fr team" in reply.text  # the same facts as the owner's page: country and team
