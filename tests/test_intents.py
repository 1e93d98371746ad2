"""Intents from our sentence files in en/fr/de, and the skills that answer them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecoute.assistant import intents
from ecoute.assistant.context import JsonFileState, MemoryState, TurnContext
from ecoute.assistant.intents import recognize
from ecoute.assistant.skills import SKILLS, answer, convert

CASES = {
    "en": [
        ("What time is it?", "HassGetCurrentTime", {}),
        ("what's the date today", "HassGetCurrentDate", {}),
        ("Set a timer for 5 minutes.", "HassStartTimer", {"timer_minutes": 5}),
        ("set a timer for one hour and thirty minutes", "HassStartTimer", {"timer_hours": 1, "timer_minutes": 30}),
        ("cancel the timer", "HassCancelTimer", {}),
        ("how much time is left on the timer", "HassTimerStatus", {}),
        ("Set an alarm for 7:30 a.m.", "EcouteSetAlarm", {"alarm_hour": 7, "alarm_minute": 30, "alarm_period": "am"}),
        ("cancel my alarms", "EcouteCancelAlarm", {}),
        ("what alarms do I have", "EcouteListAlarms", {}),
        ("Add oat milk to my shopping list.", "HassShoppingListAddItem", {"shopping_list_item": "oat milk"}),
        ("remove eggs from the shopping list", "HassShoppingListRemoveItem", {"shopping_list_item": "eggs"}),
        ("what's on my shopping list", "HassShoppingListGetItems", {}),
        ("What is 12 times 7?", "EcouteArithmetic", {"number_a": 12, "operator": "*", "number_b": 7}),
        ("convert 5 kilometers to miles", "EcouteConvertUnit", {"value": 5, "unit_from": "km", "unit_to": "mi"}),
        ("what can you do", "EcouteHelp", {}),
        ("stop", "HassNevermind", {}),
        ("Delete what I just said.", "EcouteDeleteLastTurn", {}),
        ("delete everything I said today", "EcouteDeleteToday", {}),
        ("That wasn't for you.", "EcouteNotForMe", {}),
        ("Are you recording?", "EcouteRecordingStatus", {}),
        ("stop sending my recordings for review", "EcouteStopReview", {}),
        ("Who listened to my recordings?", "EcouteWhoListened", {}),
    ],
    "fr": [
        ("Quelle heure est-il ?", "HassGetCurrentTime", {}),
        ("Quelle est la date d'aujourd'hui ?", "HassGetCurrentDate", {}),
        ("Mets un minuteur de cinq minutes", "HassStartTimer", {"timer_minutes": 5}),
        ("Annule le minuteur", "HassCancelTimer", {}),
        ("Combien de temps reste-t-il ?", "HassTimerStatus", {}),
        ("Réveille-moi à 7 heures 30", "EcouteSetAlarm", {"alarm_hour": 7, "alarm_minute": 30}),
        ("Ajoute du lait à la liste de courses", "HassShoppingListAddItem", {"shopping_list_item": "du lait"}),
        ("Qu'est-ce qu'il y a sur la liste de courses ?", "HassShoppingListGetItems", {}),
        ("Combien font 12 fois 7 ?", "EcouteArithmetic", {"number_a": 12, "operator": "*", "number_b": 7}),
        ("Convertis 5 kilomètres en miles", "EcouteConvertUnit", {"value": 5, "unit_from": "km", "unit_to": "mi"}),
        ("Qu'est-ce que tu sais faire ?", "EcouteHelp", {}),
        ("Efface ce que je viens de dire", "EcouteDeleteLastTurn", {}),
        ("Efface tout ce que j'ai dit aujourd'hui", "EcouteDeleteToday", {}),
        ("Ce n'était pas pour toi", "EcouteNotForMe", {}),
        ("Est-ce que tu enregistres ?", "EcouteRecordingStatus", {}),
        ("Arrête d'envoyer mes enregistrements à la relecture", "EcouteStopReview", {}),
        ("Qui a écouté mes enregistrements ?", "EcouteWhoListened", {}),
    ],
    "de": [
        ("Wie spät ist es?", "HassGetCurrentTime", {}),
        ("Welches Datum ist heute?", "HassGetCurrentDate", {}),
        ("Stelle einen Timer auf fünf Minuten", "HassStartTimer", {"timer_minutes": 5}),
        ("Stoppe den Timer", "HassCancelTimer", {}),
        ("Weck mich um 7 Uhr 30", "EcouteSetAlarm", {"alarm_hour": 7, "alarm_minute": 30}),
        ("Füge Milch zur Einkaufsliste hinzu", "HassShoppingListAddItem", {"shopping_list_item": "milch"}),
        ("Was steht auf der Einkaufsliste?", "HassShoppingListGetItems", {}),
        ("Was ist 12 mal 7?", "EcouteArithmetic", {"number_a": 12, "operator": "*", "number_b": 7}),
        ("Rechne 5 Kilometer in Meilen um", "EcouteConvertUnit", {"value": 5, "unit_from": "km", "unit_to": "mi"}),
        ("Was kannst du?", "EcouteHelp", {}),
        ("Lösche was ich gerade gesagt habe", "EcouteDeleteLastTurn", {}),
        ("Lösche alles was ich heute gesagt habe", "EcouteDeleteToday", {}),
        ("Das war nicht für dich", "EcouteNotForMe", {}),
        ("Nimmst du gerade auf?", "EcouteRecordingStatus", {}),
        ("Schicke meine Aufnahmen nicht mehr zur Überprüfung", "EcouteStopReview", {}),
        ("Wer hat meine Aufnahmen angehört?", "EcouteWhoListened", {}),
    ],
}


@pytest.mark.parametrize("lang, text, intent, slots",
                         [(lang, *case) for lang, cases in CASES.items() for case in cases])
def test_sentences(lang: str, text: str, intent: str, slots: dict) -> None:
    match = recognize(text, lang)
    assert match is not None, text
    assert (match.intent, match.slots) == (intent, slots)


@pytest.mark.parametrize("lang, text", [("en", "play some jazz"), ("fr", "joue de la musique"), ("de", "spiel Musik")])
def test_unknown_requests_do_not_match(lang: str, text: str) -> None:
    assert recognize(text, lang) is None


def test_every_language_covers_the_same_intents() -> None:
    names = {lang: set(intents.load_intents(lang).intents) for lang in intents.LANGUAGES}
    assert names["en"] == names["fr"] == names["de"]
    assert names["en"] <= set(SKILLS)  # every intent has a skill


def test_extra_sentence_directory_extends_without_code(tmp_path) -> None:
    assert recognize("how late is it", "en") is None
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "accepted.yaml").write_text(
        "language: en\nintents:\n  HassGetCurrentTime:\n    data:\n      - sentences:\n          - \"how late is it\"\n")
    match = recognize("how late is it", "en", extra_dir=tmp_path)
    assert match is not None and match.intent == "HassGetCurrentTime"


NOW = datetime(2026, 11, 28, 17, 5, tzinfo=UTC)


def _ask(text: str, lang: str, ctx: TurnContext):
    return answer(recognize(text, lang), ctx, lang)


def test_time_and_date_answers_in_each_language() -> None:
    ctx = TurnContext(now=NOW)
    assert _ask("what time is it", "en", ctx).text == "It is 5:05 PM."
    assert _ask("quelle heure est-il", "fr", ctx).text == "Il est 17 h 05."
    assert _ask("wie spät ist es", "de", ctx).text == "Es ist 17:05 Uhr."
    assert _ask("welches Datum ist heute", "de", ctx).text == "Heute ist Samstag, der 28. November 2026."


def test_timer_lifecycle_with_injected_clock() -> None:
    ctx = TurnContext(now=NOW)
    assert _ask("set a timer for 5 minutes", "en", ctx).text == "Timer set for 5 minutes."
    ctx.now = NOW + timedelta(seconds=110)
    left = _ask("how much time is left on the timer", "en", ctx)
    assert left.data == {"seconds_left": 190} and left.text == "3 minutes and 10 seconds left."
    assert _ask("cancel the timer", "en", ctx).text == "Timer cancelled."
    assert _ask("how much time is left on the timer", "en", ctx).text == "There is no timer running."


def test_alarms_and_shopping_list_persist_in_state(tmp_path) -> None:
    ctx = TurnContext(now=NOW, state=JsonFileState(tmp_path / "state.json"))
    assert _ask("wake me up at 7 pm", "en", ctx).text == "Alarm set for 7:00 PM."
    assert _ask("what alarms do I have", "en", ctx).text == "Your alarms: 7:00 PM."
    _ask("Ajoute des œufs à la liste de courses", "fr", ctx)
    _ask("add milk to my shopping list", "en", ctx)
    reloaded = TurnContext(now=NOW, state=JsonFileState(tmp_path / "state.json"))
    assert reloaded.state.get("shopping_list") == {"items": ["œufs", "milk"]}
    assert _ask("Enlève les œufs de la liste de courses", "fr", reloaded).text.startswith("J'ai retiré œufs")
    assert _ask("what's on my shopping list", "en", reloaded).text == "On your shopping list: milk."


def test_arithmetic_and_conversion() -> None:
    ctx = TurnContext(now=NOW)
    assert _ask("what is 12 times 7", "en", ctx).text == "12 times 7 is 84."
    assert _ask("what's 10 divided by 4", "en", ctx).text == "10 divided by 4 is 2.5."
    assert _ask("Was ist 10 geteilt durch 4", "de", ctx).text == "10 geteilt durch 4 ist 2,5."
    assert _ask("what is 5 divided by 0", "en", ctx).text == "I can't divide by zero."
    assert convert(100, "c", "f") == pytest.approx(212)
    assert convert(5, "km", "mi") == pytest.approx(3.10686, rel=1e-4)
    assert convert(5, "km", "kg") is None
    assert _ask("convert 5 kilograms to miles", "en", ctx).text == "I can't convert kg to mi."


def test_unknown_is_honest_and_unhandled() -> None:
    reply = answer(None, TurnContext(), "fr")
    assert reply.handled is False and reply.text == "Désolé, je ne sais pas encore faire ça."


class PlatformPrivacy:
    """Stands in for the platform's implementation of the PrivacyActions protocol."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def delete_last_turn(self) -> bool:
        self.calls.append("delete_last_turn")
        return True

    def delete_today(self) -> int:
        return 3

    def not_for_me(self) -> bool:
        self.calls.append("not_for_me")
        return True

    def recording_status(self) -> dict:
        return {"keeping": True, "auto_delete_days": 30, "review_opt_in": False}

    def stop_review(self) -> int:
        return 2

    def who_listened(self) -> list[dict]:
        return [{"day": "2026-11-20", "role": "reviewer", "site_country": "FR", "language_team": "fr", "count": 1}]


