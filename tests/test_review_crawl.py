"""Invariant 4: no reviewer- or lead-facing response carries an owner id, a device id, an email,
an exact time or an unredacted personal value.

A populated server (owners with emails and devices, turns with phone numbers, emails, names and
card numbers, sampled and prepared by the real pipeline) is crawled as a reviewer and as a lead:
every page, every link and form target on them, every review API answer and the clips. The
values looked for are collected from the owner zone first (ids, emails, turn times, and the
entity values found in the owners' own transcripts).
"""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import httpx
import pytest
from sqlalchemy import select
from test_review_support import PASSWORD, add_owner, add_staff, add_turn

from ecoute.privacy.pii import redact_text
from ecoute.review.sampling import consider_turn
from ecoute.store.identity import owner_email, owner_name
from ecoute.store.schema.owner import Device, Household, Owner, Turn
from ecoute.store.schema.review import ReviewTask
from ecoute.store.turns import read_turn
from ecoute.store.vault import Actor

pytestmark = pytest.mark.slow

UTTERANCES = [
    "call me back on 06 12 34 56 78 please",
    "send an email to zebulon.quokka@example.org",
    "my card number is 4970 1012 3456 7890",
    "remind Zebulon Quokka about the meeting",
    "turn on the kitchen light",
    "set a timer for ten minutes",
]
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.gets: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.gets.add(a["href"])
        if tag in ("audio", "source", "img", "script", "link") and (a.get("src") or a.get("href")):
            self.gets.add(a.get("src") or a.get("href"))
        if tag == "form" and (a.get("method") or "get").lower() == "get" and a.get("action"):
            self.gets.add(a["action"])


def _populate(store) -> dict[str, list[str]]:
    from datetime import UTC, datetime, timedelta

    people = [
        ("Anastasia Quokkington", "anastasia"),
        ("Bartholomew Zeppelin", "bart"),
        ("Cordelia Wombat", "cordelia"),
        ("Desmond Platypus", "desmond"),
        ("Eulalie Narwhal", "eulalie"),
        ("Fitzgerald Axolotl", "fitz"),
        ("Guinevere Pangolin", "guinevere"),
    ]
    for i, (name, local) in enumerate(people):
        owner, device = add_owner(store, email=f"{local}@home.example", name=name)
        for j in range(2):
            text = UTTERANCES[(2 * i + j) % len(UTTERANCES)]
            at = datetime(2026, 11, 20 + i % 5, 7 + j, 13 + i, 29, tzinfo=UTC) + timedelta(seconds=i)
            add_turn(
                store,
                owner,
                device,
                text=text,
                at=at,
                intent="HassTurnOn",
                slots={"name": "Zebulon Quokka"} if "Zebulon" in text else {"area": "kitchen"},
            )
    with store.session() as session:
        turn_ids = list(session.execute(select(Turn.id)).scalars())
    rng = random.Random(5)
    for turn_id in turn_ids:
        consider_turn(store, turn_id, rng=rng)

    forbidden: dict[str, list[str]] = {
        "owner id": [],
        "device id": [],
        "household id": [],
        "email": [],
        "owner name": [],
        "turn id": [],
        "exact time": [],
        "entity value": [],
    }
    with store.vault_session() as (session, vault):
        for owner in session.execute(select(Owner)).scalars():
            forbidden["owner id"].append(owner.id)
            forbidden["email"].append(owner_email(vault, owner))
            forbidden["owner name"].append(owner_name(vault, owner))
        forbidden["device id"] += list(session.execute(select(Device.id)).scalars())
        forbidden["household id"] += list(session.execute(select(Household.id)).scalars())
        for turn in session.execute(select(Turn)).scalars():
            forbidden["turn id"].append(turn.id)
            at = turn.created_at
            forbidden["exact time"] += [
                at.isoformat(),
                at.strftime("%Y-%m-%d %H:%M"),
                at.strftime("%H:%M:%S"),
                str(int(at.timestamp())),
                at.date().isoformat(),
            ]
            text = read_turn(vault, turn, actor=Actor.owner(turn.owner_id), purpose="test").transcript
            for e in redact_text(text, turn.language).entities:
                forbidden["entity value"].append(text[e.start : e.end])
    assert len(forbidden["entity value"]) >= 9, forbidden[
        "entity value"
    ]  # the crawl must have something to miss
    return forbidden


def _check(label: str, reply: httpx.Response, forbidden: dict[str, list[str]]) -> None:
    body = reply.content
    headers = "\n".join(
        f"{k}: {v}" for k, v in reply.headers.items() if k.lower() not in ("date", "set-cookie")
    )
    lowered = body.lower() + headers.lower().encode()
    for kind, values in forbidden.items():
        for value in values:
            assert value.lower().encode() not in lowered, f"{label} leaks a {kind}: {value!r}"
    if not reply.headers.get("content-type", "").startswith("audio/"):
        assert not ISO_TIME.search(reply.text), (
            f"{label} shows a precise time: {ISO_TIME.search(reply.text)[0]}"
        )


