"""Second-stage wake verification: was that really someone talking to the assistant?

The device fires on a cheap detector; before anything is answered or kept, the server
checks (1) a stricter wake score, (2) that the transcript starts with the wake word and
(3) that there is speech after it. A turn failing any check is a false activation:
discarded, never answered, never kept, only counted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

from ecoute.speech.asr import Transcript

#: How close the first words must sound to the wake phrase (rapidfuzz ratio, 0-100).
#: Whisper spells "Alexa" as "Alexa", "Alexia", "Alexis", "A Lexa"...
MIN_SIMILARITY = 70.0


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None
    #: The words after the wake word: what the person asked.
    request_text: str
    wake_words: int = 0


def _norm(word: str) -> str:
    text = unicodedata.normalize("NFKD", word.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", text)


def split_wake(words: list[str], phrase: str, *, leading: int = 2) -> int:
    """Number of leading transcript words that spell the wake phrase, or 0 if they do not.

    A word or two of noise before it ("oh, Alexa") is tolerated (``leading``), and the
    phrase may be split or merged differently ("hey jarvis" vs "Hey, Jarvis" vs "heyjarvis").
    """
    target = _norm(phrase)
    normed = [_norm(w) for w in words]
    best_score, best_end = 0.0, 0
    for start in range(min(leading + 1, len(words))):
        for end in range(start + 1, min(start + 4, len(words)) + 1):
            joined = "".join(normed[start:end])
            if not joined:
                continue
            score = fuzz.ratio(joined, target)
            if score > best_score:
                best_score, best_end = score, end
    return best_end if best_score >= MIN_SIMILARITY else 0


def verify(transcript: Transcript, phrase: str, *, wake_score: float, min_score: float,
           speech_after: bool) -> Verdict:
    """Apply the three checks in order of cost to the person: score, wake word, request."""
    words = [w.word for w in transcript.words] or transcript.text.split()
    if wake_score < min_score:
        return Verdict(False, "wake_score_below_verify_threshold", "")
    n = split_wake(words, phrase)
    if n == 0:
        return Verdict(False, "transcript_does_not_start_with_wake_word", "")
    request = " ".join(words[n:]).lstrip(" ,.;:!?-")
    if not speech_after or not request:
        return Verdict(False, "no_speech_after_wake_word", "", n)
    return Verdict(True, None, request, n)
