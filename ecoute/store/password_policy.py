"""Which passwords écoute accepts, for owners and staff alike.

zxcvbn estimates how many guesses a password takes, using lists of common passwords,
names, words and keyboard patterns: "password", "12345678" or "qwertyuiop" score 0.
Score 3 ("safely unguessable: moderate protection from an offline slow-hash scenario",
about 10^8 guesses or more) is required, on top of a minimum length; the account's own
email and name count as known words, so "alice-alice" for alice@… is weak too.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 8
MIN_SCORE = 3
#: zxcvbn's running time grows with length; nothing longer is needed to be strong.
CHECKED_PREFIX = 100


def password_problem(password: str, user_inputs: tuple[str, ...] = ()) -> str | None:
    """Why ``password`` is refused (a sentence for the person), or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    result = zxcvbn(password[:CHECKED_PREFIX], user_inputs=[u for u in user_inputs if u])
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        hint = feedback.get("warning") or "it is too easy to guess"
        tips = " ".join(feedback.get("suggestions") or [])
        return f"this password is too weak ({hint.rstrip('.').lower()}). {tips}".strip()
    return None
