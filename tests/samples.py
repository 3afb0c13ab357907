"""Paths to the vendored samples and small loaders for tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from arb.record.reader import RecordingReader
from arb.venues.base import VenueSpec
from arb.venues.books import VenueBooks

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
RECORDINGS = SAMPLES / "recordings"
VENUES = SAMPLES / "venues"


def recording(prefix: str) -> Path:
    """The shipped recording whose name starts with ``prefix`` (exactly one)."""
    matches = sorted(RECORDINGS.glob(prefix + "*.jsonl.gz"))
    assert len(matches) == 1, matches
    return matches[0]


def records(prefix: str) -> list:
    with RecordingReader(recording(prefix)) as reader:
        return list(reader)


def replay(books: VenueSpec | VenueBooks, records, after_each=None) -> VenueBooks:
    """Feed ``records`` to ``books`` (a fresh :class:`VenueBooks` for a spec), calling
    ``after_each(books, record)`` after each; returns the books."""
    vb = books if isinstance(books, VenueBooks) else VenueBooks(books)
    for rec in records:
        vb.on_record(rec)
        if after_each is not None:
            after_each(vb, rec)
    return vb


def examples(venue: str, filename: str) -> list[dict[str, Any]]:
    """Lines of a ``samples/venues/<venue>/*.jsonl`` examples file."""
    path = VENUES / venue / filename
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class _Verbatim(msgspec.Struct):
    name: str
    msg: msgspec.Raw


def verbatim_examples(venue: str, filename: str) -> dict[str, str]:
    """``name → message text`` of an examples file, exactly as written (JSON number lexemes
    with their trailing zeros matter to Kraken's and OKX's checksums)."""
    path = VENUES / venue / filename
    return {
        e.name: bytes(e.msg).decode()
        for e in (msgspec.json.decode(line, type=_Verbatim) for line in path.read_text().splitlines() if line.strip())
    }


def texts(levels) -> list[tuple[str, str]]:
    """Levels as ``(price text, size text)`` (some venues' levels carry extras after them)."""
    return [tuple(lv[:2]) for lv in levels]


def example(venue: str, filename: str, name: str) -> dict[str, Any]:
    for line in examples(venue, filename):
        if line.get("name") == name:
            return line
    raise KeyError(name)
