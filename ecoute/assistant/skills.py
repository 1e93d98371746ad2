"""Skills: what the assistant does once it knows the intent.

Each skill is a function (match, context) -> Answer registered under its intent name
in ``SKILLS``; the turn looks the intent up there, and anything missing is an honest
"I can't do that yet" marked unhandled (those requests matter later, for review).
State (timers, alarms, shopping list) goes through ``context.state`` so the platform
decides where and how it is stored.
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecoute.assistant import phrases as P
from ecoute.assistant.context import TurnContext
from ecoute.assistant.intents import IntentMatch


@dataclass
class Answer:
    text: str
    handled: bool = True
    data: dict | None = None


Skill = Callable[[IntentMatch, TurnContext], Answer]
SKILLS: dict[str, Skill] = {}


def skill(*intents: str) -> Callable[[Skill], Skill]:
    def register(fn: Skill) -> Skill:
        for name in intents:
            SKILLS[name] = fn
        return fn

    return register


def answer(match: IntentMatch | None, context: TurnContext, language: str) -> Answer:
    """Run the skill for ``match``; unknown or unmatched requests are answered honestly."""
    fn = SKILLS.get(match.intent) if match else None
    if match is None or fn is None:
        return Answer(P.say(language, "unknown"), handled=False)
    return fn(match, context)


# -- time and date ------------------------------------------------------------------


@skill("HassGetCurrentTime")
def current_time(m: IntentMatch, ctx: TurnContext) -> Answer:
    return Answer(P.say(m.language, "time", time=P.clock(m.language, ctx.now.hour, ctx.now.minute)))


@skill("HassGetCurrentDate")
def current_date(m: IntentMatch, ctx: TurnContext) -> Answer:
    return Answer(P.long_date(m.language, ctx.now))


# -- timers -------------------------------------------------------------------------


def _live_timers(ctx: TurnContext) -> list[dict]:
    timers = ctx.state.get("timers").get("items", [])
    return [t for t in timers if datetime.fromisoformat(t["ends_at"]) > ctx.now]


@skill("HassStartTimer")
def start_timer(m: IntentMatch, ctx: TurnContext) -> Answer:
    s = m.slots
    seconds = int(s.get("timer_hours", 0)) * 3600 + int(s.get("timer_minutes", 0)) * 60 + int(s.get("timer_seconds", 0))
    timer = {"id": uuid.uuid4().hex[:8], "seconds": seconds,
             "ends_at": (ctx.now + timedelta(seconds=seconds)).isoformat()}
    ctx.state.put("timers", {"items": _live_timers(ctx) + [timer]})
    return Answer(P.say(m.language, "timer_set", duration=P.duration(m.language, seconds)), data=timer)


@skill("HassCancelTimer")
def cancel_timer(m: IntentMatch, ctx: TurnContext) -> Answer:
    live = _live_timers(ctx)
    ctx.state.put("timers", {"items": []})
    if not live:
        return Answer(P.say(m.language, "no_timer"))
    if len(live) == 1:
        return Answer(P.say(m.language, "timer_cancelled"))
    return Answer(P.say(m.language, "timers_cancelled", n=len(live)))


@skill("HassTimerStatus")
def timer_status(m: IntentMatch, ctx: TurnContext) -> Answer:
    live = _live_timers(ctx)
    if not live:
        return Answer(P.say(m.language, "no_timer"))
    soonest = min(datetime.fromisoformat(t["ends_at"]) for t in live)
    left = (soonest - ctx.now).total_seconds()
    return Answer(P.say(m.language, "timer_left", duration=P.duration(m.language, int(left))),
                  data={"seconds_left": int(left)})


# -- alarms -------------------------------------------------------------------------


@skill("EcouteSetAlarm")
def set_alarm(m: IntentMatch, ctx: TurnContext) -> Answer:
    hour, minute = int(m.slots.get("alarm_hour", 0)), int(m.slots.get("alarm_minute", 0))
    period = m.slots.get("alarm_period")
    if period == "pm" and hour < 12:
        hour += 12
    elif period == "am" and hour == 12:
        hour = 0
    alarms = ctx.state.get("alarms").get("items", [])
    alarm = {"hour": hour, "minute": minute}
    if alarm not in alarms:
        alarms.append(alarm)
    ctx.state.put("alarms", {"items": sorted(alarms, key=lambda a: (a["hour"], a["minute"]))})
    return Answer(P.say(m.language, "alarm_set", time=P.clock(m.language, hour, minute)), data=alarm)


@skill("EcouteCancelAlarm")
def cancel_alarm(m: IntentMatch, ctx: TurnContext) -> Answer:
    had = ctx.state.get("alarms").get("items", [])
    ctx.state.put("alarms", {"items": []})
    return Answer(P.say(m.language, "alarm_cancelled" if had else "no_alarm"))


@skill("EcouteListAlarms")
def list_alarms(m: IntentMatch, ctx: TurnContext) -> Answer:
    alarms = ctx.state.get("alarms").get("items", [])
    if not alarms:
        return Answer(P.say(m.language, "no_alarm"))
    items = ", ".join(P.clock(m.language, a["hour"], a["minute"]) for a in alarms)
    return Answer(P.say(m.language, "alarms", items=items))


# -- shopping list ------------------------------------------------------------------


def _item(m: IntentMatch) -> str:
    item = str(m.slots.get("shopping_list_item", "")).strip().lower()
    for article in P.ARTICLES.get(m.language, ()):
        if item.startswith(article) and len(item) > len(article):
            return item[len(article):].strip()
    return item


@skill("HassShoppingListAddItem")
def list_add(m: IntentMatch, ctx: TurnContext) -> Answer:
    item = _item(m)
    items = ctx.state.get("shopping_list").get("items", [])
    if item not in items:
        items.append(item)
    ctx.state.put("shopping_list", {"items": items})
    return Answer(P.say(m.language, "list_added", item=item), data={"item": item})


@skill("HassShoppingListRemoveItem")
def list_remove(m: IntentMatch, ctx: TurnContext) -> Answer:
    item = _item(m)
    items = ctx.state.get("shopping_list").get("items", [])
    if item not in items:
        return Answer(P.say(m.language, "list_missing", item=item))
    items.remove(item)
    ctx.state.put("shopping_list", {"items": items})
    return Answer(P.say(m.language, "list_removed", item=item), data={"item": item})


@skill("HassShoppingListGetItems")
def list_read(m: IntentMatch, ctx: TurnContext) -> Answer:
    items = ctx.state.get("shopping_list").get("items", [])
    if not items:
        return Answer(P.say(m.language, "list_empty"))
    return Answer(P.say(m.language, "list_items", items=", ".join(items)), data={"items": items})


# -- arithmetic and units -----------------------------------------------------------

_OPS: dict[str, tuple[Callable[[float, float], float], int]] = {
    "+": (operator.add, 0), "-": (operator.sub, 1), "*": (operator.mul, 2), "/": (operator.truediv, 3),
}


@skill("EcouteArithmetic")
def arithmetic(m: IntentMatch, ctx: TurnContext) -> Answer:
    a, b, op = float(m.slots["number_a"]), float(m.slots["number_b"]), str(m.slots["operator"])
    fn, index = _OPS[op]
    if op == "/" and b == 0:
        return Answer(P.say(m.language, "div_zero"))
    result = fn(a, b)
    words = P.PHRASES[m.language]["ops"].split("|")
    return Answer(P.say(m.language, "math", a=P.number(m.language, a), op=words[index],
                        b=P.number(m.language, b), result=P.number(m.language, result)),
                  data={"result": result})


#: Linear units: (dimension, factor to the SI unit of that dimension).
_UNITS: dict[str, tuple[str, float]] = {
    "km": ("length", 1000.0), "m": ("length", 1.0), "cm": ("length", 0.01), "mi": ("length", 1609.344),
    "ft": ("length", 0.3048), "in": ("length", 0.0254),
    "kg": ("mass", 1.0), "g": ("mass", 0.001), "lb": ("mass", 0.45359237), "oz": ("mass", 0.028349523125),
    "l": ("volume", 1.0), "gal": ("volume", 3.785411784),
}
_TEMPERATURE: dict[tuple[str, str], Callable[[float], float]] = {
    ("c", "f"): lambda v: v * 9 / 5 + 32, ("f", "c"): lambda v: (v - 32) * 5 / 9,
}


def convert(value: float, unit_from: str, unit_to: str) -> float | None:
    """``value`` in ``unit_to``, or None when the two units measure different things."""
    if unit_from == unit_to:
        return value
    if (unit_from, unit_to) in _TEMPERATURE:
        return _TEMPERATURE[(unit_from, unit_to)](value)
    a, b = _UNITS.get(unit_from), _UNITS.get(unit_to)
    if a is None or b is None or a[0] != b[0]:
        return None
    return value * a[1] / b[1]


@skill("EcouteConvertUnit")
def convert_unit(m: IntentMatch, ctx: TurnContext) -> Answer:
    value, src, dst = float(m.slots["value"]), str(m.slots["unit_from"]), str(m.slots["unit_to"])
    result = convert(value, src, dst)
    if result is None:
        return Answer(P.say(m.language, "convert_bad", unit_from=src, unit_to=dst))
    return Answer(P.say(m.language, "convert", value=P.number(m.language, value), unit_from=src,
                        result=P.number(m.language, result), unit_to=dst), data={"result": result})


# -- the assistant itself -----------------------------------------------------------


@skill("EcouteHelp")
def help_(m: IntentMatch, ctx: TurnContext) -> Answer:
    return Answer(P.say(m.language, "help"))


@skill("HassNevermind")
def nevermind(m: IntentMatch, ctx: TurnContext) -> Answer:
    return Answer(P.say(m.language, "ok"))


# The privacy intents register themselves in SKILLS on import (kept in their own module).
from ecoute.assistant import privacy_skills  # noqa: E402,F401
