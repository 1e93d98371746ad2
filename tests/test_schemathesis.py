"""Schemathesis over the OpenAPI, once per role (issue 12 item 7): no 5xx, every status documented.

The app runs over real HTTP (the ``LiveServer`` of ``conftest.py``) with ``ECOUTE_API_DOCS=1``
so ``/openapi.json`` is served. Each role signs in the way its client does — owners and staff
through the login forms (keeping the session cookie and the ``X-CSRF-Token`` the login returns,
and sending ``Sec-Fetch-Site: same-origin`` + ``Origin`` like our own pages), a device with its
bearer token, the anonymous caller with nothing — so generated requests reach the handlers
instead of all stopping at 401/403. The budget is small and derandomized so CI stays fast and
repeatable; the share of cases that got past authentication and CSRF is asserted per role.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from conftest import LiveServer, free_port
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance
from test_platform_support import ALICE, device, household
from test_review_support import PASSWORD as STAFF_PASSWORD
from test_review_support import add_staff

from ecoute.server.app import create_app

EXAMPLES_PER_OPERATION = 3
ROLES = ("anonymous", "device", "owner", "reviewer", "lead", "officer")
#: The least share of a signed-in role's cases that must get past authentication and CSRF.
MIN_PAST_AUTH = {"device": 0.03, "owner": 0.3, "reviewer": 0.1, "lead": 0.1, "officer": 0.05}


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    cases: int = 0
    past_auth: int = 0
    failures: list[str] = field(default_factory=list)


@pytest.fixture
def docs_server(sqlite_store):
    server = LiveServer(create_app(sqlite_store.settings.replace(api_docs=True), sqlite_store), free_port()).start()
    yield server
    server.stop()


def _signed_in(role: str, store, base: str) -> tuple[requests.Session, dict[str, str]]:
    """A session (cookies) and the headers this role's client sends on every request."""
    session = requests.Session()
    same_origin = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
    home, alice, _ = household(store)
    if role == "anonymous":
        return session, {}
    if role == "device":
        _, token = device(store, home, alice)
        return session, {"Authorization": f"Bearer {token}"}
    if role == "owner":
        path, email, password = "/login", ALICE[0], ALICE[1]
    else:
        path, email, password = "/staff/login", f"{role}@example.org", STAFF_PASSWORD
        add_staff(store, email, role=role)
    reply = session.post(f"{base}{path}", data={"email": email, "password": password}, headers=same_origin,
                         allow_redirects=False)
    assert reply.status_code == 303, reply.text
    return session, {**same_origin, "X-CSRF-Token": reply.headers["x-csrf-token"]}


def _refused_at_the_door(reply: requests.Response) -> bool:
    """401, 403, or a redirect to a login page: the request never reached the route's work."""
    location = reply.headers.get("location", "")
    return reply.status_code in (401, 403) or (reply.status_code == 303 and "login" in location)


def _fuzz(operation, base: str, session: requests.Session, headers: dict[str, str], tally: Tally) -> None:
    @given(case=st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                          operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)))
    @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        reply = case.call(base_url=base, session=session, headers=headers, allow_redirects=False, timeout=30)
        tally.cases += 1
        tally.statuses[reply.status_code] += 1
        tally.past_auth += not _refused_at_the_door(reply)
        try:
            case.validate_response(reply, checks=[not_a_server_error, status_code_conformance])
        except (AssertionError, BaseExceptionGroup) as failure:  # keep going; all are reported at the end
            tally.failures.append(f"{case.method} {case.path} → {reply.status_code}: {str(failure)[:300]}")

    run()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_for_every_role(role, docs_server, sqlite_store):
    base = docs_server.url
    session, headers = _signed_in(role, sqlite_store, base)
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    tally = Tally()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        _fuzz(operation, base, session, headers, tally)
    share = tally.past_auth / tally.cases
    print(f"\n{role}: {len(operations)} operations, {tally.cases} cases, {share:.0%} past auth/CSRF, "
          f"statuses {dict(sorted(tally.statuses.items()))}")
    assert tally.failures == []
    assert not any(status >= 500 for status in tally.statuses)
    assert tally.cases >= len(operations)
    assert share >= MIN_PAST_AUTH.get(role, 0.0), f"{role}: only {share:.0%} of cases got past auth/CSRF"


def test_the_schema_lists_the_error_statuses_each_family_returns(sqlite_store):
    spec = create_app(sqlite_store.settings.replace(api_docs=True), sqlite_store).openapi()
    turns = set(spec["paths"]["/api/v1/turns"]["post"]["responses"])
    login = set(spec["paths"]["/login"]["post"]["responses"])
    officer = set(spec["paths"]["/officer/requests"]["get"]["responses"])
    assert {"200", "400", "401", "403", "404", "408", "409", "413", "429"} <= turns
    assert {"303", "429", "503"} <= login and "413" not in login
    assert {"303", "401", "403"} <= officer and "413" not in officer
