"""Writer for "arb recording v1", with secrets redacted and crash-safe flushing.

Gzip headers carry no timestamp (``mtime=0``), so the same records give the same bytes.
Gzip output is flushed with ``Z_SYNC_FLUSH`` every ``flush_every`` records and on
:meth:`RecordingWriter.flush`, so a crash loses at most the unflushed tail and the file
reads up to its last complete line (see :class:`~arb.record.reader.RecordingReader`).
"""

from __future__ import annotations

import base64
import gzip
import os
import re
from collections.abc import Sequence

import msgspec

from arb.record.format import FORMAT, KINDS, VERSION, Header, Record

_encoder = msgspec.json.Encoder()

#: Query parameters and JSON fields whose values are secrets.
SECRET_NAMES = (
    "token", "signature", "sign", "apikey", "api_key", "key", "passphrase", "jwt", "secret",
    "listenkey", "x-mbx-apikey", "ok-access-sign", "ok-access-key",
)
_QUERY_SECRET = re.compile(r"(?i)([?&](?:" + "|".join(map(re.escape, SECRET_NAMES)) + r")=)[^&#]*")
_JSON_SECRET = re.compile(r'(?i)("(?:' + "|".join(map(re.escape, SECRET_NAMES)) + r')"\s*:\s*)"(?:[^"\\]|\\.)*"')


def redact_url(url: str) -> str:
    """Replace secret query values (``token=…``, ``signature=…``) with ``REDACTED``."""
    return _QUERY_SECRET.sub(r"\1REDACTED", url)


def redact_frame(text: str) -> str:
    """Replace secret JSON string values (``"jwt": "…"``, ``"sign": "…"``) with ``"REDACTED"``."""
    return _JSON_SECRET.sub(r'\1"REDACTED"', text)


class RecordingWriter:
    """Append records to a new recording file (``.gz`` suffix → gzip)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        venue: str | None,
        symbols: Sequence[str],
        source: str,
        flush_every: int = 256,
    ) -> None:
        self.path = os.fspath(path)
        self.flush_every = flush_every
        self.records = 0
        self._unflushed = 0
        self._raw = open(self.path, "xb")  # noqa: SIM115 - held while the writer is open; close() closes it
        self._file = gzip.GzipFile(fileobj=self._raw, mode="wb", compresslevel=6, mtime=0) if self.path.endswith(".gz") else self._raw
        header = Header(format=FORMAT, version=VERSION, venue=venue, symbols=list(symbols), source=source)
        self._file.write(_encoder.encode(header) + b"\n")
        self.flush()

    def write(
        self,
        ts: int,
        venue: str,
        kind: str,
        data: str | bytes | None = None,
        *,
        conn: int | None = None,
        url: str | None = None,
    ) -> None:
        """Write one record; text frames go to ``data``, binary frames to ``data_b64``.

        Outgoing frames (``ws_out``) and URLs are redacted: a recording never holds a secret.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown record kind {kind!r}")
        record = Record(ts=ts, venue=venue, kind=kind, conn=conn, url=redact_url(url) if url else None)
        if isinstance(data, (bytes, bytearray, memoryview)):
            record.data_b64 = base64.b64encode(bytes(data)).decode("ascii")
        elif data is not None:
            record.data = redact_frame(data) if kind == "ws_out" else data
        self._file.write(_encoder.encode(record) + b"\n")
        self.records += 1
        self._unflushed += 1
        if self._unflushed >= self.flush_every:
            self.flush()

    def bytes_written(self) -> int:
        """Bytes on disk so far (compressed for gzip; the unflushed tail not included)."""
        return self._raw.tell()

    def flush(self) -> None:
        """Push everything written so far to the OS (a sync-flush point for gzip)."""
        self._file.flush()
        if self._file is not self._raw:
            self._raw.flush()
        self._unflushed = 0

    def close(self) -> None:
        if self._raw.closed:
            return
        self._file.close()
        if self._file is not self._raw:
            self._raw.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
