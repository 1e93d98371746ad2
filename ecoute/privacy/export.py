"""Export (right of access and portability): a signed archive of everything about an owner.

Why it cannot contain someone else's data: every item is opened with the *requester's* data
key and ``(requester id, item id, kind)`` as associated data. A row pointing at another
owner's ciphertext or blob — a bug, a bad join, a forged row — fails to authenticate, and
the whole export aborts: nothing is skipped silently, and no archive appears. The archive
is written under a hidden temporary name and renamed only once complete, so a killed or
failed export never leaves a partial archive where anyone can download it.

Why it is sealed at rest: an archive prepared for download waits on the server, so it is
never plaintext there. The zip is written straight into a sealed stream (``sealed_stream``:
64 KiB AES-GCM segments under a one-time key) whose key is stored in the file's header wrapped
by the owner's DEK — erasing the owner makes a pending archive unreadable like everything
else of theirs. The download decrypts while streaming, and the file is deleted once the
server has written its last byte (a client that disconnects earlier can retry). Scratch data
(the list of turns) is spooled sealed under a key that exists only in the building process.
The CLI writes plaintext only to the path the operator names, atomically.

Why it streams: recordings are read, decrypted and written one at a time, and the list of
turns is spooled to a temporary file, so memory stays bounded however many recordings an
owner has. The index (``index.json``) lists every file with its sha256 and is signed with
the server's Ed25519 key (``<data_dir>/keys/export-signing.key``, 0600), so the owner can
later prove the archive is complete and untouched with ``ecoute verify-export``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.errors import BadInput, EcouteError, NotFound
from ecoute.privacy.sealed_stream import SealedSpool, SealedWriter, open_stream, plaintext_size
from ecoute.store import crypto
from ecoute.store.identity import owner_email, owner_name
from ecoute.store.keys import read_or_create_secret
from ecoute.store.schema.base import utcnow
from ecoute.store.schema.owner import Consent, DataSubjectRequest, Owner, PartnerHandoff, ReviewLink, Turn
from ecoute.store.schema.review import Annotation
from ecoute.store.store import Store
from ecoute.store.taskseal import open_for_task
from ecoute.store.vault import Actor, Vault

log = logging.getLogger(__name__)

FORMAT = "ecoute-export/1"
#: Header of an archive sealed at rest; then the wrapped one-time key, then the segments.
SEALED_MAGIC = b"ecoute-sealed-export/1\n"
#: ``kind`` of the one-time key sealed with the owner's DEK (item id: the request id).
EXPORT_KEY = "export-key"
INDEX = "index.json"
SIGNATURE = "index.sig.json"
BATCH = 200
TEMPLATES = Path(__file__).with_name("export_templates")

#: Called as (done, total) while recordings are written (the CLI draws a Rich bar with it).
Progress = Callable[[int, int], None]
#: Called at points where a kill could happen (tests inject failures there).
Checkpoint = Callable[[str], None]


class ExportAborted(EcouteError):
    """An item did not authenticate with the requester's key: nothing was exported."""

    exit_code = 5


def _nothing(*_args) -> None:
    return None


# -- keys and paths -------------------------------------------------------------------------

def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The server's export-signing key, created (0600) on first use beside the KEK."""
    secret = read_or_create_secret(settings.store.data_dir / "keys" / "export-signing.key")
    return Ed25519PrivateKey.from_private_bytes(secret)


def public_key_hex(settings: Settings) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return signing_key(settings).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def exports_dir(settings: Settings) -> Path:
    path = settings.store.data_dir / "exports"
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def archive_path(settings: Settings, request_id: str) -> Path:
    """Where a prepared archive waits for its download: sealed, never a plaintext zip."""
    if not request_id.isalnum():
        raise BadInput("invalid request id")
    return exports_dir(settings) / f"{request_id}.zip.sealed"


# -- requests -------------------------------------------------------------------------------

