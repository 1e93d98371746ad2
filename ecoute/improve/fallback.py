"""An optional fallback for near-misses: a small text classifier trained on reviewed requests.

Templates are exact: "have you the time" misses "have you got the time". When no template
matches, a character n-gram classifier (scikit-learn: TF-IDF + logistic regression) trained
on the reviewers' corrected transcripts may still name the intent — but only

- for intents that take no slots (a classifier cannot fill "which item", and a timer with
  no duration is worse than "I can't do that yet"), and
- when its probability is at least ``MIN_PROBABILITY``.

It is trained from a dataset version through ``load_examples`` (which refuses stale ones),
remembers that version, and :func:`load` refuses it once the version went stale: a model
that learnt from removed data stops being used until it is retrained without it.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from ecoute.assistant.intents import normalise
from ecoute.config import Settings
from ecoute.improve.datasets import Example
from ecoute.improve.evaluate import Recognizer
from ecoute.store.schema.datasets import DatasetVersion

MIN_PROBABILITY = 0.6


@dataclass
class Fallback:
    language: str
    model: object
    intents: list[str]
    dataset_version_id: str | None = None
    min_probability: float = MIN_PROBABILITY

    def predict(self, text: str) -> tuple[str | None, float]:
        probs = self.model.predict_proba([normalise(text)])[0]  # type: ignore[attr-defined]
        best = int(probs.argmax())
        intent = self.model.classes_[best]  # type: ignore[attr-defined]
        if probs[best] < self.min_probability or intent not in self.intents:
            return None, float(probs[best])
        return str(intent), float(probs[best])


def train(examples: Iterable[Example], language: str, *, dataset_version_id: str | None = None,
          min_probability: float = MIN_PROBABILITY) -> Fallback | None:
    """Train on ``language``'s examples; None when there are fewer than two intents to tell apart."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rows = [(normalise(e.transcript), e.intent, bool(e.slots)) for e in examples
            if e.language == language and e.intent and e.transcript]
    labels = sorted({intent for _, intent, _ in rows})
    if len(labels) < 2:
        return None
    with_slots = {intent for _, intent, has in rows if has}
    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
                          LogisticRegression(max_iter=2000, C=10.0))
    model.fit([t for t, _, _ in rows], [i for _, i, _ in rows])
    return Fallback(language, model, [i for i in labels if i not in with_slots], dataset_version_id, min_probability)


def with_fallback(recognizer: Recognizer, fallbacks: dict[str, Fallback]) -> Recognizer:
    """The templates first; the classifier only where they found nothing."""

    def run(text: str, language: str) -> tuple[str | None, dict]:
        intent, slots = recognizer(text, language)
        if intent is None and language in fallbacks:
            guess, _prob = fallbacks[language].predict(text)
            if guess is not None:
                return guess, {}
        return intent, slots

    return run


def model_path(settings: Settings, language: str) -> Path:
    return settings.store.data_dir / "improve" / f"fallback-{language}.pickle"


def save(settings: Settings, fallback: Fallback) -> Path:
    path = model_path(settings, fallback.language)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(fallback))
    tmp.replace(path)
    return path


def load(session: Session, settings: Settings, language: str) -> Fallback | None:
    """The saved classifier, or None — also when the dataset it learnt from went stale.

    Only files this installation wrote are loaded (pickle runs code: never point this at a
    file from elsewhere).
    """
    path = model_path(settings, language)
    if not path.exists():
        return None
    fallback: Fallback = pickle.loads(path.read_bytes())
    if fallback.dataset_version_id:
        version = session.get(DatasetVersion, fallback.dataset_version_id)
        if version is None or version.stale:
            return None
    return fallback
