"""The synthesised test set shared by the speech benchmarks (not a benchmark itself).

Requests per language with their expected intent and slots, spoken by every voice of
ecoute.audio.synth (espeak-ng and flite, speed and pitch variants). Phrasings are
written to be natural, not copied from the sentence files' first examples.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecoute.audio.synth import VOICES, Voice

REQUESTS: dict[str, list[tuple[str, str, dict]]] = {
    "en": [
        ("what time is it", "HassGetCurrentTime", {}),
        ("what is the date today", "HassGetCurrentDate", {}),
        ("set a timer for ten minutes", "HassStartTimer", {"timer_minutes": 10}),
        ("how much time is left on the timer", "HassTimerStatus", {}),
        ("cancel the timer", "HassCancelTimer", {}),
        ("wake me up at seven thirty", "EcouteSetAlarm", {"alarm_hour": 7, "alarm_minute": 30}),
        ("add bread to my shopping list", "HassShoppingListAddItem", {"shopping_list_item": "bread"}),
        ("what is on my shopping list", "HassShoppingListGetItems", {}),
        ("what is twelve times seven", "EcouteArithmetic", {"number_a": 12, "operator": "*", "number_b": 7}),
        ("convert ten kilometers to miles", "EcouteConvertUnit", {"value": 10, "unit_from": "km", "unit_to": "mi"}),
        ("what can you do", "EcouteHelp", {}),
        ("delete what I just said", "EcouteDeleteLastTurn", {}),
    ],
    "fr": [
        ("quelle heure est-il", "HassGetCurrentTime", {}),
        ("quelle est la date d'aujourd'hui", "HassGetCurrentDate", {}),
        ("mets un minuteur de dix minutes", "HassStartTimer", {"timer_minutes": 10}),
        ("combien de temps reste-t-il", "HassTimerStatus", {}),
        ("annule le minuteur", "HassCancelTimer", {}),
        ("réveille-moi à sept heures", "EcouteSetAlarm", {"alarm_hour": 7}),
        ("ajoute du pain à la liste de courses", "HassShoppingListAddItem", {"shopping_list_item": "du pain"}),
        ("qu'est-ce qu'il y a sur la liste de courses", "HassShoppingListGetItems", {}),
        ("combien font douze fois sept", "EcouteArithmetic", {"number_a": 12, "operator": "*", "number_b": 7}),
        ("convertis dix kilomètres en miles", "EcouteConvertUnit", {"value": 10, "unit_from": "km", "unit_to": "mi"}),
        ("qu'est-ce que tu sais faire", "EcouteHelp", {}),
        ("efface ce que je viens de dire", "EcouteDeleteLastTurn", {}),
    ],
    "de": [
        ("wie spät ist es", "HassGetCurrentTime", {}),
        ("welches Datum ist heute", "HassGetCurrentDate", {}),
        ("stelle einen Timer auf zehn Minuten", "HassStartTimer", {"timer_minutes": 10}),
        ("wie lange läuft der Timer noch", "HassTimerStatus", {}),
        ("stoppe den Timer", "HassCancelTimer", {}),
        ("weck mich um sieben Uhr", "EcouteSetAlarm", {"alarm_hour": 7}),
        ("setze Brot auf die Einkaufsliste", "HassShoppingListAddItem", {"shopping_list_item": "brot"}),
        ("was steht auf der Einkaufsliste", "HassShoppingListGetItems", {}),
        ("was ist zwölf mal sieben", "EcouteArithmetic", {"number_a": 12, "operator": "*", "number_b": 7}),
        ("rechne zehn Kilometer in Meilen um", "EcouteConvertUnit", {"value": 10, "unit_from": "km", "unit_to": "mi"}),
        ("was kannst du", "EcouteHelp", {}),
        ("lösche was ich gerade gesagt habe", "EcouteDeleteLastTurn", {}),
    ],
}


@dataclass(frozen=True)
class Item:
    language: str
    text: str
    intent: str
    slots: dict
    voice: Voice


def items(languages: tuple[str, ...] = ("en", "fr", "de")) -> list[Item]:
    return [Item(lang, text, intent, slots, voice)
            for lang in languages for voice in VOICES[lang] for text, intent, slots in REQUESTS[lang]]
