"""The answer voice: espeak-ng speaks each language, and text is never read as options."""

from __future__ import annotations

import numpy as np
import pytest

from ecoute.config import Settings
from ecoute.errors import BadInput
from ecoute.speech.tts import get_tts


@pytest.mark.parametrize("language,text", [("en", "Timer set."), ("fr", "Minuteur réglé."), ("de", "Timer gestellt.")])
def test_espeak_speaks_each_language(language: str, text: str) -> None:
    audio = get_tts(Settings.load()).synthesize(text, language)
    assert audio.rate == 16000 and 0.3 < audio.duration < 5
    assert np.abs(audio.samples).max() > 0.05


def test_text_starting_with_a_dash_is_spoken_not_parsed() -> None:
    tts = get_tts(Settings.load())
    dashed = tts.synthesize("-v hello there", "en")  # as an option, "-v" would pick a voice
    assert dashed.duration > tts.synthesize("hello there", "en").duration


def test_empty_text_is_refused() -> None:
    with pytest.raises(BadInput):
        get_tts(Settings.load()).synthesize("   ", "en")
