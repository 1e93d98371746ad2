"""Chunked AEAD for files too large to seal in one piece (export archives and their spools).

The STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, 2015), the one behind age and
Tink's streaming AEAD: the plaintext is cut into fixed 64 KiB segments, each sealed with
AES-256-GCM under a one-time key, with the nonce = 11-byte segment counter || final flag.
Reordering a segment changes its counter, dropping the tail leaves a segment that was not
sealed as final, and flipping a byte breaks its tag: each is detected at the segment where it
happens, before any of that segment's plaintext is released. Nonces are never reused because
a key seals one stream only.

Why not a library format: ``cryptography`` (already a dependency) has AES-GCM but no streaming
AEAD; age (pyrage) and Tink would add a dependency and their own key handling, whereas the key
here must be wrapped by the owner's DEK through our vault. The construction is ~50 lines over
the same AES-GCM primitive the rest of the store uses.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ecoute.store.crypto import DecryptionError

SEGMENT = 64 * 1024
TAG = 16
COUNTER_BYTES = 11


def _nonce(counter: int, final: bool) -> bytes:
    return counter.to_bytes(COUNTER_BYTES, "big") + (b"\x01" if final else b"\x00")


class SealedWriter:
    """A write-only, unseekable file object: what goes in reaches ``out`` only as ciphertext.

    ``zipfile`` writes to it in streaming mode (data descriptors) because it cannot seek.
    :meth:`finish` seals the final segment; a stream never finished fails to open (truncated).
    """

    def __init__(self, out: IO[bytes], key: bytes, aad: bytes):
        self._out, self._aead, self._aad = out, AESGCM(key), aad
        self._buf = bytearray()
        self._counter = 0
        self.finished = False

    def write(self, data: bytes) -> int:
        if self.finished:
            raise ValueError("the sealed stream is already finished")
        self._buf += data
        while len(self._buf) > SEGMENT:  # strictly more: the last segment is always sealed as final
            self._emit(bytes(self._buf[:SEGMENT]), final=False)
            del self._buf[:SEGMENT]
        return len(data)

    def flush(self) -> None:
        self._out.flush()

    def finish(self) -> None:
        if not self.finished:
            self._emit(bytes(self._buf), final=True)
            self._buf.clear()
            self.finished = True
            self._out.flush()

    def _emit(self, segment: bytes, *, final: bool) -> None:
        self._out.write(self._aead.encrypt(_nonce(self._counter, final), segment, self._aad))
        self._counter += 1


def open_stream(source: IO[bytes], key: bytes, aad: bytes) -> Iterator[bytes]:
    """Decrypt segment by segment; raise :class:`DecryptionError` at the first bad segment."""
    aead = AESGCM(key)
    counter = 0
    current = source.read(SEGMENT + TAG)
    while True:
        following = source.read(SEGMENT + TAG) if len(current) == SEGMENT + TAG else b""
        final = not following
        try:
            yield aead.decrypt(_nonce(counter, final), current, aad)
        except InvalidTag:
            raise DecryptionError(f"segment {counter} of the sealed stream does not authenticate "
                                  "(tampered, reordered or truncated)") from None
        if final:
            return
        current, counter = following, counter + 1


def plaintext_size(sealed_size: int) -> int:
    """Plaintext bytes of a sealed stream of ``sealed_size`` bytes (body only, no header)."""
    segments = max(1, -(-sealed_size // (SEGMENT + TAG)))
    return sealed_size - segments * TAG


class SealedSpool:
    """A scratch file that is never plaintext on disk: sealed under a key that lives only in
    this process (an unnamed temporary file; a kill leaves neither a name nor a readable byte)."""

    def __init__(self, folder: str | os.PathLike[str]):
        self._file = tempfile.TemporaryFile(dir=folder)
        self._key = AESGCM.generate_key(bit_length=256)
        self._writer: SealedWriter | None = SealedWriter(self._file, self._key, b"spool")

    def write(self, data: bytes) -> int:
        if self._writer is None:
            raise ValueError("the spool is being read; it takes no more writes")
        return self._writer.write(data)

    def lines(self) -> Iterator[bytes]:
        """Every line written, in order (may be read several times once writing is over)."""
        if self._writer is not None:
            self._writer.finish()
            self._writer = None
        self._file.seek(0)
        rest = b""
        for chunk in open_stream(self._file, self._key, b"spool"):
            rest += chunk
            *whole, rest = rest.split(b"\n")
            for line in whole:
                yield line + b"\n"
        if rest:
            yield rest

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> SealedSpool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
