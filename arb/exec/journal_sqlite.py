"""A durable journal in SQLite: append-only, idempotent by record id, crash-safe.

One table, one row per record, in append order::

    journal(seq  INTEGER PRIMARY KEY,   -- append order
            kind TEXT, id TEXT,         -- UNIQUE (kind, id): a record id is stored once
            crc  INTEGER,               -- CRC-32 of body
            body BLOB)                  -- arb.exec.journal.encode(record): tagged JSON

**Idempotent ids.** Appending a record whose ``(kind, id)`` is already stored changes
nothing and returns the stored record (``append(r) is r`` tells a new record from a
repeat). Order ids are client order ids (``"<opportunity id>/<role>"``), so an executor
that restarts and replays a decision can neither place nor journal the same order twice.

**Durability** (stdlib ``sqlite3``): ``journal_mode=WAL``; ``synchronous=FULL`` (the
default) fsyncs the WAL at every commit, so a record ``append`` returned survives a power
loss; ``synchronous="NORMAL"`` survives a crash of the process (not of the machine) and
skips that fsync. Each append is one transaction; :meth:`SqliteJournal.batch` groups the
records of one executor call into one commit (all or none of them survive a crash).
One writer at a time: an exclusive ``flock`` on ``<path>.lock`` (released by the OS when
the process dies) makes a second writer — e.g. a zombie executor still running while its
replacement starts — fail with :class:`JournalLockedError` instead of interleaving.

**Crashes.** SQLite transactions are atomic: a crash mid-append leaves the journal as it
was before that append (WAL frames of an unfinished transaction fail their checksums and
are dropped when the database next opens). Below SQLite, every body carries a CRC-32: on
open, a *last* row whose checksum or decoding fails (a torn write from the disk or a copy)
is moved to ``journal_torn`` and counted in :attr:`SqliteJournal.torn`; a bad row with good
rows after it is never skipped silently — reading raises :class:`JournalCorruptError`.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, cast

import msgspec

from arb.exec.journal import JournalError, decode, encode
from arb.exec.orders import JournalRecord, RecordT

#: ``PRAGMA user_version`` of the current table layout.
FORMAT_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq  INTEGER PRIMARY KEY,
    kind TEXT    NOT NULL,
    id   TEXT    NOT NULL,
    crc  INTEGER NOT NULL,
    body BLOB    NOT NULL,
    UNIQUE (kind, id)
);
CREATE TABLE IF NOT EXISTS journal_torn (
    seq  INTEGER PRIMARY KEY,
    kind TEXT,
    id   TEXT,
    crc  INTEGER,
    body BLOB
);
"""


class JournalCorruptError(JournalError):
    """A record before the last one fails its checksum or does not decode."""


class JournalLockedError(JournalError):
    """Another process holds the journal open for writing."""


def kind_of(record: JournalRecord) -> str:
    """The record's tag: ``intent``, ``order``, ``fill``, ``trade``, ``deposit`` or ``control``."""
    return cast(str, type(record).__struct_config__.tag)  # msgspec allows int tags; ours are all str


def _crc(body: bytes) -> int:
    return zlib.crc32(body)


def _decode_row(kind: str, crc: int, body: bytes) -> JournalRecord | None:
    """The row's record, or None when it is torn (checksum, decoding or kind mismatch)."""
    body = bytes(body)
    if _crc(body) != crc:
        return None
    try:
        record = decode(body)
    except msgspec.DecodeError:
        return None
    return record if kind_of(record) == kind else None


