"""Streaming reader for "arb recording v1" (constant memory; plain or gzip; mixed venues).

Bad lines are skipped and counted, never fatal. Two kinds of damage are told apart:

* **truncated** — the file just ends early, as a crash leaves it: a last line without its
  newline, or a gzip stream without its end-of-stream marker. Everything before is good
  and is read up to the last complete line.
* **corrupted** — the bytes are wrong: a gzip CRC or length mismatch, a deflate data
  error, garbage after the gzip stream. Reading stops there; lines read before a CRC
  mismatch (gzip checks it only at the end of the stream) came from damaged data.

Only a missing or wrong header is an error (:class:`RecordingError`). Nothing is logged per
line: after the last record the reader logs one warning per skip reason, with its count
and the first example, and one for damage (:meth:`RecordingReader.problems`).
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
    raw = open(path, "rb")  # noqa: SIM115 - RecordingReader.close closes it
    if raw.peek(2)[:2] == b"\x1f\x8b":
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")
    return raw, raw


class RecordingReader:
    """Iterate the records of one recording file.

    >>> with RecordingReader(path) as rec:          # doctest: +SKIP
    ...     for record in rec:
    ...         ...

    ``header`` is read on open. After iterating, ``skipped`` counts unreadable lines by
    reason (``first_skip`` holds the first example of each: line number and error),
    ``truncated`` tells whether the file ended early (mid-line or mid-stream) and
    ``corrupted`` why its bytes are damaged (None when they are not).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.skipped: Counter[str] = Counter()
        self.first_skip: dict[str, tuple[int, str]] = {}
        self.truncated = False
        self.corrupted: str | None = None
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
        self.lines = 1

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
        try:
            yield from self._records()
        finally:
            for problem in self.problems():
                log.warning("%s", problem)

    def _skip(self, reason: str, detail: str) -> None:
        self.skipped[reason] += 1
        self.first_skip.setdefault(reason, (self.lines, detail))

    def _records(self) -> Iterator[Record]:
        file = self._file
        while True:
            try:
                line = file.readline()
            except EOFError:
                # A crash left the gzip stream without its end; what came before is good.
                self.truncated = True
                return
            except (zlib.error, OSError) as exc:  # gzip.BadGzipFile is an OSError
                self.corrupted = str(exc) or type(exc).__name__
                return
            if not line:
                return
            self.lines += 1
            cut = not line.endswith(b"\n")  # only the very last line can lack its newline
            if not line.strip():
                continue
            try:
                record = _record.decode(line)
            except msgspec.DecodeError as exc:
                if cut:
                    self.truncated = True
                    self._skip("truncated", str(exc))
                else:
                    self._skip("malformed", str(exc))
                continue
            if record.kind not in KINDS:
                self._skip("unknown-kind", f"kind {record.kind!r}")
                continue
            yield record

    def problems(self) -> list[str]:
        """One line per skip reason (count and first example) and one per damage: what a
        reader says about its file once read (also logged as warnings)."""
        out = [
            f"{self.path}: skipped {n} {reason} line{'s' if n != 1 else ''} (first: line {self.first_skip[reason][0]}: "
            f"{self.first_skip[reason][1]})"
            for reason, n in sorted(self.skipped.items())
        ]
        if self.corrupted is not None:
            out.append(f"{self.path}: CORRUPTED after line {self.lines} ({self.corrupted}): the rest is unreadable "
                       "and the lines read may hold damaged data")
        elif self.truncated:
            out.append(f"{self.path}: truncated (ends early, as a crash leaves a file): read up to its last complete line")
        return out


def read_records(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[RecordingReader, Record]]:
    """Records of several files in order, file after file, with the reader each came from."""
    for path in paths:
        with RecordingReader(path) as reader:
            for record in reader:
                yield reader, record
