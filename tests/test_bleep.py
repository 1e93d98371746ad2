"""Bleeps cover exactly the words of an entity (plus margin), as a tone or as silence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from ecoute.audio.io import Audio
from ecoute.errors import BadInput
from ecoute.privacy.bleep import bleep, entity_times, words_to_text


@dataclass
class W:
    word: str
    start: float
    end: float


WORDS = [W(" my", 0.0, 0.2), W(" pin", 0.2, 0.5), W(" is", 0.5, 0.7), W(" 1234.", 0.7, 1.5), W(" thanks", 1.6, 2.0)]


def test_words_to_text_spans_point_at_each_word() -> None:
    wt = words_to_text(WORDS)
    assert wt.text == "my pin is 1234. thanks"
    assert [wt.text[s:e] for s, e in wt.spans] == ["my", "pin", "is", "1234.", "thanks"]


def test_entity_times_cover_entity_words_with_margin_and_merge() -> None:
    wt = words_to_text(WORDS)
    start = wt.text.index("1234")
    spans = entity_times(WORDS, wt.spans, [(start, start + 4), (0, 2)], margin=0.05, duration=2.0)
    assert spans == [[0.0, 0.25], [0.65, 1.55]]
    merged = entity_times(WORDS, wt.spans, [(3, 6), (7, 9)], margin=0.05, duration=2.0)
    assert merged == [[0.15, 0.75]]


def _noise(seconds: float = 2.0, rate: int = 16000) -> Audio:
    rng = np.random.default_rng(0)
    return Audio((0.1 * rng.standard_normal(int(seconds * rate))).astype(np.float32), rate)


def test_tone_replaces_span_and_leaves_the_rest() -> None:
    audio = _noise()
    out = bleep(audio, [[0.5, 1.0]], "tone")
    a, b = 8000, 16000
    assert np.array_equal(out.samples[:a], audio.samples[:a])
    assert np.array_equal(out.samples[b:], audio.samples[b:])
    seg = out.samples[a + 200:b - 200]
    spectrum = np.abs(np.fft.rfft(seg))
    peak_hz = np.argmax(spectrum) * audio.rate / len(seg)
    assert abs(peak_hz - 1000) < 5  # a pure 1 kHz tone: none of the original left
    assert not np.allclose(seg, audio.samples[a + 200:b - 200])


def test_silence_mode_zeroes_span() -> None:
    out = bleep(_noise(), [[0.25, 0.75]], "silence")
    assert np.all(out.samples[4000:12000] == 0)
    assert np.any(out.samples[:4000] != 0)


def test_unknown_mode_is_bad_input() -> None:
    with pytest.raises(BadInput):
        bleep(_noise(), [[0.1, 0.2]], "beep-beep")
