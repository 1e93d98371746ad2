"""The reviewer workstation, the lead page and the owner's review page in a real browser
(Playwright driving Debian's chromium), keyboard first."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_review_support import PASSWORD, add_owner, add_staff, add_task, add_turn, task_status

from ecoute.store.schema.review import Annotation, ReviewTask, Staff

pytestmark = pytest.mark.browser


def _login(page, url: str, email: str) -> None:
    page.goto(f"{url}/staff/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/review*")


def _wait_playable(page) -> float:
    page.wait_for_function(
        "document.getElementById('clip') && document.getElementById('clip').readyState >= 1"
    )
    return page.evaluate("document.getElementById('clip').duration")


def test_listen_correct_flag_escalate_skip_with_the_keyboard(live_server, sqlite_store, page):
    store = sqlite_store
    store.settings.policy.review_gold_rate = 0.0
    store.settings.policy.review_break_every = 3
    ids = []
    for i in range(4):
        owner, device = add_owner(store, name=f"owner{i}")
        ids.append(add_task(store, owner, add_turn(store, owner, device), transcript="turn on the lite"))
    add_staff(store, "rev@site.example", name="Rita")
    url = live_server.url
    _login(page, url, "rev@site.example")

    # 1. listen, correct the transcript, save with Ctrl+Enter
    page.keyboard.press("n")
    page.wait_for_selector("#clip")
    assert _wait_playable(page) == pytest.approx(0.5, abs=0.05)
    assert page.get_attribute("#clip", "controlslist").startswith("nodownload")
    assert page.locator("a[download]").count() == 0
    assert page.locator("#intents option[value=HassStartTimer]").count() == 1  # the assistant's intents
    page.keyboard.press("p")
    page.wait_for_function("!document.getElementById('clip').paused || document.getElementById('clip').ended")
    page.fill("#transcript", "turn on the light")
    page.fill("#intent", "HassTurnOn")
    page.focus("#transcript")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=Saved. Thank you.")
    assert page.inner_text("#my-count").startswith("1 of")

    # 2. sensitive, with a category, by keyboard
    page.keyboard.press("n")
    page.wait_for_selector("#clip")
    page.keyboard.press("x")
    assert page.evaluate("document.activeElement.id") == "category"
    page.select_option("#category", "health")
    page.click("#flag")
    page.wait_for_selector("text=Flagged as sensitive")

    # 3. escalate with a reason
    page.keyboard.press("n")
    page.wait_for_selector("#clip")
    page.keyboard.press("e")
    page.keyboard.type("the speaker sounds distressed")
    page.click("#escalate")
    page.wait_for_selector("text=Escalated to your lead.")
    assert page.is_visible("#break-reminder")  # three tasks done, break_every = 3

    # 4. skip, no reason asked
    page.keyboard.press("n")
    page.wait_for_selector("#clip")
    page.keyboard.press("s")
    page.wait_for_selector("text=Skipped.")

    statuses = sorted(task_status(store, t) for t in ids)
    assert statuses == ["done", "escalated", "pending", "sensitive"]
    with store.session() as session:
        kinds = sorted(a.kind for a in session.execute(select(Annotation)).scalars())
        assert kinds == ["escalate", "label", "sensitive", "skip"]
        label = session.execute(select(Annotation).where(Annotation.kind == "label")).scalar_one()
        assert label.intent == "HassTurnOn" and label.seconds_spent is not None and label.seconds_spent > 0


def test_lead_sees_escalations_and_pauses_a_reviewer(live_server, sqlite_store, page):
    store = sqlite_store
    store.settings.policy.review_gold_rate = 0.0
    owner, device = add_owner(store)
    task_id = add_task(store, owner, add_turn(store, owner, device))
    rev = add_staff(store, "rev@site.example", name="Rita")
    add_staff(store, "lead@site.example", role="lead", name="Lea")
    from ecoute.review import annotate
    from ecoute.review.assignment import next_task

    with store.vault_session() as (session, vault):
        staff = session.get(Staff, rev)
        next_task(session, vault, store.settings, staff)
        annotate.escalate(session, vault, store.settings, staff, task_id, reason="caller in danger")
    url = live_server.url
    _login(page, url, "lead@site.example")
    page.goto(f"{url}/review/lead")
    assert "caller in danger" in page.inner_text("#escalations")
    page.click(f"a[href='/review/lead?task={task_id}']")
    page.wait_for_selector("#escalation-detail audio")
    page.fill("tr[data-reviewer='Rita'] input[name=reason]", "coaching")
    page.click("tr[data-reviewer='Rita'] button:has-text('Pause')")
    page.wait_for_selector("tr[data-reviewer='Rita'] >> text=paused")
    page.click("#escalations button:has-text('Back to queue')")
    page.wait_for_selector("#no-escalations")
    with store.session() as session:
        assert session.get(Staff, rev).paused
        assert session.get(ReviewTask, task_id).status == "pending"


def test_owner_opts_in_then_out_and_pending_tasks_go(live_server, sqlite_store, page):
    store = sqlite_store
    owner, device = add_owner(store, email="ana@home.example", opted_in=False)
    with store.session() as session:
        from ecoute.store.passwords import hash_password
        from ecoute.store.schema.owner import Owner

        session.get(Owner, owner).password_hash = hash_password(store.settings, "owner-pass-1")
    url = live_server.url
    page.goto(f"{url}/login?next=/privacy/review")
    page.fill("input[name=email]", "ana@home.example")
    page.fill("input[name=password]", "owner-pass-1")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/privacy/review*")
    assert page.inner_text("#review-state") == "off"
    assert "Children's profiles are never reviewed" in page.inner_text("#consent-text")
    page.click("#opt-in")
    page.wait_for_selector("text=Human review is on.")
    tasks = [add_task(store, owner, add_turn(store, owner, device)) for _ in range(2)]
    heard = add_task(store, owner, add_turn(store, owner, device))
    rev = add_staff(store, "rev@site.example", name="Rita Listener", country="PT", languages="en")
    from ecoute.review import annotate
    from ecoute.review.assignment import next_task, stream_clip

    store.settings.policy.review_gold_rate = 0.0
    with store.vault_session() as (session, vault):
        staff = session.get(Staff, rev)
        got = next_task(session, vault, store.settings, staff)
        stream_clip(session, vault, staff, got.id)
        annotate.label(
            session, vault, store.settings, staff, got.id, transcript="turn on the light", intent=None
        )
    page.reload()
    who = page.inner_text("#who-overall")
    assert "reviewer" in who and "PT" in who and "Rita" not in page.content()
    assert page.locator("#who-per-recording tr").count() == 2  # header + the one recording heard
    page.click("#opt-out")
    page.wait_for_selector("#opt-out-notice")
    assert "2 clip(s)" in page.inner_text("#opt-out-notice")  # the reviewed one stays
    assert page.inner_text("#review-state") == "off"
    assert all(task_status(store, t) is None for t in [*tasks, heard] if t != got.id)
    assert task_status(store, got.id) == "done"
