"""Book health: the state a book is in and why."""

from __future__ import annotations

from enum import StrEnum


class BookState(StrEnum):
    """Where a book stands. Only ``LIVE`` books may be scanned.

    - ``SYNCING``: waiting for the first snapshot (deltas are buffered).
    - ``LIVE``: snapshot applied, every delta since chained and verified.
    - ``STALE``: was live, but no data has arrived for too long (connection idle).
    - ``RESYNCING``: a gap, checksum failure, crossed book or bad frame broke the chain;
      the book was cleared and a fresh snapshot is on its way.
    - ``FAILED``: resync gave up (e.g. the venue keeps failing); needs an operator or a
      reconnect.
    """

    SYNCING = "syncing"
    LIVE = "live"
    STALE = "stale"
    RESYNCING = "resyncing"
    FAILED = "failed"
