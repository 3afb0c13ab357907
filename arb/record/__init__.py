"""Recordings in "arb recording v1": JSON Lines (optionally gzip) of raw venue traffic."""

from arb.record.format import Header, Record
from arb.record.reader import RecordingReader, read_records
from arb.record.writer import RecordingWriter, redact_frame, redact_url

__all__ = ["Header", "Record", "RecordingReader", "RecordingWriter", "read_records", "redact_frame", "redact_url"]
