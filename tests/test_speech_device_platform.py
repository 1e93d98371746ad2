"""The satellite client against the platform's real server: one woken turn, one answer, stored."""

from __future__ import annotations

import pytest

from ecoute.audio import synth
from ecoute.device.client import ServerError, run_device


def _chunks(audio, size: int = 2560):
    pcm = audio.pcm16()
    return (pcm[i : i + size] for i in range(0, len(pcm), size))


@pytest.mark.slow
def test_device_client_talks_to_the_platform(live_server, sqlite_store) -> None:
    from test_platform_support import device, household

    hid, alice, _bob = household(sqlite_store)
    _, token = device(sqlite_store, hid, alice)
    audio = synth.concat([synth.wake_and_request("what is twelve times seven", synth.VOICES["en"][5]), 1.0])
    answers = list(run_device(_chunks(audio), sqlite_store.settings, server=live_server.url, token=token))
    assert len(answers) == 1
    turn = answers[0]
    assert turn["false_activation"] is False and turn["turn_id"]
    assert turn["intent"] == "EcouteArithmetic" and "84" in turn["answer"], turn
    with pytest.raises(ServerError, match="refused"):
        list(run_device(_chunks(audio), sqlite_store.settings, server=live_server.url, token="not-a-token"))
