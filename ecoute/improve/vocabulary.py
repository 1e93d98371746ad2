"""Domain vocabulary for the ASR: words the engine should expect in this assistant's requests.

Sources, each *reviewed* evidence:
- shopping-list items and other free-text slot values reviewers confirmed;
- words reviewers had to correct (in the corrected transcript, missing or wrong in what the
  ASR heard) — the engine's own blind spots;
- device names shared by at least k households ("kitchen", "living room"): a name only one
  household uses would carry that household into every other one.

A word from requests enters only when requests of at least k distinct owners carry it (the
``improve_min_owners`` setting, default 5, never below 3; counted in the owner zone by
:func:`ecoute.improve.anonymity.support_owners`), and every entry — slot values included —
only when the PII analyzer finds nothing in it. The file keeps, per word, the reviewed tasks
that support it (its lineage) and the owner count, never an owner: a deletion or erasure that
takes a word below k rewrites the file without it (:mod:`ecoute.improve.withdrawal`).

The result feeds faster-whisper as ``hotwords`` (engines that do not support them ignore
them). ``initial_prompt`` is offered too, but measured on tiny.en it makes WER worse
(bench/improve_vocabulary.py: the model echoes the word list into some transcripts), so
hotwords are the recommended channel. It is derived from a dataset version and refuses stale ones, like
any training; :func:`ecoute.improve.evaluate.score` measures WER with and without it.
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.improve.anonymity import check_floor, free_of_personal_data, support_owners
from ecoute.improve.metrics import normalise_for_wer
from ecoute.store.schema.datasets import DatasetVersion
from ecoute.store.schema.owner import Device

if TYPE_CHECKING:  # annotations only: the deletion path rewrites vocabulary files without datasets
    from ecoute.improve.datasets import Example

MIN_HOUSEHOLDS = 3
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
    #: word -> ids of the reviewed tasks whose requests carried it (lineage for withdrawal).
    support: dict[str, list[str]] = field(default_factory=dict)
    #: word -> how many distinct owners those tasks came from (a count; no owner is stored).
    owners: dict[str, int] = field(default_factory=dict)
    #: Words taken out since the build because a deletion or erasure left them below k.
    withdrawn: int = 0

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


def evidence(examples: Iterable[Example], language: str) -> dict[str, set[str]]:
    """word -> the tasks whose request carried it (slot values and corrected words; once per request)."""
    tasks: dict[str, set[str]] = defaultdict(set)
    for ex in examples:
        if ex.language != language:
            continue
        seen = {normalise_for_wer(v) for v in (ex.slots or {}).values() if isinstance(v, str) and v.strip()}
        if ex.asr_transcript is not None:
            seen.update(corrected_words(ex.asr_transcript, ex.transcript))
        for word in seen:
            if word:
                tasks[word].add(ex.task_id)
    return tasks


def build_vocabulary(session: Session, examples: Iterable[Example], language: str, *, min_owners: int,
                     device_names: Iterable[str] = (), max_words: int = MAX_WORDS,
                     dataset_version_id: str | None = None) -> Vocabulary:
    """Words carried by requests of at least ``min_owners`` distinct owners (refused below 3), plus
    ``device_names``; every one scanned for personal data. Most owners first."""
    k = check_floor(min_owners)
    common = _COMMON.get(language, set())
    ranked: list[tuple[int, int, str]] = []
    support: dict[str, list[str]] = {}
    for word, tasks in evidence(examples, language).items():
        if len(tasks) < k or word in common or word.isdigit():
            continue  # k owners need at least k tasks: skip the count
        owners = support_owners(session, tasks)
        if owners >= k and free_of_personal_data(word, language):
            ranked.append((-owners, -len(tasks), word))
            support[word] = sorted(tasks)
    words = [w for _, _, w in sorted(ranked)][:max_words]
    counts = {w: -o for o, _, w in ranked if w in words}
    for name in device_names:
        if name not in words and len(words) < max_words and free_of_personal_data(name, language):
            words.append(name)
    return Vocabulary(language, words, dataset_version_id, support={w: support[w] for w in counts}, owners=counts)


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
    vocab = read(settings, language)
    if vocab is None:
        return None
    if vocab.dataset_version_id:
        version = session.get(DatasetVersion, vocab.dataset_version_id)
        if version is None or version.stale:
            return None
    return vocab


def read(settings: Settings, language: str) -> Vocabulary | None:
    """The saved file as it is (no staleness check): what a withdrawal rewrites.

    A file written before the k-owner rule (no ``owners``) counts as absent: rebuild it.
    """
    path = vocabulary_path(settings, language)
    if not path.exists():
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    if "owners" not in saved:
        return None
    return Vocabulary(**saved)
