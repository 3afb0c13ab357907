"""Paths to the vendored samples and small loaders for tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from arb.record.reader import RecordingReader

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


def examples(venue: str, filename: str) -> list[dict[str, Any]]:
    """Lines of a ``samples/venues/<venue>/*.jsonl`` examples file."""
    path = VENUES / venue / filename
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def example(venue: str, filename: str, name: str) -> dict[str, Any]:
    for line in examples(venue, filename):
        if line.get("name") == name:
            return line
    raise KeyError(name)
