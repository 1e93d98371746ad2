"""How fast is the reviewer workstation, if the UI were the only limit?

The whole app runs under uvicorn on loopback with the embedded store; Debian's chromium
(Playwright, headless) plays a reviewer.

* anchor: loading the staff login page (a static form, no database work beyond the session)
  until the browser's ``load`` event;
* page load to playable audio: from navigation to ``/review`` with an assigned task until
  the clip element reports ``readyState >= 1`` (metadata loaded: the play button works).
  This includes the key broker: task-key unwrap with the owner's key, the audit entry,
  AES-GCM decryption of the clip;
* one full task cycle, keyboard only: ``n`` (take the next task) → audio playable →
  correct the transcript → ``Ctrl+Enter`` (save) → saved notice. Tasks/hour if the UI were
  the only limit = 3600 / median cycle. A person also listens: the same figure with one
  listen of the whole clip (2.0 s here) added is reported beside it.

Run: .venv/bin/python bench/review_page.py [--tasks 40]
Writes bench/results/review_page.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.progress import Progress

from ecoute.audio.io import Audio
from ecoute.config import Settings
from ecoute.review import consent
from ecoute.review.staff import create_staff
from ecoute.review.tasks import create_task
from ecoute.server.app import create_app
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.store import Store
from ecoute.store.turns import TurnContent, save_turn

RESULTS = Path(__file__).with_name("results")
CLIP_SECONDS = 2.0
LAUNCH = {
    "executable_path": "/usr/bin/chromium",
    "headless": True,
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ],
}


def populate(store: Store, n: int) -> None:
    rate = 16000
    t = np.arange(int(CLIP_SECONDS * rate)) / rate
    clip = Audio((0.2 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), rate)
    from ecoute.audio.io import wav_bytes

    with store.vault_session() as (session, vault):
        for i in range(n):  # one owner per task, so owner spacing never holds a task back
            home = create_household(session, f"h{i}")
            owner = create_owner(session, vault, store.settings, home, display_name=f"o{i}")
            consent.opt_in(session, vault, owner.id, "api")
            turn = save_turn(
                session,
                vault,
                owner_id=owner.id,
                device_id=None,
                audio_wav=wav_bytes(clip),
                content=TurnContent("turn on the lite", "ok", "HassTurnOn"),
                language="en",
                duration_s=CLIP_SECONDS,
                handled=True,
                confidence=0.9,
            )
            create_task(
                session,
                vault,
                store.settings,
                owner_id=owner.id,
                turn_id=turn.id,
                turn_created_at=turn.created_at,
                intent="HassTurnOn",
                slots={},
                language="en",
                prepared=SimpleNamespace(
                    audio=clip,
                    transcript="turn on the lite",
                    entities=[],
                    disguise={"method": "disguised"},
                    sensitive=SimpleNamespace(decision="allow"),
                ),
            )
        create_staff(
            session,
            store.settings,
            email="bench@review.example",
            display_name="bench",
            password="bench-password",
            role="reviewer",
            site="Bench",
            country="PT",
            languages="en",
        )


def serve(store: Store):
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(store.settings, store), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{port}"


PLAYABLE = "document.getElementById('clip') && document.getElementById('clip').readyState >= 1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=40)
    args = parser.parse_args()
    console = Console()
    settings = Settings.load(
        data_dir=Path(tempfile.mkdtemp(prefix="ecoute-bench-")),
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        review_gold_rate=0.0,
        review_double_fraction=0.0,
    )
    store = Store.open(settings)
    populate(store, args.tasks + 1)
    server, url = serve(store)
    anchor, load, cycles = [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**LAUNCH)
        page = browser.new_page()
        page.goto(f"{url}/staff/login")
        page.fill("input[name=email]", "bench@review.example")
        page.fill("input[name=password]", "bench-password")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/review*")
        page.keyboard.press("n")
        page.wait_for_function(PLAYABLE)
        with Progress(console=console) as progress:
            bar = progress.add_task("page loads", total=args.tasks)
            for _ in range(args.tasks):
                start = time.perf_counter()
                page.goto(f"{url}/staff/login", wait_until="load")
                anchor.append(time.perf_counter() - start)
                start = time.perf_counter()
                page.goto(f"{url}/review", wait_until="commit")
                page.wait_for_function(PLAYABLE, polling=5)
                load.append(time.perf_counter() - start)
                progress.advance(bar)
            bar = progress.add_task("task cycles", total=args.tasks)
            for _ in range(args.tasks):
                start = time.perf_counter()
                page.fill("#transcript", "turn on the light")
                page.focus("#transcript")
                page.keyboard.press("Control+Enter")
                page.wait_for_selector("#next")
                page.keyboard.press("n")
                page.wait_for_selector("#clip")
                page.wait_for_function(PLAYABLE, polling=5)
                cycles.append(time.perf_counter() - start)
                progress.advance(bar)
        browser.close()
    server.should_exit = True
    store.close()

    med_anchor, med_load, med_cycle = (statistics.median(x) for x in (anchor, load, cycles))
    result = {
        "tasks": args.tasks,
        "anchor_login_page_load_ms_median": round(1000 * med_anchor, 1),
        "review_page_to_playable_audio_ms_median": round(1000 * med_load, 1),
        "review_page_to_playable_audio_ms_p90": round(1000 * sorted(load)[int(0.9 * len(load)) - 1], 1),
        "playable_over_anchor": round(med_load / med_anchor, 2),
        "task_cycle_ms_median": round(1000 * med_cycle, 1),
        "tasks_per_hour_ui_only": round(3600 / med_cycle),
        "tasks_per_hour_with_one_listen": round(3600 / (med_cycle + CLIP_SECONDS)),
        "clip_seconds": CLIP_SECONDS,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "review_page.json").write_text(json.dumps(result, indent=2) + "\n")
    console.print_json(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
