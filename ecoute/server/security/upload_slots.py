"""How many turn uploads one device may have in flight; the rest get 429 with Retry-After.

One stolen or buggy device token must not be able to occupy the server: each upload in
flight holds a connection, its body in memory and, later, a decoder and a database
connection. The cap is per API process (a counter in memory, no shared state): with N
processes behind a load balancer a device can have up to N × cap uploads in flight, which
is still bounded; a cross-process cap would need a shared store (a database row lock per
upload would itself hold the connections this guards).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException

#: Seconds a refused device is told to wait: about one turn's processing time.
RETRY_AFTER_S = 2


class UploadSlots:
    def __init__(self, per_device: int):
        self.per_device = per_device
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()

    def in_flight(self, device_id: str) -> int:
        with self._lock:
            return self._in_flight.get(device_id, 0)

    @contextmanager
    def hold(self, device_id: str) -> Iterator[None]:
        """A slot for one upload of ``device_id`` for the block's duration, or 429."""
        with self._lock:
            held = self._in_flight.get(device_id, 0)
            if held >= self.per_device:
                raise HTTPException(status_code=429, headers={"Retry-After": str(RETRY_AFTER_S)},
                                    detail=f"this device already has {held} uploads in flight; "
                                           f"retry after {RETRY_AFTER_S} s")
            self._in_flight[device_id] = held + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._in_flight[device_id] - 1
                if left:
                    self._in_flight[device_id] = left
                else:
                    del self._in_flight[device_id]
