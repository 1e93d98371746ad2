"""Device API: pairing, turns, answer audio (bearer token for everything but pairing).

Contract (the device client is written against it; keep it stable):

- ``POST /api/v1/devices/pair`` JSON ``{"name"}`` → 201 ``{"pairing_id", "code", "expires_in_s"}``
  (429 with ``Retry-After`` when this address started too many, or too many are waiting);
  the device shows ``code`` and keeps ``pairing_id`` secret. Then JSON ``{"pairing_id"}`` →
  202 ``{"status": "waiting"}`` until an owner enters the code, then 200
  ``{"status": "paired", "device_id", "token"}`` (once).
- ``POST /api/v1/turns`` multipart ``audio`` (WAV), form ``wake_score`` (optional float),
  ``Authorization: Bearer <token>`` → ``{"turn_id", "transcript", "intent", "answer",
  "answer_audio_url", "false_activation"}``.
- ``GET /api/v1/answers/{answer_id}.wav`` (same device's token) → the spoken answer.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.formparsers import MultiPartException, MultiPartParser

from ecoute.errors import BadInput, NotFound
from ecoute.server.auth import current_device, db_session
from ecoute.server.security.client import client_address
from ecoute.server.security.throttle import Throttled, hashed
from ecoute.services import devices as pairing
from ecoute.services.ingest import UploadTooLarge, ingest_turn
from ecoute.store.schema.owner import Device

router = APIRouter(prefix="/api/v1", tags=["devices"])


class PairRequest(BaseModel):
    name: str | None = None
    pairing_id: str | None = None


@router.post("/devices/pair", responses={201: {"description": "Pairing started: the code to show"},
                                           202: {"description": "Not confirmed by an owner yet"}})
def pair(body: PairRequest, request: Request, session: Session = Depends(db_session)) -> JSONResponse:
    settings = request.app.state.settings
    if body.pairing_id:
        result = pairing.exchange_pairing(session, body.pairing_id, settings.server.pairing_max_wrong_codes)
        session.commit()
        if result.status == "waiting":
            return JSONResponse({"status": "waiting"}, status_code=202)
        return JSONResponse({"status": "paired", "device_id": result.device_id, "token": result.token})
    if body.name is None:
        raise BadInput("send {\"name\": …} to start pairing, or {\"pairing_id\": …} to collect the token")
    # unauthenticated: limited per address, and few may wait at once (each is a code to guess)
    request.app.state.throttles.pairing_start.take(hashed(client_address(request.scope, settings)))
    if pairing.pending_count(session) >= settings.server.pairing_max_pending:
        raise Throttled("too many devices are waiting to be paired", 60)
    pending = pairing.start_pairing(session, body.name)
    session.commit()
    return JSONResponse({"pairing_id": pending.pairing_id, "code": pending.code,
                         "expires_in_s": pending.expires_in_s}, status_code=201)


def _wake_score(raw: object) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadInput(f"wake_score must be a number between 0 and 1, not {str(raw)[:20]!r}") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise BadInput("wake_score must be a number between 0 and 1")
    return value


def upload_device_id(request: Request) -> str:
    """The device behind the bearer token, looked up in a session closed before the body is read.

    The turn route must not hold a database connection while a (possibly slow) client sends
    its audio: the token is checked in a short transaction of its own, the body is then read
    under the body deadline with no connection held, and ingest opens its session only once
    the audio has been read and validated.
    """
    with request.app.state.store.session() as session:
        return current_device(request, session).id


async def _read_upload(request: Request) -> tuple[bytes, object]:
    """The multipart body, refused early when it is larger than the configured limit."""
    limit = request.app.state.settings.server.max_upload_bytes
    # An upload is owner audio in the clear: keep it in memory, never in a spooled temp file.
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, limit + 1)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise UploadTooLarge(f"upload of {declared} bytes is larger than the limit of {limit}")
    try:
        form = await request.form(max_files=1, max_fields=8, max_part_size=limit + 1)
    except MultiPartException:  # malformed multipart, or a part over the limit
        raise BadInput(f"malformed or oversized upload: send a multipart form with a file field 'audio' "
                       f"of at most {limit} bytes") from None
    audio = form.get("audio")
    if audio is None or not hasattr(audio, "read"):
        raise BadInput("the turn needs a multipart file field named 'audio' (a WAV)")
    data = await audio.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(f"upload is larger than the limit of {limit} bytes")
    return data, form.get("wake_score")


@router.post("/turns")
async def submit_turn(request: Request, device_id: str = Depends(upload_device_id)) -> JSONResponse:
    app = request.app
    with app.state.upload_slots.hold(device_id):  # 429 beyond the per-device cap
        data, raw_score = await _read_upload(request)
        score = _wake_score(raw_score)
        result = await run_in_threadpool(ingest_turn, app.state.store, device_id=device_id, upload=data,
                                         wake_score=score, answers=app.state.answers, jobs=app.state.jobs)
    url = f"/api/v1/answers/{result.answer_id}.wav" if result.answer_id else None
    return JSONResponse(result.to_json(url))


@router.get("/answers/{answer_id}.wav")
def answer_audio(answer_id: str, request: Request, device: Device = Depends(current_device)) -> Response:
    wav = request.app.state.answers.get(device.id, answer_id)
    if wav is None:
        raise NotFound("no such answer for this device (answers are kept for a few minutes)")
    return Response(wav, media_type="audio/wav", headers={"Cache-Control": "no-store"})
