"""A synthetic household's requests and a scripted review team, for tests, benches and the demo.

Real owners' requests cannot ship with the project, so the learning loop is exercised on
requests generated from phrase banks per language. Each bank holds, per intent, phrasings
the shipped sentence files are likely to know ("usual") and phrasings people also use that
they may not ("novel"); which ones the assistant really handles is always *measured*, never
assumed. Slot values are split into two disjoint pools: the month's requests use the first,
the held-out set the second, so an improvement has to generalise to be seen.

:func:`reviewed_task` writes what the review pipeline writes for one reviewed task: a task
(content sealed with its own key), the owner-zone link holding that key wrapped by the
owner's DEK, the reviewers' annotations (payload sealed with the task key) and, when two
reviewed it, the agreement row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ecoute.improve.taskcrypt import seal_annotation, seal_content
from ecoute.store.identity import seal_staff_identity
from ecoute.store.keys import KeyProvider
from ecoute.store.schema.base import new_id, utcnow
from ecoute.store.schema.owner import ReviewLink
from ecoute.store.schema.review import Annotation, ReviewTask, Staff
from ecoute.store.schema.review_qc import ReviewAgreement
from ecoute.store.vault import Vault


@dataclass(frozen=True)
class Phrase:
    intent: str
    pattern: str  # "{item}" / "{n}" placeholders
    novel: bool = False
    #: Only in the held-out set: a phrasing the month never contains (improvement must not reach it).
    held_out_only: bool = False


@dataclass
class Request:
    language: str
    text: str
    intent: str
    slots: dict = field(default_factory=dict)
    novel: bool = False
    pattern: str = ""


ITEM_SLOT = "shopping_list_item"
MINUTES_SLOT = "timer_minutes"

BANKS: dict[str, list[Phrase]] = {
    "en": [
        Phrase("HassShoppingListAddItem", "add {item} to my shopping list"),
        Phrase("HassShoppingListAddItem", "put {item} on the shopping list"),
        Phrase("HassShoppingListAddItem", "pop {item} on the list", True),
        Phrase("HassShoppingListAddItem", "we are out of {item}", True),
        Phrase("HassShoppingListAddItem", "remember to buy {item}", True),
        Phrase("HassStartTimer", "set a timer for {n} minutes"),
        Phrase("HassStartTimer", "count down {n} minutes", True),
        Phrase("HassStartTimer", "give me {n} minutes", True),
        Phrase("HassGetCurrentTime", "what time is it"),
        Phrase("HassGetCurrentTime", "have you got the time", True),
        Phrase("HassGetCurrentTime", "how late is it", True),
        Phrase("HassShoppingListGetItems", "what's on my shopping list"),
        Phrase("HassShoppingListGetItems", "what's left to buy", True),
        Phrase("EcouteTellJoke", "tell me a joke", True),
        Phrase("EcouteTellJoke", "make me laugh", True),
        Phrase("HassShoppingListAddItem", "chuck {item} on the list", True, True),
        Phrase("HassStartTimer", "time me {n} minutes", True, True),
        Phrase("HassGetCurrentTime", "got the time", True, True),
        Phrase("HassShoppingListGetItems", "what do we still need", True, True),
        Phrase("EcouteTellJoke", "say something funny", True, True),
    ],
    "fr": [
        Phrase("HassShoppingListAddItem", "ajoute {item} à la liste de courses"),
        Phrase("HassShoppingListAddItem", "il n'y a plus de {item}", True),
        Phrase("HassShoppingListAddItem", "pense à acheter {item}", True),
        Phrase("HassStartTimer", "mets un minuteur de {n} minutes"),
        Phrase("HassStartTimer", "compte {n} minutes", True),
        Phrase("HassStartTimer", "préviens moi dans {n} minutes", True),
        Phrase("HassGetCurrentTime", "quelle heure est-il"),
        Phrase("HassGetCurrentTime", "tu as l'heure", True),
        Phrase("HassShoppingListGetItems", "qu'est-ce qu'il reste à acheter", True),
        Phrase("EcouteTellJoke", "raconte moi une blague", True),
        Phrase("EcouteTellJoke", "fais moi rire", True),
        Phrase("HassShoppingListAddItem", "rajoute {item}", True, True),
        Phrase("HassStartTimer", "lance {n} minutes", True, True),
        Phrase("HassGetCurrentTime", "il est quelle heure", True, True),
        Phrase("HassShoppingListGetItems", "qu'est-ce qu'on doit acheter", True, True),
        Phrase("EcouteTellJoke", "dis moi une blague", True, True),
    ],
    "de": [
        Phrase("HassShoppingListAddItem", "füge {item} zur einkaufsliste hinzu"),
        Phrase("HassShoppingListAddItem", "wir haben keine {item} mehr", True),
        Phrase("HassShoppingListAddItem", "denk an {item}", True),
        Phrase("HassStartTimer", "stelle einen timer auf {n} minuten"),
        Phrase("HassStartTimer", "zähl {n} minuten runter", True),
        Phrase("HassStartTimer", "sag mir in {n} minuten bescheid", True),
        Phrase("HassGetCurrentTime", "wie spät ist es"),
        Phrase("HassGetCurrentTime", "hast du die uhrzeit", True),
        Phrase("HassShoppingListGetItems", "was muss ich noch kaufen", True),
        Phrase("EcouteTellJoke", "erzähl mir einen witz", True),
        Phrase("EcouteTellJoke", "bring mich zum lachen", True),
        Phrase("HassShoppingListAddItem", "schreib {item} auf", True, True),
        Phrase("HassStartTimer", "mach {n} minuten", True, True),
        Phrase("HassGetCurrentTime", "welche uhrzeit haben wir", True, True),
        Phrase("HassShoppingListGetItems", "was steht auf der liste", True, True),
        Phrase("EcouteTellJoke", "sag was lustiges", True, True),
    ],
}

#: Disjoint value pools: index 0 for the month (training), index 1 for the held-out set.
ITEMS: dict[str, tuple[list[str], list[str]]] = {
    "en": (["milk", "eggs", "bread", "butter", "coffee", "rice", "apples", "cheese"],
           ["tomatoes", "pasta", "yogurt", "onions", "tea", "honey"]),
    "fr": (["lait", "oeufs", "pain", "beurre", "café", "riz", "pommes", "fromage"],
           ["tomates", "pâtes", "yaourt", "oignons", "thé", "miel"]),
    "de": (["milch", "eier", "brot", "butter", "kaffee", "reis", "äpfel", "käse"],
           ["tomaten", "nudeln", "joghurt", "zwiebeln", "tee", "honig"]),
}
MINUTES: tuple[list[int], list[int]] = ([5, 10, 15, 20, 25], [7, 12, 30, 45])


def make_request(phrase: Phrase, language: str, rng: random.Random, pool: int) -> Request:
    slots: dict = {}
    text = phrase.pattern
    if "{item}" in text:
        item = rng.choice(ITEMS[language][pool])
        text = text.replace("{item}", item)
        slots[ITEM_SLOT] = item
    if "{n}" in text:
        n = rng.choice(MINUTES[pool])
        text = text.replace("{n}", str(n))
        slots[MINUTES_SLOT] = n
    return Request(language, text, phrase.intent, slots, phrase.novel, phrase.pattern)


def requests(language: str, count: int, *, seed: int = 0, held_out: bool = False) -> list[Request]:
    """``count`` requests in ``language``; ``held_out`` draws slot values from the other pool."""
    rng = random.Random(f"{language}:{seed}:{held_out}")
    bank = [p for p in BANKS[language] if held_out or not p.held_out_only]
    return [make_request(rng.choice(bank), language, rng, 1 if held_out else 0) for _ in range(count)]


def held_out_set(language: str, *, per_phrase: int = 4, seed: int = 1) -> list[Request]:
    """Every phrasing of the bank (including the held-out-only ones), ``per_phrase`` times with
    held-out values: a balanced test set."""
    rng = random.Random(f"held:{language}:{seed}")
    return [make_request(p, language, rng, 1) for p in BANKS[language] for _ in range(per_phrase)]


# -- the review pipeline's records for one reviewed request ------------------------------------

def reviewer(session: Session, keys: KeyProvider, email: str, *, languages: str = "en,fr,de",
             role: str = "reviewer") -> Staff:
    staff = Staff(id=new_id(), password_hash="!", role=role, languages=languages)
    seal_staff_identity(keys, staff, email=email, display_name=email.split("@")[0])
    session.add(staff)
    session.flush()
    return staff


def gold_check(session: Session, staff: Staff, *, correct: int = 5, wrong: int = 0, language: str = "en") -> None:
    """Answers of ``staff`` on gold tasks (synthetic content): what the gold check is computed from."""
    for i in range(correct + wrong):
        task = ReviewTask(id=new_id(), language=language, status="done", is_gold=True,
                          gold_answer={"intent": "HassGetCurrentTime"}, created_week=_week())
        session.add(task)
        session.flush()
        session.add(Annotation(id=new_id(), task_id=task.id, reviewer_id=staff.id, kind="label",
                               intent="HassGetCurrentTime", gold_correct=i < correct))
    session.flush()


def _week() -> str:
    year, week, _ = utcnow().isocalendar()
    return f"{year}-W{week:02d}"


def reviewed_task(
    session: Session, vault: Vault, *, owner_id: str, request: Request, reviewers: list[Staff],
    asr_text: str | None = None, sensitive: bool = False, disagree: bool = False, turn_id: str | None = None,
) -> ReviewTask:
    """A task done by ``reviewers`` (two means double review), sealed as the pipeline seals it."""
    task_id = new_id()
    task_key, wrapped = vault.new_task_key(owner_id, task_id)
    turn_ref = turn_id or new_id()
    session.add(ReviewLink(task_id=task_id, owner_id=owner_id,
                           turn_ref_ct=vault.seal(owner_id, task_id, "turn-ref", turn_ref.encode()),
                           turn_tag=vault.item_tag(owner_id, turn_ref), wrapped_task_key=wrapped))
    heard = asr_text if asr_text is not None else request.text
    task = ReviewTask(id=task_id, language=request.language, status="sensitive" if sensitive else "done",
                      queue="general", reviews_needed=len(reviewers), created_week=_week(),
                      content_ct=seal_content(task_key, task_id, {"transcript": heard, "slots": {}, "entities": []}))
    session.add(task)
    session.flush()
    intents = []
    for i, staff in enumerate(reviewers):
        intent = request.intent if not (disagree and i == 1) else "HassGetCurrentDate"
        intents.append(intent)
        ann_id = new_id()
        kind = "sensitive" if sensitive else "label"
        payload = {"transcript": request.text, "slots": request.slots}
        session.add(Annotation(id=ann_id, task_id=task_id, reviewer_id=staff.id, kind=kind, intent=intent,
                               sensitive_category="health" if sensitive else None,
                               payload_ct=seal_annotation(task_key, task_id, ann_id, payload)))
    if len(reviewers) >= 2:
        session.add(ReviewAgreement(task_id=task_id, reviewer_a=reviewers[0].id, reviewer_b=reviewers[1].id,
                                    intent_a=intents[0], intent_b=intents[1], wer=0.0, week=_week()))
    session.flush()
    return task