def request_export(session: Session, vault: Vault, *, owner_id: str, actor: Actor) -> DataSubjectRequest:
    """Record an export request (pending) in the caller's transaction."""
    owner = session.get(Owner, owner_id)
    if owner is None or owner.status != "active":
        raise NotFound("no such active account")
    # who asked is kept for the final audit entry ("self" for the owner: no id in the clear)
    by = {"by": "self", "by_role": "owner"} if actor.role == "owner" else {"by": actor.id, "by_role": actor.role}
    request = DataSubjectRequest(owner_id=owner_id, kind="export", status="pending", progress=by)
    session.add(request)
    session.flush()
    return request


# -- building the archive -------------------------------------------------------------------

@dataclass
class _Writer:
    """A zip being written, remembering the sha256 and size of every file for the index."""

    zf: zipfile.ZipFile
    files: dict[str, dict] = field(default_factory=dict)

    def write(self, name: str, data: bytes, *, compress: bool = True) -> None:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        self.zf.writestr(info, data)
        self.files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def write_stream(self, name: str, chunks: Iterator[bytes]) -> None:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        digest, size = hashlib.sha256(), 0
        with self.zf.open(info, "w", force_zip64=True) as out:
            for chunk in chunks:
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        self.files[name] = {"sha256": digest.hexdigest(), "size": size}


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str).encode()


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at else None


def _open(vault: Vault, owner_id: str, item_id: str, kind: str, ct: bytes | None, me: Actor) -> bytes | None:
    if ct is None:
        return None
    try:
        return vault.open(owner_id, item_id, kind, ct, actor=me, purpose="export")
    except crypto.DecryptionError as err:
        raise ExportAborted(f"{kind} of item {item_id} does not authenticate with this owner's key ({err}); "
                            "the export was aborted and nothing was written") from None


def _turn_batches(store: Store, owner_id: str) -> Iterator[list[Turn]]:
    """Turns of one owner in (created_at, id) order, a bounded batch per short session."""
    last: tuple[datetime, str] | None = None
    while True:
        with store.session() as session:
            query = select(Turn).where(Turn.owner_id == owner_id).order_by(Turn.created_at, Turn.id).limit(BATCH)
            if last is not None:
                query = query.where((Turn.created_at > last[0]) | ((Turn.created_at == last[0]) & (Turn.id > last[1])))
            batch = list(session.execute(query).scalars())
        if not batch:
            return
        yield batch
        last = (batch[-1].created_at, batch[-1].id)