def test_privacy_intents_without_a_store_say_nothing_is_kept() -> None:
    reply = _ask("delete what I just said", "en", TurnContext())
    assert reply.data == {"stored": False} and "Nothing is stored" in reply.text
    assert "ne garde aucun" in _ask("est-ce que tu enregistres", "fr", TurnContext()).text


def test_privacy_intents_call_the_platform() -> None:
    privacy = PlatformPrivacy()
    ctx = TurnContext(privacy=privacy)
    assert _ask("delete what I just said", "en", ctx).text == "Deleted what you just said."
    assert _ask("that wasn't for you", "en", ctx).data == {"deleted": True}
    assert privacy.calls == ["delete_last_turn", "not_for_me"]
    assert _ask("Lösche alles was ich heute gesagt habe", "de", ctx).text == "Ich habe 3 Aufnahmen von heute gelöscht."
    assert "30 days" in _ask("are you recording", "en", ctx).text
    assert "2 pending" in _ask("stop sending my recordings for review", "en", ctx).text
    assert "reviewer" in _ask("who listened to my recordings", "en", ctx).text


def test_memory_state_returns_copies() -> None:
    state = MemoryState()
    state.put("x", {"items": [1]})
    state.get("x")["items"].append(2)
    assert state.get("x") == {"items": [1]}
