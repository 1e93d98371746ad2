"""What the assistant says, per language: one table, so a new language is one new block.

Skills pick a key and fill in values; nothing else in the code builds sentences.
"""

from __future__ import annotations

from datetime import datetime

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "time": "It is {time}.",
        "date": "Today is {weekday}, {day} {month} {year}.",
        "timer_set": "Timer set for {duration}.",
        "timer_cancelled": "Timer cancelled.",
        "timers_cancelled": "{n} timers cancelled.",
        "no_timer": "There is no timer running.",
        "timer_left": "{duration} left.",
        "timer_done": "Your timer is done.",
        "alarm_set": "Alarm set for {time}.",
        "alarm_cancelled": "Alarms cancelled.",
        "no_alarm": "You have no alarms.",
        "alarms": "Your alarms: {items}.",
        "list_added": "Added {item} to your shopping list.",
        "list_removed": "Removed {item} from your shopping list.",
        "list_missing": "{item} is not on your shopping list.",
        "list_empty": "Your shopping list is empty.",
        "list_items": "On your shopping list: {items}.",
        "math": "{a} {op} {b} is {result}.",
        "div_zero": "I can't divide by zero.",
        "convert": "{value} {unit_from} is {result} {unit_to}.",
        "convert_bad": "I can't convert {unit_from} to {unit_to}.",
        "help": ("I can tell the time and date, set, check and cancel timers and alarms, keep a shopping "
                 "list, do simple arithmetic and unit conversions, and tell you about your recordings."),
        "ok": "OK.",
        "unknown": "Sorry, I can't do that yet.",
        "no_store": "Nothing is stored in this mode: this request was handled on this machine and not kept.",
        "status_no_store": "I'm not keeping any recordings in this mode.",
        "deleted_last": "Deleted what you just said.",
        "deleted_last_none": "There was nothing to delete.",
        "deleted_today": "Deleted {n} recordings from today.",
        "not_for_me": "Sorry about that. I deleted it.",
        "status": "I keep your recordings{days}. Human review is {review}.",
        "status_not_keeping": "I'm not keeping your recordings. Human review is {review}.",
        "auto_delete": ", deleted automatically after {n} days",
        "review_on": "on, you opted in",
        "review_off": "off",
        "review_stopped": "Done. Your recordings will not be sent for review; {n} pending items were removed.",
        "and": "and",
        "hours": "{n} hour|{n} hours",
        "minutes": "{n} minute|{n} minutes",
        "seconds": "{n} second|{n} seconds",
        "ops": "plus|minus|times|divided by",
    },
    "fr": {
        "time": "Il est {time}.",
        "date": "Nous sommes le {weekday} {day} {month} {year}.",
        "timer_set": "Minuteur réglé sur {duration}.",
        "timer_cancelled": "Minuteur annulé.",
        "timers_cancelled": "{n} minuteurs annulés.",
        "no_timer": "Aucun minuteur en cours.",
        "timer_left": "Il reste {duration}.",
        "timer_done": "Votre minuteur est terminé.",
        "alarm_set": "Réveil réglé à {time}.",
        "alarm_cancelled": "Réveils annulés.",
        "no_alarm": "Vous n'avez aucun réveil.",
        "alarms": "Vos réveils : {items}.",
        "list_added": "J'ai ajouté {item} à votre liste de courses.",
        "list_removed": "J'ai retiré {item} de votre liste de courses.",
        "list_missing": "{item} n'est pas sur votre liste de courses.",
        "list_empty": "Votre liste de courses est vide.",
        "list_items": "Sur votre liste de courses : {items}.",
        "math": "{a} {op} {b} font {result}.",
        "div_zero": "Je ne peux pas diviser par zéro.",
        "convert": "{value} {unit_from} font {result} {unit_to}.",
        "convert_bad": "Je ne peux pas convertir des {unit_from} en {unit_to}.",
        "help": ("Je peux donner l'heure et la date, régler, consulter et annuler des minuteurs et des "
                 "réveils, tenir une liste de courses, faire des calculs simples et des conversions "
                 "d'unités, et vous renseigner sur vos enregistrements."),
        "ok": "D'accord.",
        "unknown": "Désolé, je ne sais pas encore faire ça.",
        "no_store": "Rien n'est conservé dans ce mode : la demande a été traitée sur cette machine sans être gardée.",
        "status_no_store": "Je ne garde aucun enregistrement dans ce mode.",
        "deleted_last": "J'ai effacé ce que vous venez de dire.",
        "deleted_last_none": "Il n'y avait rien à effacer.",
        "deleted_today": "J'ai effacé {n} enregistrements d'aujourd'hui.",
        "not_for_me": "Désolé. Je l'ai effacé.",
        "status": "Je garde vos enregistrements{days}. La relecture humaine est {review}.",
        "status_not_keeping": "Je ne garde pas vos enregistrements. La relecture humaine est {review}.",
        "auto_delete": ", effacés automatiquement après {n} jours",
        "review_on": "activée, vous l'avez acceptée",
        "review_off": "désactivée",
        "review_stopped": "C'est fait. Vos enregistrements ne seront plus relus ; {n} éléments en attente ont été retirés.",
        "and": "et",
        "hours": "{n} heure|{n} heures",
        "minutes": "{n} minute|{n} minutes",
        "seconds": "{n} seconde|{n} secondes",
        "ops": "plus|moins|fois|divisé par",
    },
    "de": {
        "time": "Es ist {time} Uhr.",
        "date": "Heute ist {weekday}, der {day}. {month} {year}.",
        "timer_set": "Timer auf {duration} gestellt.",
        "timer_cancelled": "Timer abgebrochen.",
        "timers_cancelled": "{n} Timer abgebrochen.",
        "no_timer": "Es läuft kein Timer.",
        "timer_left": "Noch {duration}.",
        "timer_done": "Dein Timer ist abgelaufen.",
        "alarm_set": "Wecker auf {time} Uhr gestellt.",
        "alarm_cancelled": "Wecker gelöscht.",
        "no_alarm": "Du hast keine Wecker.",
        "alarms": "Deine Wecker: {items}.",
        "list_added": "{item} steht jetzt auf deiner Einkaufsliste.",
        "list_removed": "{item} wurde von deiner Einkaufsliste entfernt.",
        "list_missing": "{item} steht nicht auf deiner Einkaufsliste.",
        "list_empty": "Deine Einkaufsliste ist leer.",
        "list_items": "Auf deiner Einkaufsliste: {items}.",
        "math": "{a} {op} {b} ist {result}.",
        "div_zero": "Durch null kann ich nicht teilen.",
        "convert": "{value} {unit_from} sind {result} {unit_to}.",
        "convert_bad": "{unit_from} kann ich nicht in {unit_to} umrechnen.",
        "help": ("Ich kann dir Uhrzeit und Datum sagen, Timer und Wecker stellen, abfragen und löschen, "
                 "eine Einkaufsliste führen, einfach rechnen, Einheiten umrechnen und dir über deine "
                 "Aufnahmen Auskunft geben."),
        "ok": "Okay.",
        "unknown": "Das kann ich leider noch nicht.",
        "no_store": "In diesem Modus wird nichts gespeichert: die Anfrage wurde auf diesem Gerät bearbeitet und nicht aufbewahrt.",
        "status_no_store": "In diesem Modus speichere ich keine Aufnahmen.",
        "deleted_last": "Ich habe gelöscht, was du gerade gesagt hast.",
        "deleted_last_none": "Es gab nichts zu löschen.",
        "deleted_today": "Ich habe {n} Aufnahmen von heute gelöscht.",
        "not_for_me": "Entschuldigung. Ich habe es gelöscht.",
        "status": "Ich speichere deine Aufnahmen{days}. Die Überprüfung durch Menschen ist {review}.",
        "status_not_keeping": "Ich speichere deine Aufnahmen nicht. Die Überprüfung durch Menschen ist {review}.",
        "auto_delete": " und lösche sie nach {n} Tagen automatisch",
        "review_on": "eingeschaltet, du hast zugestimmt",
        "review_off": "ausgeschaltet",
        "review_stopped": "Erledigt. Deine Aufnahmen werden nicht mehr überprüft; {n} offene Aufgaben wurden entfernt.",
        "and": "und",
        "hours": "{n} Stunde|{n} Stunden",
        "minutes": "{n} Minute|{n} Minuten",
        "seconds": "{n} Sekunde|{n} Sekunden",
        "ops": "plus|minus|mal|geteilt durch",
    },
}

WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"],
}
#: Articles a shopping item may carry in speech; stripped so "les œufs" removes "des œufs".
ARTICLES = {
    "en": ("some ", "the ", "a ", "an "),
    "fr": ("du ", "de la ", "de l'", "des ", "les ", "le ", "la ", "l'", "un ", "une ", "de "),
    "de": ("die ", "der ", "das ", "den ", "ein ", "eine ", "einen ", "etwas "),
}


def say(language: str, key: str, **values: object) -> str:
    table = PHRASES.get(language, PHRASES["en"])
    return table[key].format(**values)


def plural(language: str, key: str, n: int) -> str:
    one, many = PHRASES.get(language, PHRASES["en"])[key].split("|")
    return (one if n == 1 else many).format(n=n)


def duration(language: str, seconds: int) -> str:
    """5 minutes / 1 heure et 30 minutes / 2 Minuten und 10 Sekunden."""
    h, rest = divmod(max(0, round(seconds)), 3600)
    m, s = divmod(rest, 60)
    parts = [plural(language, k, v) for k, v in (("hours", h), ("minutes", m), ("seconds", s)) if v]
    if not parts:
        parts = [plural(language, "seconds", 0)]
    joiner = f" {say(language, 'and')} "
    return ", ".join(parts[:-1]) + joiner + parts[-1] if len(parts) > 1 else parts[0]


def clock(language: str, hour: int, minute: int) -> str:
    if language == "en":
        suffix = "AM" if hour < 12 else "PM"
        return f"{(hour % 12) or 12}:{minute:02d} {suffix}"
    if language == "fr":
        return f"{hour} h {minute:02d}" if minute else f"{hour} h"
    return f"{hour}:{minute:02d}"


def number(language: str, value: float) -> str:
    """Up to 2 decimals, no trailing zeros, decimal comma in French and German."""
    text = f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return text.replace(".", ",") if language in ("fr", "de") else text


def long_date(language: str, when: datetime) -> str:
    return say(language, "date", weekday=WEEKDAYS[language][when.weekday()], day=when.day,
               month=MONTHS[language][when.month - 1], year=when.year)