class SqliteJournal:
    """A :class:`~arb.exec.journal.Journal` in one SQLite file (see the module doc).

    ``path``: the database file (created with its folder); ``":memory:"`` for tests.
    ``synchronous``: ``"FULL"`` (power-loss safe) or ``"NORMAL"`` (process-crash safe).
    ``readonly``: read without taking the writer lock (reports, dashboards).
    """

    def __init__(self, path: str | os.PathLike[str], *, synchronous: str = "FULL", readonly: bool = False) -> None:
        if synchronous not in ("FULL", "NORMAL", "EXTRA", "OFF"):
            raise ValueError(f"synchronous must be FULL, NORMAL, EXTRA or OFF, got {synchronous!r}")
        self.path = str(path)
        self.readonly = readonly
        #: Torn last records found (and quarantined) when this journal was opened.
        self.torn = 0
        #: Appends that were repeats of a stored id (no-ops).
        self.duplicates = 0
        self._lock = threading.RLock()
        self._batch_depth = 0
        #: A batch's transaction has begun (at its first append).
        self._in_batch_tx = False
        self._lock_file: BinaryIO | None = None
        memory = self.path == ":memory:"
        if not memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            if not readonly:
                self._take_writer_lock()
        uri = f"file:{self.path}?mode=ro" if readonly and not memory else self.path
        try:
            self._db = sqlite3.connect(uri, uri=readonly and not memory, isolation_level=None, check_same_thread=False)
            db = self._db
            db.execute("PRAGMA busy_timeout = 5000")
            if not readonly:
                if not memory:
                    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                    if mode.lower() != "wal":
                        raise JournalError(f"{self.path}: cannot switch to WAL mode (got {mode})")
                db.execute(f"PRAGMA synchronous = {synchronous}")
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, FORMAT_VERSION):
                    raise JournalError(f"{self.path}: journal format {version}, this arb reads {FORMAT_VERSION}")
                db.executescript(_SCHEMA)
                db.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
                self._quarantine_torn_tail()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise JournalError(f"{self.path}: not a readable journal ({exc})") from None
        except BaseException:
            self.close()
            raise

    # -- lifecycle ------------------------------------------------------------------------
    def _take_writer_lock(self) -> None:
        self._lock_file = open(self.path + ".lock", "a+b")  # noqa: SIM115 (held while open)
        try:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            self._lock_file = None
            raise JournalLockedError(f"{self.path}: another process has this journal open for writing") from None

    def close(self) -> None:
        """Close the database and release the writer lock (idempotent)."""
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
            del self._db  # a second close finds none (getattr above)
        if self._lock_file is not None:
            self._lock_file.close()  # releases the flock
            self._lock_file = None

    def __enter__(self) -> SqliteJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _quarantine_torn_tail(self) -> None:
        row = self._db.execute("SELECT seq, kind, id, crc, body FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None or _decode_row(row[1], row[3], row[4]) is not None:
            return
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO journal_torn VALUES (?, ?, ?, ?, ?)", row)
            self._db.execute("DELETE FROM journal WHERE seq = ?", (row[0],))
        self.torn += 1

    # -- writing --------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[None]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def batch(self) -> Iterator[SqliteJournal]:
        """Group appends into one transaction (one fsync): all of them are stored, or —
        after a crash or an exception inside — none. Nests (the outermost commits). A batch
        that appends nothing costs nothing (the transaction begins at the first append), so
        hosts may wrap every pass in one."""
        with self._lock:
            if self._batch_depth:
                self._batch_depth += 1
                try:
                    yield self
                finally:
                    self._batch_depth -= 1
                return
            self._batch_depth = 1
            try:
                yield self
            except BaseException:
                if self._in_batch_tx:
                    self._db.execute("ROLLBACK")
                raise
            else:
                if self._in_batch_tx:
                    self._db.execute("COMMIT")
            finally:
                self._batch_depth = 0
                self._in_batch_tx = False

    def append(self, record: JournalRecord) -> JournalRecord:
        """Store ``record`` after the others; returns it — or, when its ``(kind, id)`` is
        already stored, changes nothing and returns the stored record."""
        if self.readonly:
            raise JournalError(f"{self.path}: opened read-only")
        kind = kind_of(record)
        body = encode(record)
        with self._lock:
            if self._batch_depth and not self._in_batch_tx:
                self._db.execute("BEGIN IMMEDIATE")
                self._in_batch_tx = True
            cur = self._db.execute(
                "INSERT INTO journal (kind, id, crc, body) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING",
                (kind, record.id, _crc(body), body),
            )
            if cur.rowcount:
                return record
            self.duplicates += 1
            stored = self.get(kind, record.id)
        assert stored is not None
        return stored

    # -- reading --------------------------------------------------------------------------
    def get(self, kind: str, record_id: str) -> JournalRecord | None:
        """The stored record of a kind and id (None: not stored)."""
        with self._lock:
            row = self._db.execute("SELECT seq, crc, body FROM journal WHERE kind = ? AND id = ?", (kind, record_id)).fetchone()
        if row is None:
            return None
        record = _decode_row(kind, row[1], row[2])
        if record is None:
            raise JournalCorruptError(f"{self.path}: record #{row[0]} ({kind} {record_id}) fails its checksum")
        return record

    def __contains__(self, key: tuple[str, str]) -> bool:
        """``("order", order_id) in journal``."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM journal WHERE kind = ? AND id = ?", key).fetchone() is not None

    def __iter__(self) -> Iterator[JournalRecord]:
        """Every record in append order (a snapshot taken when iteration starts)."""
        with self._lock:
            rows = self._db.execute("SELECT seq, kind, crc, body FROM journal ORDER BY seq").fetchall()
        for seq, kind, crc, body in rows:
            record = _decode_row(kind, crc, body)
            if record is None:
                raise JournalCorruptError(f"{self.path}: record #{seq} ({kind}) fails its checksum or does not decode")
            yield record

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM journal").fetchone()[0]

    def of_kind(self, kind: type[RecordT]) -> list[RecordT]:
        """Records of one type (``Intent``, ``Order``, ``Fill``, ``TradeResult``, ``Deposit``)."""
        return [r for r in self if isinstance(r, kind)]

    def torn_total(self) -> int:
        """Torn records ever quarantined in this file (``journal_torn``)."""
        with self._lock:
            return self._db.execute("SELECT count(*) FROM journal_torn").fetchone()[0]
