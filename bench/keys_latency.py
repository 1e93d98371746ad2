"""Key providers: PKCS#11 (SoftHSM2) vs the local key store — wrap/unwrap latency and time to unreadable.

Run by hand:  .venv/bin/python bench/keys_latency.py [--pairs 4000] [--sizes 100,10000] [--repeats 3]

1. Wrap + unwrap of a DEK (what creating an owner and opening their data for the first time in
   a session cost), local vs PKCS#11 in the same run, in blocks whose order alternates
   (local first, then PKCS#11 first, …) so drift in machine load hits both alike. The figure is
   the ratio PKCS#11 / local of the medians (and of the means).
2. Time to unreadable after erasure for owners with 100 and 10,000 recordings, on both
   providers: from the start of the erasure request until one of the owner's recordings, read
   in a fresh session (no DEK cached), no longer decrypts. It is one key destruction, so it must
   not grow with the number of recordings (ratio 10,000 / 100 ≈ 1).

Needs SoftHSM2 (Debian package softhsm2); the token is initialised in a temporary directory.
Writes bench/results/keys_latency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from ecoute import plugins
from ecoute.config import Settings
from ecoute.plugins import Family
from ecoute.privacy.erasure import request_erasure
from ecoute.services.wiring import wire_hooks
from ecoute.store import crypto, keys_pkcs11
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.keys import KeyProvider, get_key_provider
from ecoute.store.schema.owner import Turn
from ecoute.store.store import Store
from ecoute.store.turns import TurnContent, read_turn_audio, save_turn
from ecoute.store.vault import Actor, KeyDestroyed

RESULTS = Path(__file__).with_name("results") / "keys_latency.json"
MODULE = "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"
LABEL, PIN = "ecoute-bench", "bench-user-pin"
BLOCK = 100


def softhsm(root: Path) -> None:
    """A SoftHSM2 token in ``root`` (SOFTHSM2_CONF is read when the library is first loaded)."""
    util = shutil.which("softhsm2-util")
    if util is None or not Path(MODULE).exists():
        raise SystemExit("SoftHSM2 is not installed: apt-get install softhsm2")
    (root / "tokens").mkdir(parents=True)
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run([util, "--init-token", "--free", "--label", LABEL, "--pin", PIN, "--so-pin", "bench-so-pin"],
                   check=True, capture_output=True)
    if "pkcs11" not in plugins.names(Family.KEYS):  # an install that predates the entry point
        plugins.register(Family.KEYS, "pkcs11", keys_pkcs11.pkcs11_provider)


def settings_for(root: Path, provider: str) -> Settings:
    base = Settings.load(data_dir=root / provider / "data", key_dir=root / provider / "keys",
                         argon2_time_cost=1, argon2_memory_kib=1024)
    if provider == "pkcs11":
        return base.replace(key_provider="pkcs11", pkcs11_module=MODULE, pkcs11_token_label=LABEL,
                            pkcs11_user_pin=PIN)
    return base


# -- 1. wrap + unwrap ---------------------------------------------------------------------------

def wrap_unwrap_block(keys: KeyProvider, owners: list[str], start: int) -> list[float]:
    times = []
    for i in range(BLOCK):
        owner = owners[(start + i) % len(owners)]
        dek = crypto.new_key()
        t0 = time.perf_counter()
        if keys.unwrap(keys.wrap(dek, owner), owner) != dek:
            raise AssertionError("round trip failed")
        times.append(time.perf_counter() - t0)
    return times


def latency(providers: dict[str, KeyProvider], pairs: int) -> dict:
    owners = [crypto.new_key().hex()[:24] for _ in range(50)]  # keys made before timing (first wrap)
    for keys in providers.values():
        for owner in owners:
            keys.wrap(crypto.new_key(), owner)
    samples: dict[str, list[float]] = {name: [] for name in providers}
    names = list(providers)
    for block in range(pairs // BLOCK):
        order = names if block % 2 == 0 else names[::-1]
        for name in order:
            samples[name] += wrap_unwrap_block(providers[name], owners, block * BLOCK)
    for keys in providers.values():
        for owner in owners:
            keys.forget(owner)

    def summary(values: list[float]) -> dict:
        ordered = sorted(values)
        return {"n": len(values), "median_us": statistics.median(values) * 1e6,
                "mean_us": statistics.fmean(values) * 1e6, "p95_us": ordered[int(0.95 * len(ordered))] * 1e6}

    result = {name: summary(values) for name, values in samples.items()}
    result["ratio_pkcs11_vs_local_median"] = result["pkcs11"]["median_us"] / result["local-file"]["median_us"]
    result["ratio_pkcs11_vs_local_mean"] = result["pkcs11"]["mean_us"] / result["local-file"]["mean_us"]
    result["cold_unwrap"] = cold_unwrap(providers)
    return result


def cold_unwrap(providers: dict[str, KeyProvider], owners_n: int = 200) -> dict:
    """First unwrap of an owner in a process: the PKCS#11 provider must search the token for the key.

    The local provider reads the owner's salt file on every unwrap, so it is always "cold".
    """
    owners = [crypto.new_key().hex()[:24] for _ in range(owners_n)]
    wrapped = {name: {o: keys.wrap(crypto.new_key(), o) for o in owners} for name, keys in providers.items()}
    samples: dict[str, list[float]] = {name: [] for name in providers}
    for i, owner in enumerate(owners):
        for name in (list(providers) if i % 2 == 0 else list(providers)[::-1]):
            keys = providers[name]
            if isinstance(keys, keys_pkcs11.Pkcs11KeyProvider):
                keys._owner_keys.clear()  # as in a new process: no handle known yet
            t0 = time.perf_counter()
            keys.unwrap(wrapped[name][owner], owner)
            samples[name].append(time.perf_counter() - t0)
    for keys in providers.values():
        for owner in owners:
            keys.forget(owner)
    result: dict = {name: {"median_us": statistics.median(v) * 1e6, "n": len(v),
                           "token_objects_searched": owners_n + 3 if name == "pkcs11" else None}
                    for name, v in samples.items()}
    result["ratio_pkcs11_vs_local_median"] = result["pkcs11"]["median_us"] / result["local-file"]["median_us"]
    return result


# -- 2. time to unreadable ------------------------------------------------------------------------

def populate(store: Store, n: int) -> tuple[str, str]:
    """An owner with ``n`` recordings (small audio: the key, not the bytes, is what erasure destroys)."""
    with store.vault_session() as (session, vault):
        owner_id = create_owner(session, vault, store.settings, create_household(session, "h"), display_name="o").id
    first = ""
    done = 0
    while done < n:
        with store.vault_session() as (session, vault):
            for _ in range(min(1000, n - done)):
                turn = save_turn(session, vault, owner_id=owner_id, device_id=None, audio_wav=b"RIFF" + os.urandom(996),
                                 content=TurnContent(f"turn {done}", "ok", "HassGetWeather", {}),
                                 language="en", duration_s=0.1, handled=True, confidence=0.9)
                first = first or turn.id
                done += 1
    return owner_id, first


def decrypts(store: Store, owner_id: str, turn_id: str) -> bool:
    with store.vault_session() as (session, vault):  # a fresh vault: no DEK cached
        try:
            read_turn_audio(vault, session.get(Turn, turn_id), actor=Actor.owner(owner_id), purpose="bench")
            return True
        except KeyDestroyed:
            return False


def time_to_unreadable(store: Store, owner_id: str, turn_id: str) -> float:
    assert decrypts(store, owner_id, turn_id)
    start = time.perf_counter()
    request_erasure(store, owner_id, actor=Actor.system("bench"))  # destroys the key, commits
    while decrypts(store, owner_id, turn_id):
        pass
    return time.perf_counter() - start


def erasure(root: Path, provider: str, sizes: list[int], repeats: int) -> dict:
    store = Store.open(settings_for(root, provider))
    try:
        owners = {n: [populate(store, n) for _ in range(repeats)] for n in sizes}
        times: dict[int, list[float]] = {n: [] for n in sizes}
        for r in range(repeats):  # alternate sizes so load drift hits both
            for n in (sizes if r % 2 == 0 else sizes[::-1]):
                times[n].append(time_to_unreadable(store, *owners[n][r]))
    finally:
        store.close()
    small, large = min(sizes), max(sizes)
    result: dict = {str(n): {"median_ms": statistics.median(t) * 1e3, "all_ms": [x * 1e3 for x in t]}
                    for n, t in times.items()}
    result[f"ratio_{large}_vs_{small}"] = statistics.median(times[large]) / statistics.median(times[small])
    return result


def main() -> None:
    wire_hooks()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=4000, help="wrap+unwrap pairs per provider")
    parser.add_argument("--sizes", default="100,10000", help="recordings per erased owner")
    parser.add_argument("--repeats", type=int, default=3, help="erasures per size and provider")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    root = Path(tempfile.mkdtemp(prefix="ecoute-bench-keys-"))
    try:
        softhsm(root / "softhsm")
        providers = {name: get_key_provider(settings_for(root / "latency", name)) for name in ("local-file", "pkcs11")}
        lat = latency(providers, args.pairs)
        print(f"wrap+unwrap: local {lat['local-file']['median_us']:.0f} µs, PKCS#11 (SoftHSM2) "
              f"{lat['pkcs11']['median_us']:.0f} µs median: ratio {lat['ratio_pkcs11_vs_local_median']:.2f}× "
              f"(means: {lat['ratio_pkcs11_vs_local_mean']:.2f}×); first unwrap of an owner in a process "
              f"(token search): {lat['cold_unwrap']['pkcs11']['median_us']:.0f} µs vs local "
              f"{lat['cold_unwrap']['local-file']['median_us']:.0f} µs = "
              f"{lat['cold_unwrap']['ratio_pkcs11_vs_local_median']:.1f}×")
        erasures = {}
        for name in ("local-file", "pkcs11"):
            erasures[name] = erasure(root / "erasure", name, sizes, args.repeats)
            e = erasures[name]
            print(f"{name}: unreadable after " + ", ".join(f"{e[str(n)]['median_ms']:.1f} ms (N={n:,})" for n in sizes)
                  + f"; ratio {e[f'ratio_{max(sizes)}_vs_{min(sizes)}']:.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)", "pairs": args.pairs,
              "block": BLOCK, "wrap_unwrap": lat, "time_to_unreadable": erasures, "repeats": args.repeats}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
