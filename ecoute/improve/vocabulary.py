"""Domain vocabulary for the ASR: words the engine should expect in this assistant's requests.

Sources, each a count of *reviewed* evidence:
- shopping-list items and other free-text slot values reviewers confirmed;
- words reviewers had to correct (in the corrected transcript, missing or wrong in what the
  ASR heard) — the engine's own blind spots;
- device names shared by at least ``MIN_HOUSEHOLDS`` households ("kitchen", "living room"):
  a name only one household uses would carry that household into every other one.

The result feeds faster-whisper as ``hotwords`` (engines that do not support them ignore
them). ``initial_prompt`` is offered too, but measured on tiny.en it makes WER worse
(bench/improve_vocabulary.py: the model echoes the word list into some transcripts), so
hotwords are the recommended channel. It is derived from a dataset version and refuses stale ones, like
any training; :func:`ecoute.improve.evaluate.score` measures WER with and without it.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.improve.datasets import Example
from ecoute.improve.metrics import normalise_for_wer
from ecoute.store.schema.datasets import DatasetVersion
from ecoute.store.schema.owner import Device

MIN_HOUSEHOLDS = 3
MIN_COUNT = 2
MAX_WORDS = 40
#: Words too common to be worth a hint.
_COMMON = {
    "en": set("a an the to of on in my is it and for me please what i you add put set".split()),
    "fr": set("le la les un une de des du à au ma mon mes est et pour moi".split()),
    "de": set("der die das ein eine den dem zu zur auf in mein meine ist und für mir".split()),
}


@dataclass
class Vocabulary:
    language: str
    words: list[str] = field(default_factory=list)
    dataset_version_id: str | None = None

    @property
    def hotwords(self) -> str | None:
        return " ".join(self.words) if self.words else None

    @property
    def initial_prompt(self) -> str | None:
        return ", ".join(self.words) + "." if self.words else None

    @property
    def digest(self) -> str:
        import hashlib

        return hashlib.sha256("\n".join(self.words).encode()).hexdigest()[:8]


def corrected_words(asr_text: str, corrected: str) -> list[str]:
    """Words of the corrected transcript that the ASR missed or got wrong."""
    heard = normalise_for_wer(asr_text).split()
    said = normalise_for_wer(corrected).split()
    out = []
    for op, _i1, _i2, j1, j2 in difflib.SequenceMatcher(a=heard, b=said, autojunk=False).get_opcodes():
        if op in ("replace", "insert"):
            out += said[j1:j2]
    return out


def shared_device_names(session: Session, *, min_households: int = MIN_HOUSEHOLDS) -> list[str]:
    rows = session.execute(
        select(func.lower(Device.name), func.count(func.distinct(Device.household_id)))
        .group_by(func.lower(Device.name))
    ).all()
    return sorted(name for name, households in rows if households >= min_households and name)


def build_vocabulary(examples: Iterable[Example], language: str, *, device_names: Iterable[str] = (),
                     min_count: int = MIN_COUNT, max_words: int = MAX_WORDS,
                     dataset_version_id: str | None = None) -> Vocabulary:
    counts: Counter[str] = Counter()
    for ex in examples:
        if ex.language != language:
            continue
        seen = {normalise_for_wer(v) for v in (ex.slots or {}).values() if isinstance(v, str) and v.strip()}
        if ex.asr_transcript is not None:
            seen.update(corrected_words(ex.asr_transcript, ex.transcript))
        counts.update(seen)  # once per request: evidence is how many requests needed the word
    common = _COMMON.get(language, set())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    words = [w for w, c in ranked if c >= min_count and w not in common and not w.isdigit()]
    for name in device_names:
        if name not in words:
            words.append(name)
    return Vocabulary(language, words[:max_words], dataset_version_id)


def vocabulary_path(settings: Settings, language: str) -> Path:
    return settings.store.data_dir / "improve" / f"vocabulary-{language}.json"


def save(settings: Settings, vocab: Vocabulary) -> Path:
    path = vocabulary_path(settings, vocab.language)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(vocab), ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


def load(session: Session, settings: Settings, language: str) -> Vocabulary | None:
    """The saved vocabulary, or None — also when the dataset it came from went stale."""
    path = vocabulary_path(settings, language)
    if not path.exists():
        return None
    vocab = Vocabulary(**json.loads(path.read_text(encoding="utf-8")))
    if vocab.dataset_version_id:
        version = session.get(DatasetVersion, vocab.dataset_version_id)
        if version is None or version.stale:
            return None
    return vocab