def test_no_reviewer_or_lead_response_identifies_an_owner(live_server, sqlite_store):
    store = sqlite_store
    store.settings.policy.review_sample_rate = 1.0
    store.settings.policy.review_cap_per_owner_30d = 100
    store.settings.policy.review_gold_rate = 0.0
    store.settings.policy.review_double_fraction = 0.0
    forbidden = _populate(store)
    with store.session() as session:
        tasks = list(session.execute(select(ReviewTask)).scalars())
        assert len(tasks) >= 12  # most turns became tasks; the card number went to the lead queue
        assert any(t.queue == "lead" for t in tasks)
    add_staff(store, "rev@site.example", languages="en", country="PT")
    add_staff(store, "lead@site.example", role="lead", languages="en", country="IE", site="Cork")

    visited: dict[str, int] = {}

    def fetch(client: httpx.Client, method: str, url: str, **kw) -> httpx.Response:
        reply = client.request(method, url, **kw)
        path = urlparse(str(reply.url)).path
        visited[path] = reply.status_code
        _check(f"{method} {path} ({reply.status_code})", reply, forbidden)
        return reply

    def crawl_page(client: httpx.Client, url: str, seen: set[str]) -> None:
        reply = fetch(client, "GET", url, headers={"accept": "text/html"})
        parser = Links()
        parser.feed(reply.text)
        for link in sorted(parser.gets):
            target = urljoin(str(reply.url), link)
            if (
                urlparse(target).netloc != urlparse(live_server.url).netloc
                or "logout" in target
                or target in seen
            ):
                continue
            seen.add(target)
            if target.endswith((".js", ".css")) or "/audio" in target:
                fetch(client, "GET", target)
            elif urlparse(target).path.startswith("/review"):
                crawl_page(client, target, seen)

    task_ids: list[str] = []
    with httpx.Client(base_url=live_server.url, timeout=20, follow_redirects=True) as reviewer:
        login = reviewer.post("/staff/login", data={"email": "rev@site.example", "password": PASSWORD})
        assert login.status_code == 200
        outcomes = ["label", "escalate", "sensitive", "skip", "api-label", "api-skip"]
        for outcome in outcomes:
            seen: set[str] = set()
            if outcome.startswith("api"):
                reply = fetch(reviewer, "POST", "/review/api/next")
                task = reply.json()["task"]
                assert task is not None and "<" in task["transcript"] or task["transcript"]
                tid = task["task_id"]
                fetch(reviewer, "GET", f"/review/api/tasks/{tid}")
                fetch(reviewer, "GET", f"/review/api/tasks/{tid}/audio")
                kind = outcome.removeprefix("api-")
                body = {"kind": kind, "transcript": task["transcript"], "intent": "HassTurnOn"}
                assert (
                    fetch(reviewer, "POST", f"/review/api/tasks/{tid}/annotations", json=body).status_code
                    == 200
                )
                # the same again: refused, and the refusal leaks nothing either
                assert (
                    fetch(reviewer, "POST", f"/review/api/tasks/{tid}/annotations", json=body).status_code
                    == 409
                )
            else:
                fetch(reviewer, "POST", "/review/next", headers={"accept": "text/html"})
                crawl_page(reviewer, "/review", seen)
                tid = re.search(r'data-task="([0-9a-f]{24})"', reviewer.get("/review").text)[1]
                form = {
                    "label": {"transcript": "call me back on <PHONE_NUMBER> please", "intent": "HassTurnOn"},
                    "escalate": {"reason": "sounds upset"},
                    "sensitive": {"category": "health"},
                    "skip": {},
                }
                fetch(
                    reviewer,
                    "POST",
                    f"/review/tasks/{tid}/{outcome}",
                    data=form[outcome],
                    headers={"accept": "text/html"},
                )
            task_ids.append(tid)
        fetch(reviewer, "GET", "/review/api/me")
        # refusals: another's task, unknown task, lead page without the role
        fetch(reviewer, "GET", "/review/api/tasks/" + "0" * 24)
        assert fetch(reviewer, "GET", "/review/lead", headers={"accept": "text/html"}).status_code == 403

    escalated = task_ids[1]
    with httpx.Client(base_url=live_server.url, timeout=20, follow_redirects=True) as lead:
        lead.post("/staff/login", data={"email": "lead@site.example", "password": PASSWORD})
        seen = set()
        crawl_page(lead, "/review/lead", seen)
        crawl_page(lead, f"/review/lead?task={escalated}", seen)
        fetch(lead, "GET", f"/review/api/lead/escalations/{escalated}/audio")
        fetch(lead, "GET", "/review/api/lead/stats")
        # the lead reviews too (the lead queue holds the card-number clip)
        reply = fetch(lead, "POST", "/review/api/next")
        assert reply.json()["task"] is not None
        fetch(lead, "GET", f"/review/api/tasks/{task_ids[0]}")  # someone else's task: 403, nothing leaked
        assert visited["/review/api/tasks/" + task_ids[0]] == 403

    # every GET route of the review zone was visited
    routes = {
        route.path
        for route in live_server.app.routes
        if getattr(route, "path", "").startswith("/review") and "GET" in getattr(route, "methods", set())
    }
    covered = {re.sub(r"[0-9a-f]{24}", "{task_id}", p) for p in visited}
    assert routes <= covered, routes - covered
