"""The journal: an append-only log of every intent, order, fill and trade outcome.

Records are the tagged structs of :mod:`arb.exec.orders`; :func:`encode`/:func:`decode`
turn them into JSON bytes and back (what a persistent journal, e.g. SQLite, stores).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

import msgspec

from arb.core.errors import ArbError
from arb.exec.orders import JournalRecord, RecordT

_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(JournalRecord)


class JournalError(ArbError):
    """A journal cannot be opened, read or replayed as it is."""


class Journal(Protocol):
    """Append-only storage of journal records, in order."""

    def append(self, record: JournalRecord) -> JournalRecord:
        """Store one record after the ones before it; returns it — or, for a journal that
        keeps ids unique (:class:`~arb.exec.journal_sqlite.SqliteJournal`), the record stored
        earlier under the same kind and id, unchanged (so ``append(r) is r`` tells new from repeat)."""
        ...

    def __iter__(self) -> Iterator[JournalRecord]:
        """Every record, oldest first."""
        ...

    def batch(self) -> AbstractContextManager[object]:
        """Group the appends inside into one durable unit (all or none survive a crash)."""
        ...


class MemoryJournal:
    """A journal in a list (backtests, tests)."""

    __slots__ = ("records",)

    def __init__(self) -> None:
        self.records: list[JournalRecord] = []

    def append(self, record: JournalRecord) -> JournalRecord:
        self.records.append(record)
        return record

    def __iter__(self) -> Iterator[JournalRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def batch(self) -> AbstractContextManager[object]:
        """Nothing to group in memory."""
        return nullcontext(self)

    def of_kind(self, kind: type[RecordT]) -> list[RecordT]:
        """Records of one type (``Intent``, ``Order``, ``Fill``, ``TradeResult``)."""
        return [r for r in self.records if isinstance(r, kind)]


def encode(record: JournalRecord) -> bytes:
    """One record as JSON bytes, tagged with its kind (``{"type": "fill", …}``)."""
    return _ENCODER.encode(record)


def decode(data: bytes | str) -> JournalRecord:
    """The inverse of :func:`encode`; raises ``msgspec.DecodeError`` on bad input."""
    return _DECODER.decode(data)
