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


@dataclass
class PW:
    word: str
    start: float
    end: float
    probability: float = 0.99


def _suspects(words: list, found_words: tuple[int, ...] = ()) -> list[tuple[str, str]]:
    from ecoute.privacy.bleep import suspect_spans

    wt = words_to_text(words)
    found = [wt.spans[i] for i in found_words]
    return [(wt.text[s:e], t) for s, e, t in suspect_spans(words, wt, found, "en")]


def test_digit_run_with_no_entity_is_masked_as_a_number() -> None:
    # "the door code is 7453" garbled by the ASR: no trigger left for the text step, the digits remain
    words = [PW("The", 0.0, 0.6), PW("Darko", 0.6, 1.2), PW("Desert", 1.2, 1.6), PW("7", 1.6, 2.6),
             PW(",453.", 2.6, 3.7)]
    assert _suspects(words) == [("7,453.", "NUMBER")]
    # spoken digits count too; two digits alone ("10 minutes") do not
    spoken = [PW("it's", 0.0, 0.3), PW("seven", 0.3, 0.6), PW("four", 0.6, 0.9), PW("five", 0.9, 1.2),
              PW("three", 1.2, 1.5)]
    assert _suspects(spoken) == [("seven four five three", "NUMBER")]
    assert _suspects([PW("set", 0.0, 0.3), PW("a", 0.3, 0.4), PW("timer", 0.4, 0.8), PW("for", 0.8, 1.0),
                      PW("10", 1.0, 1.3), PW("minutes", 1.3, 1.8)]) == []


def test_unsure_word_next_to_a_trigger_or_an_entity_is_masked_and_a_sure_one_is_not() -> None:
    words = [PW("my", 0.0, 0.2), PW("name", 0.2, 0.5), PW("is", 0.5, 0.7), PW("Meckler", 0.7, 1.2, 0.3)]
    assert _suspects(words) == []  # "is" sits between the trigger and the unsure word
    words = [PW("call", 0.0, 0.3), PW("Meckler", 0.3, 0.8, 0.3), PW("Nake", 0.8, 1.2, 0.4), PW("now", 1.2, 1.5)]
    assert _suspects(words) == []  # unsure, but next to nothing personal
    named = [PW("named", 0.0, 0.3), PW("Meckler", 0.3, 0.8, 0.3), PW("Nake", 0.8, 1.2, 0.4), PW("now", 1.2, 1.5)]
    assert _suspects(named) == [("Meckler Nake", "UNCLEAR")]
    sure = [PW("named", 0.0, 0.3), PW("Meckler", 0.3, 0.8, 0.9), PW("now", 0.8, 1.2)]
    assert _suspects(sure) == []
    # next to an entity the text step found ("Sarah" → PERSON): the unsure ".com" goes with it
    email = [PW("to", 0.0, 0.3), PW("Sarah", 0.3, 0.8, 0.25), PW("nope", 0.8, 1.0, 0.4), PW("thanks", 1.0, 1.4)]
    assert _suspects(email, found_words=(1,)) == [("nope", "UNCLEAR")]


def test_words_without_a_probability_count_as_sure() -> None:
    assert _suspects([W("named", 0.0, 0.3), W("Meckler", 0.3, 0.8)]) == []


def test_dotted_domain_word_is_masked_as_an_email() -> None:
    words = [PW("Send", 0.0, 0.7), PW("to", 0.7, 1.0), PW("Imajun", 1.0, 1.4), PW(".jonsonatproton", 1.4, 2.4),
             PW(".com", 2.4, 3.0)]
    assert _suspects(words) == [("Imajun.jonsonatproton.com", "EMAIL_ADDRESS")]


def test_margin_before_and_after_are_separate() -> None:
    wt = words_to_text(WORDS)
    start = wt.text.index("1234")
    (span,) = entity_times(WORDS, wt.spans, [(start, start + 4)], margin=0.3, margin_after=0.1, duration=2.0)
    before, after = 0.7 - span[0], span[1] - 1.5
    assert before == pytest.approx(0.3) and after == pytest.approx(0.1) and before > after


def test_to_edges_stretches_a_span_on_the_first_or_last_word_to_the_clip_edge() -> None:
    wt = words_to_text(WORDS)
    last = (wt.spans[-1][0], wt.spans[-1][1])
    first = (wt.spans[0][0], wt.spans[0][1])
    middle = (wt.spans[3][0], wt.spans[3][1])
    kw = {"margin": 0.05, "duration": 2.5}
    assert entity_times(WORDS, wt.spans, [last], to_edges=True, **kw)[0][1] == 2.5
    assert entity_times(WORDS, wt.spans, [last], **kw)[0][1] < 2.5
    late = [W(w.word, w.start + 0.5, w.end + 0.5) for w in WORDS]  # speech starts 0.5 s into the clip
    assert entity_times(late, wt.spans, [first], to_edges=True, **kw)[0][0] == 0.0
    assert entity_times(late, wt.spans, [first], **kw)[0][0] == pytest.approx(0.45)
    inner = entity_times(WORDS, wt.spans, [middle], to_edges=True, **kw)
    assert inner == entity_times(WORDS, wt.spans, [middle], **kw)


def test_a_looping_transcript_has_unreliable_timing_and_a_normal_one_not() -> None:
    from ecoute.privacy.bleep import timing_unreliable

    loop = [PW("The", 0.0, 0.56), PW("North", 0.56, 0.82)] + [PW(w, 3.08, 3.08) for w in ["of", "the", "North"] * 3]
    assert timing_unreliable(loop)
    assert not timing_unreliable(WORDS)
    assert not timing_unreliable([*WORDS, W("ok", 2.0, 2.0)])  # one flat word is ordinary
    words = [PW("hello", 0.0, 0.4), PW("there", 0.4, 0.8)]
    assert _suspects_all(words) == [("hello there", "UNCLEAR")]


def _suspects_all(words: list) -> list[tuple[str, str]]:
    from ecoute.privacy.bleep import suspect_spans

    wt = words_to_text(words)
    return [(wt.text[s:e], t) for s, e, t in suspect_spans(words, wt, [], "en", everything=True)]