def _write_recordings(store: Store, w: _Writer, owner_id: str, spool: SealedSpool, progress: Progress,
                      checkpoint: Checkpoint) -> dict:
    """Every turn: audio to recordings/, text fields to the spool (one JSON line each)."""
    me = Actor.owner(owner_id)
    with store.session() as session:
        total = session.query(Turn).filter(Turn.owner_id == owner_id).count()
    done, counts = 0, {"turns": 0, "recordings": 0, "false_activations": 0}
    progress(0, total)
    for batch in _turn_batches(store, owner_id):
        with store.vault_session() as (session, vault):
            for turn in batch:
                if turn.owner_id != owner_id:  # belt and braces: the query already filters
                    raise ExportAborted("a turn of another owner was selected; the export was aborted")
                audio_name = None
                if turn.audio_blob:
                    try:
                        sealed = vault.blobs.get(turn.audio_blob)
                    except KeyError:
                        if _deleted_meanwhile(store, turn.id):
                            continue  # the owner deleted it while we ran: leaving it out is right
                        raise ExportAborted(f"the recording of item {turn.id} is missing from the blob store") from None
                    audio = _open(vault, owner_id, turn.id, "audio", sealed, me)
                    audio_name = f"recordings/{turn.id}.wav"
                    w.write(audio_name, audio, compress=False)
                    counts["recordings"] += 1
                transcript = _open(vault, owner_id, turn.id, "transcript", turn.transcript_ct, me)
                answer = _open(vault, owner_id, turn.id, "answer", turn.answer_ct, me)
                meta_raw = _open(vault, owner_id, turn.id, "meta", turn.meta_ct, me)
                meta = json.loads(meta_raw) if meta_raw else {}
                record = {
                    "id": turn.id, "created_at": _iso(turn.created_at), "language": turn.language,
                    "duration_s": turn.duration_s, "false_activation": turn.false_activation,
                    "handled": turn.handled, "confidence": turn.confidence, "audio": audio_name,
                    "transcript": transcript.decode() if transcript is not None else None,
                    "answer": answer.decode() if answer is not None else None,
                    "intent": meta.get("intent"), "slots": meta.get("slots") or {},
                    "words": meta.get("words") or [],
                }
                spool.write(json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n")
                counts["turns"] += 1
                counts["false_activations"] += int(turn.false_activation)
                done += 1
            session.rollback()  # reads only (owner reading their own content is not audited)
        progress(done, total)
        checkpoint(f"batch:{done}")
    return counts


def _deleted_meanwhile(store: Store, turn_id: str) -> bool:
    with store.session() as session:
        return session.get(Turn, turn_id) is None


def _spooled_json_array(spool: SealedSpool) -> Iterator[bytes]:
    yield b"[\n"
    first = True
    for line in spool.lines():
        yield (b"" if first else b",\n") + line.rstrip(b"\n")
        first = False
    yield b"\n]\n"


def _annotations(session: Session, vault: Vault, owner_id: str, turn_by_tag: Callable[[str], str | None]) -> list:
    """Review work derived from the owner's recordings, opened via the task keys in their links."""
    me = Actor.owner(owner_id)
    out = []
    for link in session.execute(select(ReviewLink).where(ReviewLink.owner_id == owner_id)
                                .order_by(ReviewLink.created_at, ReviewLink.task_id)).scalars():
        task_key = _open(vault, owner_id, link.task_id, "task-key", link.wrapped_task_key, me)
        notes = session.execute(select(Annotation).where(Annotation.task_id == link.task_id)
                                .order_by(Annotation.created_at, Annotation.id)).scalars().all()
        for note in notes:
            payload = None
            if note.payload_ct is not None:
                try:
                    payload = json.loads(open_for_task(task_key, link.task_id, f"annotation:{note.id}",
                                                       note.payload_ct))
                except crypto.DecryptionError:
                    raise ExportAborted(f"an annotation of review task {link.task_id} does not authenticate with "
                                        "this owner's task key; the export was aborted") from None
            out.append({"task": link.task_id, "recording": turn_by_tag(link.turn_tag), "kind": note.kind,
                        "intent": note.intent, "sensitive_category": note.sensitive_category,
                        "day": note.created_at.date().isoformat(), "payload": payload})
    return out


def _owner_files(store: Store, w: _Writer, owner_id: str, turn_ids: list[str]) -> dict:
    me = Actor.owner(owner_id)
    with store.vault_session() as (session, vault):
        owner = session.get(Owner, owner_id)
        settings = {"display_name": owner_name(vault, owner), "email": owner_email(vault, owner),
                    "language": owner.language, "is_child": owner.is_child, "auto_delete_days": owner.auto_delete_days,
                    "created_at": _iso(owner.created_at), "household": owner.household_id}
        w.write("settings.json", _json(settings))
        consents = [{"purpose": c.purpose, "granted": c.granted, "text_version": c.text_version,
                     "text_sha256": c.text_hash, "via": c.via, "at": _iso(c.created_at)}
                    for c in session.execute(select(Consent).where(Consent.owner_id == owner_id)
                                             .order_by(Consent.id)).scalars()]
        w.write("consents.json", _json(consents))
        handoffs = []
        for h in session.execute(select(PartnerHandoff).where(PartnerHandoff.owner_id == owner_id)
                                 .order_by(PartnerHandoff.created_at, PartnerHandoff.id)).scalars():
            raw = _open(vault, owner_id, h.id, "handoff", h.payload_ct, me)
            try:
                payload: object = json.loads(raw)
            except ValueError:
                payload = raw.decode(errors="replace")
            handoffs.append({"id": h.id, "partner": h.partner, "recording": h.turn_id, "at": _iso(h.created_at),
                             "payload": payload})
        w.write("partner_handoffs.json", _json(handoffs))
        tags = {vault.item_tag(owner_id, t): t for t in turn_ids}
        notes = _annotations(session, vault, owner_id, tags.get)
        w.write("review_annotations.json", _json(notes))
        audit_rows = [{"seq": v.seq, "at": _iso(v.at), "role": v.role, "action": v.action, "purpose": v.purpose,
                       "item": v.item_id, "details": v.details} for v in vault.audit_entries_for(owner_id)]
        w.write("audit.json", _json(audit_rows))
        session.rollback()
    return {"consents": len(consents), "partner_handoffs": len(handoffs), "review_annotations": len(notes),
            "audit_entries": len(audit_rows), "settings": settings}


def _html(w: _Writer, spool: SealedSpool, index: dict, settings: dict) -> None:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))

    def turns() -> Iterator[dict]:
        for line in spool.lines():
            yield json.loads(line)

    chunks = env.get_template("index.html").generate(index=index, settings=settings, turns=turns())
    w.write_stream("index.html", (c.encode() for c in chunks))


