"""A recorder for live traffic: one rotating "arb recording v1" stream per venue.

Files are gzip, named ``<venue>-<UTC start>-<n>.jsonl.gz``; a venue's next file starts when
the current one passes ``rotate_bytes`` (compressed) or ``rotate_s`` of traffic, and
continues the same stream (``arb verify a-1 a-2 …`` reads them as one). Every write is
redacted by :class:`~arb.record.writer.RecordingWriter`; files are flushed every
``flush_s`` and on rotation and close, so Ctrl-C or a crash leaves each file readable to its
last complete line.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from arb.record.writer import RecordingWriter


class RotatingRecorder:
    """``recorder(ts, venue, kind, data, conn=…, url=…)`` — the feeds' recorder signature."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        symbols: Sequence[str],
        source: str,
        rotate_bytes: int = 64 * 2**20,
        rotate_s: float = 3600.0,
        flush_s: float = 1.0,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.symbols = list(symbols)
        self.source = source
        self.rotate_bytes = rotate_bytes
        self.rotate_ns = round(rotate_s * 1e9)
        self.flush_ns = round(flush_s * 1e9)
        self._writers: dict[str, RecordingWriter] = {}
        self._opened_ns: dict[str, int] = {}
        self._flushed_ns: dict[str, int] = {}
        self._parts: dict[str, int] = {}
        self._stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.files: list[Path] = []
        self.records = 0

    def __call__(
        self, ts: int, venue: str, kind: str, data: str | bytes | None = None, *, conn: int | None = None, url: str | None = None
    ) -> None:
        writer = self._writers.get(venue)
        if writer is None or self._due(venue, writer, ts):
            writer = self._rotate(venue, ts)
        writer.write(ts, venue, kind, data, conn=conn, url=url)
        self.records += 1
        if ts - self._flushed_ns[venue] >= self.flush_ns:
            writer.flush()
            self._flushed_ns[venue] = ts

    def _due(self, venue: str, writer: RecordingWriter, ts: int) -> bool:
        return ts - self._opened_ns[venue] >= self.rotate_ns or writer.bytes_written() >= self.rotate_bytes

    def _rotate(self, venue: str, ts: int) -> RecordingWriter:
        old = self._writers.pop(venue, None)
        if old is not None:
            old.close()
        part = self._parts.get(venue, 0) + 1
        self._parts[venue] = part
        path = self.directory / f"{venue}-{self._stamp}-{part:04d}.jsonl.gz"
        writer = RecordingWriter(path, venue, self.symbols, self.source)
        self._writers[venue] = writer
        self._opened_ns[venue] = ts
        self._flushed_ns[venue] = ts
        self.files.append(path)
        return writer

    def flush(self) -> None:
        for writer in self._writers.values():
            writer.flush()

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    def __enter__(self) -> RotatingRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


