"""Signed audit checkpoints and the append-only log that keeps them outside the database.

Why: the audit chain and its head live in the same database, so whoever can write SQL can
edit, delete or roll back entries and re-chain the rest. A checkpoint — (sequence number,
head hash, time, key id) signed with the key provider's Ed25519 audit key — written to a
log the database operator cannot write, pins every head the chain ever had: a rewritten,
truncated or rolled-back chain no longer reaches the signed heads (``store/anchor.py``).

Each line also carries the sha256 of the line before it (``prev``; ``null`` only on the
first line), so a line removed from the middle or the start of the log is detected; a line
removed from the end shows up as entries "not covered by any checkpoint".

The log is a small protocol (:class:`CheckpointLog`). :class:`FileCheckpointLog` (JSON lines,
``O_APPEND``, fsync'd, 0600, writers serialised by ``flock``) is the only implementation;
the scale-out deployment is meant to put one object per checkpoint in an S3 bucket with
object lock behind the same protocol — not implemented yet.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ecoute.config import Settings
from ecoute.errors import EcouteError

FORMAT = "ecoute-audit-checkpoint/1"
LOG_NAME = "audit-checkpoints.jsonl"


def checkpoint_log_path(settings: Settings) -> Path:
    """Where the checkpoint log lives: the setting, else beside the keys (outside the database).

    The one place that knows the key store directory for the log: when the key store moves
    (``ECOUTE_KEY_DIR``), only this default changes.
    """
    if settings.store.audit_checkpoint_log:
        return Path(settings.store.audit_checkpoint_log).expanduser()
    return settings.store.key_dir / LOG_NAME


class CheckpointLogMissing(EcouteError):
    """The log does not exist (it is never re-created silently once entries exist)."""


class ForgedCheckpoint(EcouteError):
    """A line that does not parse, is not signed by the audit key, or breaks the line chain."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int  # the chain had exactly this many entries, the last one being entry ``seq``
    head: str  # entry_hash of entry ``seq`` (the genesis hash for seq 0)
    at: str  # ISO time the checkpoint was signed (UTC)
    key_id: str
    prev: str | None  # sha256 of the previous line of the log; None on the first line
    sig: str = ""

    def signed_bytes(self) -> bytes:
        body = {k: v for k, v in asdict(self).items() if k != "sig"}
        return (FORMAT + "\n" + json.dumps(body, sort_keys=True, separators=(",", ":"))).encode()

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


def line_hash(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()


def sign(checkpoint: Checkpoint, signer: _Signer) -> Checkpoint:
    sig = base64.b64encode(signer.sign(checkpoint.signed_bytes())).decode()
    return Checkpoint(checkpoint.seq, checkpoint.head, checkpoint.at, checkpoint.key_id, checkpoint.prev, sig)


class _Signer(Protocol):
    def sign(self, message: bytes) -> bytes: ...


def parse(line: str, public_key: bytes) -> Checkpoint:
    """One line → a checkpoint whose signature verifies under ``public_key``, or ForgedCheckpoint."""
    try:
        raw = json.loads(line)
        checkpoint = Checkpoint(seq=int(raw["seq"]), head=str(raw["head"]), at=str(raw["at"]),
                                key_id=str(raw["key_id"]), prev=raw["prev"], sig=str(raw["sig"]))
        signature = base64.b64decode(checkpoint.sig, validate=True)
    except (ValueError, KeyError, TypeError) as err:
        raise ForgedCheckpoint(f"not a checkpoint ({type(err).__name__})") from None
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, checkpoint.signed_bytes())
    except InvalidSignature:
        raise ForgedCheckpoint("bad signature: not signed by this key provider's audit key") from None
    return checkpoint


class CheckpointLog(Protocol):
    """Append-only storage for checkpoint lines (a local file now; S3 with object lock later)."""

    @property
    def location(self) -> str:
        """Where it is, for messages (a path or a URL)."""

    def exists(self) -> bool: ...

    def lines(self) -> list[str]:
        """Every line, oldest first; CheckpointLogMissing if there is no log."""

    def last_line(self) -> str | None:
        """The newest line (None if the log is empty); CheckpointLogMissing if there is no log."""

    def append(self, line: str) -> None:
        """Add one line, durably, before returning; CheckpointLogMissing if there is no log."""

    def create(self, first_line: str) -> None:
        """Start a new log with its first line; refuses (FileExistsError) if one exists."""

    def locked(self) -> AbstractContextManager[None]:
        """Serialise writers (across processes) while they read the tail and append."""


class FileCheckpointLog:
    """JSON lines in a local file: 0600, ``O_APPEND``, fsync'd after every line."""

    def __init__(self, path: Path):
        self.path = path

    @property
    def location(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.is_file()

    def lines(self) -> list[str]:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            raise CheckpointLogMissing(f"checkpoint log missing at {self.path}") from None
        return [line for line in text.split("\n") if line]

    def last_line(self) -> str | None:
        try:
            with open(self.path, "rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                block = 4096
                while True:
                    start = max(0, size - block)
                    fh.seek(start)
                    tail = fh.read(size - start).rstrip(b"\n")
                    if b"\n" in tail or start == 0:
                        last = tail.rsplit(b"\n", 1)[-1]
                        return last.decode() if last else None
                    block *= 2
        except FileNotFoundError:
            raise CheckpointLogMissing(f"checkpoint log missing at {self.path}") from None

    def append(self, line: str) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:
            raise CheckpointLogMissing(f"checkpoint log missing at {self.path}") from None
        try:
            os.write(fd, line.encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    def create(self, first_line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        try:
            os.write(fd, first_line.encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the new name survives a crash too
        finally:
            os.close(dir_fd)

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock


def open_checkpoint_log(settings: Settings) -> CheckpointLog:
    return FileCheckpointLog(checkpoint_log_path(settings))