class _Counting:
    """An unseekable sink that hashes what passes through (the zip the owner will receive)."""

    def __init__(self, out: IO[bytes] | SealedWriter):
        self.out, self.digest, self.size = out, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        self.out.write(data)
        return len(data)

    def flush(self) -> None:
        self.out.flush()


def _sealed_header(wrapped_key: bytes) -> bytes:
    return SEALED_MAGIC + len(wrapped_key).to_bytes(2, "big") + wrapped_key


def _segment_aad(request_id: str) -> bytes:
    return SEALED_MAGIC + request_id.encode()


def build_archive(store: Store, owner_id: str, dest: Path, *, request_id: str = "", sealed: bool = False,
                  progress: Progress = _nothing, checkpoint: Checkpoint = _nothing) -> dict:
    """Write the signed archive of ``owner_id`` to ``dest`` atomically; return its index summary.

    ``sealed``: the zip goes through a sealed stream under a one-time key wrapped by the
    owner's DEK (the server's prepared download); no plaintext byte of it reaches the disk.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw, SealedSpool(dest.parent) as spool:
            sealer = None
            if sealed:
                one_time_key = crypto.new_key()
                with store.vault_session() as (_session, vault):
                    raw.write(_sealed_header(vault.seal(owner_id, request_id, EXPORT_KEY, one_time_key)))
                sealer = SealedWriter(raw, one_time_key, _segment_aad(request_id))
            sink = _Counting(sealer or raw)
            # an unseekable duck-typed sink: zipfile streams (data descriptors), never seeks back
            with zipfile.ZipFile(sink, "w", allowZip64=True) as zf:  # type: ignore[call-overload]  # duck-typed sink
                index = _write_archive(store, zf, owner_id, request_id, spool, progress, checkpoint)
            if sealer is not None:
                sealer.finish()
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, dest)  # the archive appears complete, or not at all
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return {"counts": index["counts"], "files": len(index["files"]), "size": sink.size,
            "sha256": sink.digest.hexdigest()}


def _write_archive(store: Store, zf: zipfile.ZipFile, owner_id: str, request_id: str, spool: SealedSpool,
                   progress: Progress, checkpoint: Checkpoint) -> dict:
    w = _Writer(zf)
    counts = _write_recordings(store, w, owner_id, spool, progress, checkpoint)
    w.write_stream("turns.json", _spooled_json_array(spool))
    turn_ids = [json.loads(line)["id"] for line in spool.lines()]
    extra = _owner_files(store, w, owner_id, turn_ids)
    settings = extra.pop("settings")
    checkpoint("files-written")
    index = {"format": FORMAT, "owner": owner_id, "request": request_id,
             "created_at": _iso(utcnow()), "counts": {**counts, **extra}}
    _html(w, spool, index, settings)
    index["files"] = dict(sorted(w.files.items()))
    index_bytes = _json(index)
    key = signing_key(store.settings)
    signature = {"algorithm": "ed25519", "public_key": public_key_hex(store.settings),
                 "signature": base64.b64encode(key.sign(index_bytes)).decode(),
                 "signed": INDEX}
    w.write(INDEX, index_bytes)
    w.write(SIGNATURE, _json(signature))
    checkpoint("signed")
    return index


def run_export(store: Store, request_id: str, *, dest: Path | None = None, progress: Progress = _nothing,
               checkpoint: Checkpoint = _nothing) -> dict:
    """The export stage: build the archive for a pending request and record the outcome.

    On failure the request is marked ``failed`` with the reason (never content) and no
    archive exists; the error is raised again so the caller (CLI, job runner) reports it.
    """
    with store.session() as session:
        request = session.get(DataSubjectRequest, request_id)
        if request is None or request.kind != "export":
            raise NotFound("no such export request")
        if request.status == "done" and dest is None and archive_path(store.settings, request_id).exists():
            return request.receipt or {}
        owner_id = request.owner_id
        asked = request.progress or {}
        by = Actor(asked.get("by", "self"), asked.get("by_role", "owner"))
        request.status = "running"
        request.started_at = utcnow()
        request.error = None
        request.progress = {k: v for k, v in asked.items() if k in ("by", "by_role")}
    target = dest or archive_path(store.settings, request_id)
    progress = _recorded(store, request_id, progress)
    for stale in target.parent.glob(f".{target.name}.*.partial"):  # left by a killed run
        stale.unlink(missing_ok=True)
    try:
        summary = build_archive(store, owner_id, target, request_id=request_id, sealed=dest is None,
                                progress=progress, checkpoint=checkpoint)
    except BaseException as err:
        with store.session() as session:
            failed = session.get(DataSubjectRequest, request_id)
            failed.status = "failed"
            failed.completed_at = utcnow()
            failed.error = f"{type(err).__name__}: {err}"[:500]
        raise
    with store.vault_session() as (session, vault):
        request = session.get(DataSubjectRequest, request_id)
        owner = session.get(Owner, owner_id)
        if owner is None or owner.status != "active":
            # erased while we ran: a plaintext copy must not outlive the account
            target.unlink(missing_ok=True)
            request.status, request.completed_at = "failed", utcnow()
            request.error = "the account was erased while the export was being built"
            return {}
        request.status = "done"
        request.completed_at = utcnow()
        request.progress = {**(request.progress or {}),
                            "archive": target.name if dest is None else "delivered", "size": summary["size"],
                            "sha256": summary["sha256"], "by": by.id, "by_role": by.role}
        request.receipt = {"request": request_id, "kind": "export", "counts": summary["counts"],
                           "files": summary["files"], "size": summary["size"], "sha256": summary["sha256"],
                           "requested_at": _iso(request.requested_at), "completed_at": _iso(request.completed_at)}
        purpose = "owner exported their data" if by.role == "owner" else "data-subject access request, exported"
        vault.audit(by, action="export", purpose=purpose, owner_id=owner_id, details={"kind": "export"})
        return request.receipt


# -- the download: decrypted while streamed, deleted once written to the end ----------------

def open_prepared(store: Store, request_id: str, owner_id: str) -> tuple[int, Iterator[bytes]]:
    """The prepared archive of ``request_id``, as (plaintext size, decrypted chunks).

    Raises ``FileNotFoundError`` when there is none, :class:`crypto.DecryptionError`
    (:class:`~ecoute.store.vault.KeyDestroyed` once the owner is erased) when its key does not
    unwrap. The chunks raise at the first segment that does not authenticate, before any of
    its bytes are released. Only when the last chunk has been taken — the server has written
    the last byte — is the archive deleted and the request marked delivered.
    """
    path = archive_path(store.settings, request_id)
    fh = open(path, "rb")
    try:
        head = fh.read(len(SEALED_MAGIC) + 2)
        if len(head) != len(SEALED_MAGIC) + 2 or not head.startswith(SEALED_MAGIC):
            raise crypto.DecryptionError("not a sealed export archive")
        wrapped = fh.read(int.from_bytes(head[-2:], "big"))
        with store.vault_session() as (_session, vault):
            key = vault.open(owner_id, request_id, EXPORT_KEY, wrapped, actor=Actor.owner(owner_id),
                             purpose="export download")
        size = plaintext_size(path.stat().st_size - fh.tell())
    except BaseException:
        fh.close()
        raise

    def chunks() -> Iterator[bytes]:
        with fh:
            try:
                yield from open_stream(fh, key, _segment_aad(request_id))
            except crypto.DecryptionError as err:
                log.error("export %s: download stopped, the sealed archive is damaged: %s", request_id, err)
                raise
        _delivered(store, request_id)  # reached only after the last chunk was taken

    return size, chunks()


def _delivered(store: Store, request_id: str) -> None:
    archive_path(store.settings, request_id).unlink(missing_ok=True)
    with store.session() as session:
        request = session.get(DataSubjectRequest, request_id)
        if request is not None:
            request.progress = {**(request.progress or {}), "archive": "delivered"}


def _recorded(store: Store, request_id: str, progress: Progress, every_s: float = 1.0) -> Progress:
    """Also keep (done, total) in the request, at most once a second, for the owner's page."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        progress(done, total)
        now = time.monotonic()
        if now - last[0] >= every_s or done == total:
            last[0] = now
            with store.session() as session:
                request = session.get(DataSubjectRequest, request_id)
                request.progress = {**(request.progress or {}), "done": done, "total": total}

    return report


