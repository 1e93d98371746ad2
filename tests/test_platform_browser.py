"""The privacy page in a real browser (Playwright driving Debian's chromium)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from test_platform_support import ALICE, add_turn, household, speech_wav

from ecoute.store.schema.owner import Owner, Turn

pytestmark = pytest.mark.browser


def test_owner_logs_in_plays_deletes_and_sets_auto_delete(live_server, sqlite_store, page):
    _, alice, bob = household(sqlite_store)
    now = datetime.now(UTC)
    older = add_turn(sqlite_store, alice, "add flour to the shopping list", created_at=now - timedelta(hours=2),
                     audio=speech_wav("add flour to the shopping list"))
    newer = add_turn(sqlite_store, alice, "what time is it", created_at=now - timedelta(minutes=5),
                     audio=speech_wav("what time is it"))
    add_turn(sqlite_store, bob, "bob private words")

    page.goto(f"{live_server.url}/privacy")
    assert "/login" in page.url
    page.fill("#email", ALICE[0])
    page.fill("#password", ALICE[1])
    page.keyboard.press("Enter")  # keyboard only
    page.wait_for_url("**/privacy")

    rows = page.locator("li.recording .transcript")
    assert rows.all_inner_texts() == ["“what time is it”", "“add flour to the shopping list”"]
    assert "bob private words" not in page.content()

    duration = page.evaluate("""async (id) => {
        const el = document.querySelector(`#rec-${id} audio`);
        el.load();
        for (let i = 0; i < 100 && el.readyState < 1; i++) await new Promise(r => setTimeout(r, 50));
        return el.duration;
    }""", newer)
    assert duration > 0.3  # the decrypted WAV was streamed and parsed by the browser

    page.locator(f"#rec-{older} button", has_text="Delete").click()
    page.locator(f"#rec-{older}").wait_for(state="detached")
    with sqlite_store.session() as session:
        assert session.get(Turn, older) is None and session.get(Turn, newer) is not None
        assert session.execute(select(func.count()).select_from(Turn)).scalar_one() == 2  # Bob's stays

    page.check("input[name=choice][value=custom]")
    page.fill("input[name=days]", "30")
    page.click("#auto-delete button[type=submit]")
    page.wait_for_selector(".notice")
    assert "older than 30 days" in page.inner_text(".notice")
    with sqlite_store.session() as session:
        assert session.get(Owner, alice).auto_delete_days == 30
    assert page.is_checked("input[name=choice][value=custom]")
