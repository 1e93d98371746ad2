"""Anchoring the audit chain: write a signed checkpoint after each commit, and verify against them.

When: :class:`CheckpointWriter` listens to ``after_commit`` on the store's sessions. A
commit whose transaction appended audit entries (``audit.APPENDED``) is followed, on the
same thread and before control returns to the caller, by one checkpoint of the committed
head, fsync'd. Before signing, the writer checks that the entries since the last checkpoint
extend its head: a chain rewritten below a checkpoint is never anchored.

The window: between a commit and its checkpoint (one fsync, or longer if the process dies
in between — the next audited commit then covers those entries), entries not yet covered
can be rewritten by someone with SQL access without a signed head contradicting them.
Everything ever checkpointed cannot: :func:`verify_anchored` compares *every* checkpoint
with the chain, so a rewrite is caught even after later commits were anchored on top of it.

The log is created only for an empty chain (a new store) or by an operator
(``ecoute audit anchor``), never silently re-created once entries exist: a lost log is
reported by ``ecoute audit verify``, not papered over.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from ecoute.store import audit
from ecoute.store.checkpoints import (
    Checkpoint,
    CheckpointLog,
    CheckpointLogMissing,
    ForgedCheckpoint,
    line_hash,
    parse,
    sign,
)
from ecoute.store.keys import KeyProvider
from ecoute.store.schema.base import utcnow
from ecoute.store.schema.owner import AuditHead

log = logging.getLogger(__name__)


def _db_head(session: Session) -> tuple[int, str]:
    row = session.execute(select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    return (0, audit.GENESIS) if row is None else (int(row[0]), str(row[1]))


class CheckpointWriter:
    """Signs the committed head of the audit chain into the checkpoint log."""

    def __init__(self, engine: Engine, keys: KeyProvider, checkpoint_log: CheckpointLog):
        self.engine = engine
        self.keys = keys
        self.log = checkpoint_log
        self._public = keys.public_key()

    def _signed(self, seq: int, head: str, prev: str | None) -> Checkpoint:
        at = utcnow().isoformat(timespec="microseconds")
        return sign(Checkpoint(seq, head, at, self.keys.key_id, prev), self.keys)

    def start(self, *, at_head: bool = False) -> Checkpoint | None:
        """Create the log if it is missing: for an empty chain, or (``at_head``, the operator) at its head.

        Returns the first checkpoint written, or None if the log exists or was not created.
        """
        with self.log.locked():
            if self.log.exists():
                return None
            with Session(self.engine) as session:
                seq, head = _db_head(session)
            if seq and not at_head:
                log.error("audit checkpoint log missing at %s while the chain has %d entries; not re-created "
                          "(check the chain, then run `ecoute audit anchor`)", self.log.location, seq)
                return None
            first = self._signed(seq, head, None)
            self.log.create(first.line())
            return first

    def anchor(self) -> Checkpoint | None:
        """Append a checkpoint of the committed head if it moved on; None if nothing was written."""
        with self.log.locked():
            try:
                last_line = self.log.last_line()
            except CheckpointLogMissing:
                log.error("audit checkpoint log missing at %s: audit entries are not being anchored",
                          self.log.location)
                return None
            if last_line is None:
                log.error("audit checkpoint log at %s is empty: not anchoring", self.log.location)
                return None
            last = parse(last_line, self._public)
            with Session(self.engine) as session:
                seq, head = _db_head(session)
                if seq <= last.seq:
                    if seq < last.seq:
                        log.error("audit chain head %d is behind the newest checkpoint %d: truncated or rolled "
                                  "back; not anchoring", seq, last.seq)
                    return None
                problem = audit.extension_problem(session, last.seq, last.head, seq, head)
            if problem:
                log.error("audit chain does not extend the newest checkpoint (%s); not anchoring", problem)
                return None
            checkpoint = self._signed(seq, head, line_hash(last_line))
            self.log.append(checkpoint.line())
            return checkpoint

    # -- wiring to the store's sessions ---------------------------------------------------
    def attach(self, sessions: sessionmaker[Session]) -> None:
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_rollback", self._after_rollback)

    def detach(self, sessions: sessionmaker[Session]) -> None:
        event.remove(sessions, "after_commit", self._after_commit)
        event.remove(sessions, "after_rollback", self._after_rollback)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(audit.APPENDED, False):
            try:
                self.anchor()
            except Exception:  # the data is committed: a failed checkpoint must not fail the request
                log.exception("could not write the audit checkpoint to %s", self.log.location)

    @staticmethod
    def _after_rollback(session: Session) -> None:
        session.info.pop(audit.APPENDED, None)


# -- verification -------------------------------------------------------------------------

@dataclass
class AnchoredResult:
    """The chain and its checkpoints. ``problem`` names the kind of failure ("" when intact)."""

    chain: audit.VerifyResult
    log: str
    problem: str = ""  # chain | missing | empty | forged | truncated | rewritten | behind
    message: str = ""
    first_seq: int | None = None  # the range of entries concerned
    last_seq: int | None = None
    checkpoints: list[Checkpoint] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def newest(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None


class _LogReader:
    """Parses the log incrementally: signatures, the ``prev`` line chain, non-decreasing seqs."""

    def __init__(self, checkpoint_log: CheckpointLog, public_key: bytes):
        self.log = checkpoint_log
        self.public_key = public_key
        self.checkpoints: list[Checkpoint] = []
        self._last_line: str | None = None

    def read(self) -> None:
        """Parse the lines not read yet; raises CheckpointLogMissing or ForgedCheckpoint."""
        lines = self.log.lines()
        for number in range(len(self.checkpoints), len(lines)):
            line = lines[number]
            try:
                checkpoint = parse(line, self.public_key)
            except ForgedCheckpoint as err:
                raise ForgedCheckpoint(f"line {number + 1} of {self.log.location}: {err}") from None
            expected_prev = None if self._last_line is None else line_hash(self._last_line)
            if checkpoint.prev != expected_prev:
                what = "lines before it were removed" if number == 0 else "the line before it was changed or removed"
                raise ForgedCheckpoint(f"line {number + 1} of {self.log.location}: {what}")
            if self.checkpoints and checkpoint.seq < self.checkpoints[-1].seq:
                raise ForgedCheckpoint(f"line {number + 1} of {self.log.location}: sequence goes backwards")
            self.checkpoints.append(checkpoint)
            self._last_line = line


def verify_anchored(session: Session, keys: KeyProvider, checkpoint_log: CheckpointLog, *,
                    grace_s: float = 2.0) -> AnchoredResult:
    """Walk the chain, then hold it against every signed checkpoint.

    Catches a rewrite (a checkpointed head is no longer the hash of its entry), a truncation
    or rollback (fewer entries than the newest checkpoint), a forged or removed log line,
    and a missing or lagging log. A commit's checkpoint follows it within one fsync, so
    entries past the newest checkpoint get ``grace_s`` to be covered before they count as a gap.
    """
    reader = _LogReader(checkpoint_log, keys.public_key())
    log_error: tuple[str, str] | None = None
    try:
        reader.read()
    except CheckpointLogMissing:
        log_error = ("missing", f"checkpoint log missing at {checkpoint_log.location}")
    except ForgedCheckpoint as err:
        log_error = ("forged", f"checkpoint log FORGED: {err}")
    newest_seq = reader.checkpoints[-1].seq if reader.checkpoints else 0
    wanted = {c.seq for c in reader.checkpoints}
    chain = audit.verify(session, keep=None if log_error else (lambda seq: seq in wanted or seq > newest_seq))
    result = AnchoredResult(chain, checkpoint_log.location, checkpoints=reader.checkpoints)
    if not chain.ok:
        return _fail(result, "chain", f"audit chain BROKEN at entry {chain.bad_seq}: {chain.reason} "
                                      f"({chain.checked} entries verified before it)", chain.bad_seq, chain.bad_seq)
    entries = chain.checked
    if log_error is not None:
        kind, message = log_error
        if kind == "missing":
            message += f": {_span(1, entries)} not covered by any checkpoint" if entries else ""
            return _fail(result, kind, message, 1 if entries else None, entries or None)
        return _fail(result, kind, message)
    if not reader.checkpoints:
        return _fail(result, "empty", f"checkpoint log at {checkpoint_log.location} is empty"
                                      + (f": {_span(1, entries)} not covered by any checkpoint" if entries else ""))
    rewritten = _first_mismatch(reader.checkpoints, chain.hashes)
    if rewritten:
        return _fail(result, "rewritten", *rewritten)
    newest = reader.checkpoints[-1]
    if entries < newest.seq:
        return _fail(result, "truncated",
                     f"audit log TRUNCATED or ROLLED BACK: the database has {entries} entries but the checkpoint "
                     f"signed at {newest.at} covers {newest.seq}; {_span(entries + 1, newest.seq)} missing",
                     entries + 1, newest.seq)
    deadline = time.monotonic() + grace_s
    while reader.checkpoints[-1].seq < entries and time.monotonic() < deadline:
        time.sleep(0.1)  # a checkpoint may be on its way for a commit that just landed
        try:
            reader.read()
        except CheckpointLogMissing as err:
            return _fail(result, "missing", str(err))
        except ForgedCheckpoint as err:
            return _fail(result, "forged", f"checkpoint log FORGED: {err}")
        rewritten = _first_mismatch(reader.checkpoints, chain.hashes)
        if rewritten:
            return _fail(result, "rewritten", *rewritten)
    covered = max(c.seq for c in reader.checkpoints if c.seq <= entries)
    if covered < entries:
        return _fail(result, "behind", f"checkpoint log behind: {_span(covered + 1, entries)} not covered by "
                                       f"any checkpoint (newest in {checkpoint_log.location}: entry {covered})",
                     covered + 1, entries)
    return result


def _first_mismatch(checkpoints: list[Checkpoint], hashes: dict[int, str]) -> tuple[str, int, int] | None:
    good = 0
    for checkpoint in checkpoints:
        actual = hashes.get(checkpoint.seq)
        if actual is None:
            continue  # beyond the chain (reported as truncation) or not kept
        if actual != checkpoint.head:
            return (f"audit log REWRITTEN: entry {checkpoint.seq} no longer has the hash signed at {checkpoint.at}; "
                    f"{_span(good + 1, checkpoint.seq, ('was', 'were'))} edited, removed or re-chained",
                    good + 1, checkpoint.seq)
        good = checkpoint.seq
    return None


def _span(first: int, last: int, verb: tuple[str, str] = ("is", "are")) -> str:
    """"entries 41–57 are" / "entry 41 is" (for the messages)."""
    return f"entry {first} {verb[0]}" if first == last else f"entries {first}–{last} {verb[1]}"


def _fail(result: AnchoredResult, problem: str, message: str, first: int | None = None,
          last: int | None = None) -> AnchoredResult:
    result.problem, result.message, result.first_seq, result.last_seq = problem, message, first, last
    return result
