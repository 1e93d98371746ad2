"""The satellite: listen locally for the wake word, and only then send the request.

Until the wake word fires, audio stays in a short ring buffer in memory and is
overwritten; nothing leaves the device. After it fires, the request is captured until
the person stops talking (VAD), and the wake word plus request go to the server in
one POST, with the device's token and its wake score. The server re-checks the wake
word (second stage) and may discard the turn as a false activation.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np

from ecoute.assistant.pipeline.events import EventCallback, Stage, StageEnd, StageStart, now_ns
from ecoute.audio.io import Audio, from_pcm16, wav_bytes
from ecoute.audio.vad import Endpointer, get_vad
from ecoute.audio.wake import get_wake_detector
from ecoute.config import Settings
from ecoute.errors import BadInput, EcouteError

RATE = 16000
#: Audio kept from before the firing point so the server hears the wake word itself.
PRE_ROLL_S = 2.0
#: The longest request a device sends; the person is cut off after it.
MAX_REQUEST_S = 10.0


@dataclass
class CapturedTurn:
    audio: Audio
    wake_score: float
    #: Seconds from the start of the source to the firing point.
    fired_at_s: float


class ServerError(EcouteError):
    """The server refused or failed the turn; the message says what to fix."""


def capture_turns(chunks: Iterable[bytes], settings: Settings, *,
                  on_event: EventCallback | None = None) -> Iterator[CapturedTurn]:
    """Yield one captured turn (pre-roll + request) per wake word found in the stream.

    These are the pipeline's first two stages, run on the device as the audio streams in:
    ``on_event`` gets their StageStart/StageEnd events (WAKE while listening, VAD while the
    request is captured), the same events the server's run emits for its own stages.
    """
    emit = on_event or (lambda event: None)
    detector = get_wake_detector(settings)
    vad = get_vad(settings)
    ring: collections.deque[bytes] = collections.deque()
    ring_bytes, max_ring = 0, int(PRE_ROLL_S * RATE * 2)
    stream = detector.stream()
    seen_s = 0.0
    request: list[bytes] | None = None
    endpointer: Endpointer | None = None
    score, fired_at = 0.0, 0.0
    emit(StageStart(Stage.WAKE, now_ns()))
    for chunk in chunks:
        seen_s += len(chunk) / (RATE * 2)
        if request is None:
            ring.append(chunk)
            ring_bytes += len(chunk)
            while ring_bytes - len(ring[0]) >= max_ring:
                ring_bytes -= len(ring.popleft())
            for _t, prob in stream.feed(chunk):
                if prob > detector.threshold:
                    score, fired_at = prob, seen_s
                    request, endpointer = list(ring), Endpointer(vad, silence_s=settings.speech.end_of_speech_s)
                    ring.clear()
                    ring_bytes = 0
                    emit(StageEnd(Stage.WAKE, now_ns(), {"fired": True, "score": round(score, 4), "at_s": fired_at}))
                    emit(StageStart(Stage.VAD, now_ns()))
                    break
            continue
        request.append(chunk)
        assert endpointer is not None
        done = endpointer.feed(np.frombuffer(chunk, dtype="<i2").astype(np.float32) / 32768.0)
        if done or seen_s - fired_at >= MAX_REQUEST_S:
            emit(StageEnd(Stage.VAD, now_ns(), {"closed": done, "speech": endpointer.start_s is not None}))
            yield CapturedTurn(from_pcm16(b"".join(request)), round(score, 4), fired_at)
            request, endpointer, stream = None, None, detector.stream()
            emit(StageStart(Stage.WAKE, now_ns()))
    if request is not None and endpointer is not None:
        emit(StageEnd(Stage.VAD, now_ns(), {"closed": False, "speech": endpointer.start_s is not None}))
        if endpointer.start_s is not None:
            yield CapturedTurn(from_pcm16(b"".join(request)), round(score, 4), fired_at)
    elif request is None:
        emit(StageEnd(Stage.WAKE, now_ns(), {"fired": False}))


def post_turn(turn: CapturedTurn, server: str, token: str, *, timeout: float = 30.0,
              client: httpx.Client | None = None) -> dict[str, Any]:
    """POST {server}/api/v1/turns: multipart ``audio`` (WAV) + ``wake_score``, bearer token."""
    if not server:
        raise BadInput("no server URL: pass --server or set ECOUTE_SERVER_URL")
    if not token:
        raise BadInput("no device token: pass --token or set ECOUTE_DEVICE_TOKEN")
    url = server.rstrip("/") + "/api/v1/turns"
    own = client is None
    client = client or httpx.Client(timeout=timeout)
    try:
        resp = client.post(url, headers={"Authorization": f"Bearer {token}"},
                           files={"audio": ("turn.wav", wav_bytes(turn.audio), "audio/wav")},
                           data={"wake_score": f"{turn.wake_score:.4f}"})
    except httpx.HTTPError as err:
        raise ServerError(f"cannot reach the server at {url}: {err}") from None
    finally:
        if own:
            client.close()
    if resp.status_code in (401, 403):
        raise ServerError(f"the server refused this device's token ({resp.status_code})")
    if resp.status_code >= 400:
        raise ServerError(f"the server answered {resp.status_code}: {resp.text[:200]}")
    try:
        body = resp.json()
    except ValueError:
        raise ServerError("the server's answer is not JSON") from None
    missing = {"turn_id", "transcript", "intent", "answer", "false_activation"} - set(body)
    if missing:
        raise ServerError(f"the server's answer lacks {', '.join(sorted(missing))}")
    return body


def run_device(chunks: Iterable[bytes], settings: Settings, *, server: str, token: str) -> Iterator[dict[str, Any]]:
    """Listen on ``chunks``; for each wake word, send the turn and yield the server's answer."""
    with httpx.Client(timeout=30.0) as client:
        for turn in capture_turns(chunks, settings):
            body = post_turn(turn, server, token, client=client)
            yield {"wake_score": turn.wake_score, "fired_at_s": round(turn.fired_at_s, 2), **body}
