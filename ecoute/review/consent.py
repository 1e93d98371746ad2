"""The consent ledger for human review: off until an owner opts in, per owner, revocable at once.

Each decision is a new row of ``consents`` (append-only): the latest row is in force. The
row keeps the version of the text the owner saw and the sha256 of that exact text, so
"what did I agree to?" has a precise answer even after the wording changes. Children's
profiles can never be opted in: the owner flag ``is_child`` is checked here, not in pages.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.errors import BadInput, Forbidden, NotFound
from ecoute.review.purge import remove_unreviewed_tasks_for_owner
from ecoute.store.schema.owner import Consent, Owner
from ecoute.store.vault import Actor, Vault

PURPOSE = "review"
VIA = frozenset({"web", "voice", "api", "cli"})

#: The texts owners agree to, by version and language. A new wording is a new version;
#: old versions stay here so the hash of what someone agreed to can always be checked.
CONSENT_TEXTS: dict[str, dict[str, str]] = {
    "review-2026-11": {
        "en": (
            "Help improve écoute. If you opt in, a very small random sample of your requests "
            "(at most a few a month) may be listened to by trained reviewers to correct transcripts "
            "and labels. Before anyone hears a clip, names, numbers, addresses and other personal "
            "details are bleeped, your voice is disguised and the text is redacted. Reviewers never "
            "see your name, account, device or the exact time. You can see who listened (role, "
            "country, team, day), and you can stop at any time: clips not yet reviewed are removed "
            "at once. Children's profiles are never reviewed."
        ),
        "fr": (
            "Aidez à améliorer écoute. Si vous l'acceptez, un très petit échantillon aléatoire de vos "
            "demandes (quelques-unes par mois au plus) peut être écouté par des relecteurs formés pour "
            "corriger transcriptions et étiquettes. Avant toute écoute, noms, numéros, adresses et autres "
            "données personnelles sont masqués, votre voix est modifiée et le texte est expurgé. Les "
            "relecteurs ne voient jamais votre nom, votre compte, votre appareil ni l'heure exacte. Vous "
            "pouvez voir qui a écouté (rôle, pays, équipe, jour) et arrêter à tout moment : les extraits "
            "pas encore relus sont supprimés immédiatement. Les profils d'enfants ne sont jamais relus."
        ),
        "de": (
            "Helfen Sie, écoute zu verbessern. Wenn Sie zustimmen, kann eine sehr kleine Zufallsauswahl "
            "Ihrer Anfragen (höchstens einige im Monat) von geschulten Prüfern angehört werden, um "
            "Transkripte und Kennzeichnungen zu korrigieren. Vorher werden Namen, Nummern, Adressen und "
            "andere persönliche Angaben überpiept, Ihre Stimme verfremdet und der Text geschwärzt. Prüfer "
            "sehen nie Ihren Namen, Ihr Konto, Ihr Gerät oder die genaue Uhrzeit. Sie sehen, wer zugehört "
            "hat (Rolle, Land, Team, Tag), und können jederzeit aufhören: noch nicht geprüfte Ausschnitte "
            "werden sofort entfernt. Kinderprofile werden nie geprüft."
        ),
    }
}
CURRENT_VERSION = "review-2026-11"


def consent_text(language: str, version: str = CURRENT_VERSION) -> str:
    texts = CONSENT_TEXTS[version]
    return texts.get(language) or texts["en"]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def latest(session: Session, owner_id: str) -> Consent | None:
    return session.execute(
        select(Consent)
        .where(Consent.owner_id == owner_id, Consent.purpose == PURPOSE)
        .order_by(Consent.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def is_opted_in(session: Session, owner_id: str) -> bool:
    """True only if the latest review decision is a grant and the owner is an active adult."""
    owner = session.get(Owner, owner_id)
    if owner is None or owner.is_child or owner.status != "active":
        return False
    row = latest(session, owner_id)
    return bool(row and row.granted)


def _owner(session: Session, owner_id: str) -> Owner:
    owner = session.get(Owner, owner_id)
    if owner is None or owner.status != "active":
        raise NotFound("no such owner")
    return owner


def _check_via(via: str) -> str:
    if via not in VIA:
        raise BadInput(f"unknown consent channel {via!r} (one of {', '.join(sorted(VIA))})")
    return via


def opt_in(
    session: Session,
    vault: Vault,
    owner_id: str,
    via: str,
    *,
    version: str = CURRENT_VERSION,
    language: str | None = None,
) -> Consent:
    """Record that the owner agreed to the text of ``version`` in their language."""
    owner = _owner(session, owner_id)
    _check_via(via)
    if owner.is_child:
        raise Forbidden("children's profiles can never be opted in to human review")
    if version not in CONSENT_TEXTS:
        raise BadInput(f"unknown consent text version {version!r}")
    text = consent_text(language or owner.language, version)
    row = Consent(
        owner_id=owner_id,
        purpose=PURPOSE,
        granted=True,
        text_version=version,
        text_hash=text_hash(text),
        via=via,
    )
    session.add(row)
    vault.audit(
        Actor.owner(owner_id),
        action="consent",
        purpose="review: opt in",
        owner_id=owner_id,
        details={"via": via, "version": version},
    )
    session.flush()
    return row


def opt_out(session: Session, vault: Vault, owner_id: str, via: str) -> int:
    """Stop review now; returns how many not-yet-reviewed tasks of the owner were removed.

    Works for any owner (a child, or someone never opted in, gets a harmless no-op row),
    so the voice command "stop sending my recordings for review" always succeeds.
    """
    _owner(session, owner_id)
    _check_via(via)
    row = Consent(
        owner_id=owner_id,
        purpose=PURPOSE,
        granted=False,
        text_version=CURRENT_VERSION,
        text_hash=text_hash(consent_text("en")),
        via=via,
    )
    session.add(row)
    removed = remove_unreviewed_tasks_for_owner(session, vault, owner_id)
    vault.audit(
        Actor.owner(owner_id),
        action="consent",
        purpose="review: opt out",
        owner_id=owner_id,
        details={"via": via, "tasks_removed": removed},
    )
    session.flush()
    return removed