def export_owner(store: Store, owner_id: str, dest: Path, *, progress: Progress = _nothing,
                 checkpoint: Checkpoint = _nothing, actor: Actor | None = None) -> dict:
    """Request and run an export to ``dest`` (the CLI; ``actor``: who ran it, default the owner)."""
    with store.vault_session() as (session, vault):
        request_id = request_export(session, vault, owner_id=owner_id, actor=actor or Actor.owner(owner_id)).id
    return run_export(store, request_id, dest=dest, progress=progress, checkpoint=checkpoint)


# -- verification ---------------------------------------------------------------------------

@dataclass
class VerifyReport:
    ok: bool
    files_checked: int = 0
    problems: list[str] = field(default_factory=list)
    public_key: str = ""
    trusted_key: bool = False


def verify_export(path: Path, trusted_public_key: str | None = None) -> VerifyReport:
    """Check the signature over the index and every file's sha256 and size.

    With ``trusted_public_key`` (the server's, hex) the signature must be by that key;
    without it, only integrity against the key named inside the archive is checked.
    """
    report = VerifyReport(ok=False)
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as err:
        raise BadInput(f"{path}: not a readable zip archive ({err})") from None
    with zf:
        names = set(zf.namelist())
        if INDEX not in names or SIGNATURE not in names:
            report.problems.append("index.json or its signature is missing")
            return report
        index_bytes = zf.read(INDEX)
        try:
            sig = json.loads(zf.read(SIGNATURE))
            report.public_key = sig["public_key"]
            key_hex = trusted_public_key or sig["public_key"]
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex)).verify(
                base64.b64decode(sig["signature"]), index_bytes)
            report.trusted_key = trusted_public_key is not None
            if trusted_public_key and sig["public_key"] != trusted_public_key:
                report.problems.append("the archive names another signing key than the trusted one")
        except InvalidSignature:
            report.problems.append("the signature over index.json does not verify")
        except (ValueError, KeyError, TypeError) as err:
            report.problems.append(f"the signature file is malformed ({err})")
        try:
            index = json.loads(index_bytes)
            files = index["files"]
        except (ValueError, KeyError):
            report.problems.append("index.json is malformed")
            return report
        for name, meta in files.items():
            if name not in names:
                report.problems.append(f"{name}: listed in the index but missing")
                continue
            digest, size = hashlib.sha256(), 0
            with zf.open(name) as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
                    size += len(chunk)
            if digest.hexdigest() != meta.get("sha256") or size != meta.get("size"):
                report.problems.append(f"{name}: content does not match the index")
            report.files_checked += 1
        for extra in sorted(names - set(files) - {INDEX, SIGNATURE}):
            report.problems.append(f"{extra}: not listed in the signed index")
    report.ok = not report.problems
    return report
