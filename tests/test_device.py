"""The satellite: local wake detection, capture until end of speech, POST to a real HTTP server."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
import soundfile as sf
from fastapi import FastAPI, File, Form, Header, HTTPException, UploadFile

from ecoute.audio import synth
from ecoute.audio.io import Audio, load_audio
from ecoute.audio.wake import get_wake_detector
from ecoute.config import Settings
from ecoute.device.client import ServerError, capture_turns, run_device
from ecoute.device.sources import stdin_source

SLT = synth.VOICES["en"][5]
TOKEN = "dev-token-123"


@pytest.fixture(scope="module")
def cfg(tmp_path_factory) -> Settings:
    return Settings.load(data_dir=tmp_path_factory.mktemp("device"))


@pytest.fixture(scope="module")
def stream_audio() -> Audio:
    """Two turns, with speech in between that must not wake the device."""
    chatter = load_audio(synth.speak("I think the weather will be nice tomorrow", SLT))
    return synth.concat([synth.wake_and_request("what time is it", SLT), 1.0, chatter, 1.0,
                         synth.wake_and_request("what is twelve times seven", SLT), 1.0])


def _chunks(audio: Audio, size: int = 2560) -> Iterator[bytes]:
    pcm = audio.pcm16()
    return (pcm[i : i + size] for i in range(0, len(pcm), size))


def test_capture_sends_only_woken_turns_with_their_wake_word(cfg: Settings, stream_audio: Audio) -> None:
    turns = list(capture_turns(_chunks(stream_audio), cfg))
    assert len(turns) == 2
    detector = get_wake_detector(cfg)
    for turn in turns:
        assert turn.wake_score > detector.threshold
        assert detector.detect(turn.audio).fired  # the pre-roll holds the wake word for the server's check
        assert turn.audio.duration < 2.0 + 3.5  # pre-roll + the request, not the chatter
    assert turns[0].fired_at_s < turns[1].fired_at_s


class _Server:
    """A tiny real HTTP server with the turn contract: an outside service for the client."""

    def __init__(self) -> None:
        import uvicorn

        app = FastAPI()
        self.received: list[dict] = []

        @app.post("/api/v1/turns")
        async def turns(audio: UploadFile = File(...), wake_score: float = Form(...),
                        authorization: str = Header("")) -> dict:
            if authorization != f"Bearer {TOKEN}":
                raise HTTPException(401, "bad token")
            data, rate = sf.read(io.BytesIO(await audio.read()))
            self.received.append({"rate": rate, "seconds": len(data) / rate, "wake_score": wake_score})
            n = len(self.received)
            return {"turn_id": f"t{n}", "transcript": "what time is it", "intent": "HassGetCurrentTime",
                    "answer": f"answer {n}", "answer_audio_url": None, "false_activation": False}

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> _Server:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            assert time.monotonic() < deadline and self._thread.is_alive(), "test server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(10)


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    with _Server() as srv:
        yield srv


def test_device_posts_each_turn_and_prints_answers(cfg: Settings, stream_audio: Audio, server: _Server) -> None:
    before = len(server.received)
    answers = list(run_device(_chunks(stream_audio), cfg, server=server.url, token=TOKEN))
    assert [a["turn_id"] for a in answers] == [f"t{before + 1}", f"t{before + 2}"]
    sent = server.received[before:]
    assert all(r["rate"] == 16000 and 1.0 < r["seconds"] < 6.0 and r["wake_score"] > 0.9 for r in sent)


def test_bad_token_is_a_clear_error(cfg: Settings, stream_audio: Audio, server: _Server) -> None:
    with pytest.raises(ServerError, match="refused this device's token"):
        list(run_device(_chunks(stream_audio), cfg, server=server.url, token="wrong"))


def test_unreachable_server_is_a_clear_error(cfg: Settings, stream_audio: Audio) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ServerError, match="cannot reach"):
        list(run_device(_chunks(stream_audio), cfg, server=f"http://127.0.0.1:{port}", token=TOKEN))


def test_no_wake_word_sends_nothing(cfg: Settings, server: _Server) -> None:
    before = len(server.received)
    chatter = synth.concat([0.5, load_audio(synth.speak("set a timer for five minutes", SLT)), 0.5])
    assert list(run_device(_chunks(chatter), cfg, server=server.url, token=TOKEN)) == []
    assert len(server.received) == before


def test_stdin_source_keeps_samples_whole() -> None:
    pcm = np.arange(5000, dtype="<i2").tobytes()

    class Dribble(io.RawIOBase):
        """Hands out an odd number of bytes per read, like a pipe may."""

        def __init__(self) -> None:
            self.pos = 0

        def read(self, n: int = -1) -> bytes:
            out = pcm[self.pos : self.pos + 333]
            self.pos += len(out)
            return out

    chunks = list(stdin_source(Dribble()))
    assert all(len(c) % 2 == 0 for c in chunks) and b"".join(chunks) == pcm


def test_cli_reads_raw_pcm_from_stdin(stream_audio: Audio, server: _Server, tmp_path) -> None:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("ecoute")
    env = {**os.environ, "ECOUTE_DATA_DIR": str(tmp_path), "ECOUTE_SERVER_URL": server.url}
    proc = subprocess.run([str(exe), "device", "--stdin", "--token", TOKEN], input=stream_audio.pcm16(),
                          capture_output=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(lines) == 2 and all(line["answer"].startswith("answer ") for line in lines)
