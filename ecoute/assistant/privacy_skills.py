"""The voice privacy controls: owners can delete, ask and opt out by voice.

The platform implements :class:`~ecoute.assistant.context.PrivacyActions`; without it
(the CLI's ``ask``) nothing is stored, and these intents say so rather than pretend.
"""

from __future__ import annotations

from collections.abc import Callable

from ecoute.assistant import phrases as P
from ecoute.assistant.context import PrivacyActions, TurnContext
from ecoute.assistant.intents import IntentMatch
from ecoute.assistant.listened import spoken_answer
from ecoute.assistant.skills import Answer, skill


def _with_privacy(no_store_key: str) -> Callable:
    def wrap(fn: Callable[[IntentMatch, PrivacyActions], Answer]) -> Callable[[IntentMatch, TurnContext], Answer]:
        def run(m: IntentMatch, ctx: TurnContext) -> Answer:
            if ctx.privacy is None:
                return Answer(P.say(m.language, no_store_key), data={"stored": False})
            return fn(m, ctx.privacy)

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        return run

    return wrap


@skill("EcouteDeleteLastTurn")
@_with_privacy("no_store")
def delete_last(m: IntentMatch, privacy: PrivacyActions) -> Answer:
    done = privacy.delete_last_turn()
    return Answer(P.say(m.language, "deleted_last" if done else "deleted_last_none"), data={"deleted": done})


@skill("EcouteDeleteToday")
@_with_privacy("no_store")
def delete_today(m: IntentMatch, privacy: PrivacyActions) -> Answer:
    n = privacy.delete_today()
    return Answer(P.say(m.language, "deleted_today", n=n), data={"deleted": n})


@skill("EcouteNotForMe")
@_with_privacy("no_store")
def not_for_me(m: IntentMatch, privacy: PrivacyActions) -> Answer:
    done = privacy.not_for_me()
    return Answer(P.say(m.language, "not_for_me" if done else "deleted_last_none"), data={"deleted": done})


@skill("EcouteRecordingStatus")
@_with_privacy("status_no_store")
def recording_status(m: IntentMatch, privacy: PrivacyActions) -> Answer:
    st = privacy.recording_status()
    review = P.say(m.language, "review_on" if st.get("review_opt_in") else "review_off")
    if not st.get("keeping", True):
        return Answer(P.say(m.language, "status_not_keeping", review=review), data=st)
    days = st.get("auto_delete_days")
    suffix = P.say(m.language, "auto_delete", n=days) if days else ""
    return Answer(P.say(m.language, "status", days=suffix, review=review), data=st)


@skill("EcouteStopReview")
@_with_privacy("no_store")
def stop_review(m: IntentMatch, privacy: PrivacyActions) -> Answer:
    n = privacy.stop_review()
    return Answer(P.say(m.language, "review_stopped", n=n), data={"removed": n})


@skill("EcouteWhoListened")
@_with_privacy("no_store")
def who_listened(m: IntentMatch, privacy: PrivacyActions) -> Answer:
    # the same facts as the owner's "who listened" page (role, site country, language team,
    # day — never a name), fetched by the platform through the PrivacyActions protocol
    entries = privacy.who_listened()
    return Answer(spoken_answer(entries, m.language), data={"entries": entries})
