"""The spoken answer to "who listened to my recordings?".

Built from the entries the owner's "who listened" page shows (role, site country, language
team, day — never a name), which the platform hands the skill through the ``PrivacyActions``
protocol; the words are the assistant's, so a stand-in platform gets the same sentence.
"""

from __future__ import annotations

from typing import Any

_PHRASES: dict[str, dict[str, Any]] = {
    "en": {
        "none": "Nobody has listened to your recordings.",
        "total": "Your recordings were listened to {n} {times}: ",
        "part": "{n} {times} by a {role} in {country}, {team} team, on {day}",
        "time": ("time", "times"),
        "role": {"reviewer": "reviewer", "lead": "review lead"},
        "sep": "; ",
    },
    "fr": {
        "none": "Personne n'a écouté vos enregistrements.",
        "total": "Vos enregistrements ont été écoutés {n} {times} : ",
        "part": "{n} {times} par un {role} en {country}, équipe {team}, le {day}",
        "time": ("fois", "fois"),
        "role": {"reviewer": "relecteur", "lead": "responsable de relecture"},
        "sep": " ; ",
    },
    "de": {
        "none": "Niemand hat Ihre Aufnahmen angehört.",
        "total": "Ihre Aufnahmen wurden {n} {times} angehört: ",
        "part": "{n} {times} von einem {role} in {country}, Team {team}, am {day}",
        "time": ("Mal", "Mal"),
        "role": {"reviewer": "Prüfer", "lead": "Prüfleiter"},
        "sep": "; ",
    },
}


def spoken_answer(entries: list[dict], language: str) -> str:
    """The voice answer to "who listened to my recordings?", from the overall entries."""
    p = _PHRASES.get(language, _PHRASES["en"])
    overall = [e for e in entries if e.get("scope", "overall") == "overall"]
    if not overall:
        return p["none"]
    total = sum(e["count"] for e in overall)
    parts = [
        p["part"].format(
            n=e["count"],
            times=p["time"][e["count"] != 1],
            role=p["role"].get(e["role"], e["role"]),
            country=e.get("site_country") or "?",
            team=e.get("language_team") or "?",
            day=e["day"],
        )
        for e in overall
    ]
    return p["total"].format(n=total, times=p["time"][total != 1]) + p["sep"].join(parts) + "."
