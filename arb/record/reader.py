"""Streaming reader for "arb recording v1" (constant memory; plain or gzip; mixed venues).

Bad lines are skipped and counted, never fatal: a recording cut off by a crash (a
truncated last line, or a gzip stream without its end marker) reads up to its last
complete line. Only a missing or wrong header is an error (:class:`RecordingError`).
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator

import msgspec

from arb.core.errors import RecordingError
from arb.record.format import FORMAT, KINDS, VERSION, Header, Record

log = logging.getLogger(__name__)

_header = msgspec.json.Decoder(Header)
_record = msgspec.json.Decoder(Record)


def _open(path: str | os.PathLike[str]) -> tuple[io.BufferedReader, io.BufferedIOBase]:
    """``(raw file, line source)``: the source decompresses gzip transparently."""
    raw = open(path, "rb")
    if raw.peek(2)[:2] == b"\x1f\x8b":
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw, raw


class RecordingReader:
    """Iterate the records of one recording file.

    >>> with RecordingReader(path) as rec:          # doctest: +SKIP
    ...     for record in rec:
    ...         ...

    ``header`` is read on open. After iterating, ``skipped`` counts unreadable lines by
    reason and ``truncated`` tells whether the file ended mid-line or mid-stream.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.skipped: Counter[str] = Counter()
        self.truncated = False
        self.lines = 0
        try:
            self._raw, self._file = _open(self.path)
        except OSError as exc:
            raise RecordingError(f"{self.path}: cannot open: {exc.strerror or exc}") from None
        try:
            first = self._file.readline()
        except (OSError, EOFError, zlib.error) as exc:
            self.close()
            raise RecordingError(f"{self.path}: cannot read: {exc}") from None
        try:
            self.header = _header.decode(first)
        except msgspec.DecodeError as exc:
            self.close()
            raise RecordingError(f"{self.path}: first line is not an arb recording header ({exc})") from None
        if self.header.format != FORMAT or self.header.version != VERSION:
            self.close()
            raise RecordingError(
                f"{self.path}: not {FORMAT} v{VERSION} (format={self.header.format!r}, version={self.header.version!r})"
            )

    def __enter__(self) -> RecordingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()
        self._raw.close()

    def position(self) -> int:
        """Bytes of the file consumed so far (compressed bytes for gzip): for progress bars."""
        return self._raw.tell() if not self._raw.closed else os.path.getsize(self.path)

    def __iter__(self) -> Iterator[Record]:
        file = self._file
        while True:
            try:
                line = file.readline()
            except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
                # A crash left the gzip stream without its end; what came before is good.
                self.truncated = True
                log.warning("%s: stream ends early (%s); stopping at the last complete line", self.path, exc)
                return
            if not line:
                return
            self.lines += 1
            if not line.endswith(b"\n"):
                # Only the very last line can lack its newline; it is complete only if it parses.
                self.truncated = True
            if not line.strip():
                continue
            try:
                record = _record.decode(line)
            except msgspec.DecodeError as exc:
                reason = "truncated" if self.truncated else "malformed"
                self.skipped[reason] += 1
                log.warning("%s line %d: skipped %s record: %s", self.path, self.lines + 1, reason, exc)
                continue
            if record.kind not in KINDS:
                self.skipped["unknown-kind"] += 1
                continue
            self.truncated = False
            yield record


def read_records(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[RecordingReader, Record]]:
    """Records of several files in order, file after file, with the reader each came from."""
    for path in paths:
        with RecordingReader(path) as reader:
            for record in reader:
                yield reader, record
