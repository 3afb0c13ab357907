"""The venue contract's table shape: what one venue's row tells the contract suite.

Each venue has one :class:`Row` in ``tests/venues/rows/<venue>.py``; ``test_contract.py``
runs every row through the same checks (symbols, malformed and fuzzed input, REST bodies,
signing vectors, official examples, its recording replayed with exact counts, a lost
message, replayed messages, bad levels, bad frames, and a seeded random walk through the
venue's own wire encoder and decoder). Adding a venue means adding its package to
:mod:`arb.venues.registry` and its row to ``tests/venues/rows/``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arb.core.errors import DecodeError
from arb.core.events import Event
from arb.core.numbers import FixedParser
from arb.record.format import Record
from arb.venues.base import Decoder, VenueSpec
from arb.venues.registry import REGISTRY
from arb.venues.wire import Encoder, Frame

#: ``(label, actual, expected)``: one signing check (an official vector or the documented
#: composition, computed independently).
Signature = tuple[str, Any, Any]


@dataclass(frozen=True)
class Book:
    """What one book looks like after a replay (None: not checked)."""

    seq: int | type[Ellipsis] | None = ...
    bid: tuple[str, str] | None = None
    ask: tuple[str, str] | None = None
    depth: tuple[int, int] | None = None
    max_depth: int | None = None


@dataclass(frozen=True)
class Replayed:
    """The exact outcome of replaying a row's recording through ``VenueBooks``."""

    #: Every :class:`~arb.book.sync.SyncStats` counter.
    stats: dict[str, int]
    #: ``VenueBooks.controls``, exactly.
    controls: dict[str, int]
    #: ``(oracle_ok, oracle_failed)``.
    oracles: tuple[int, int]
    #: Every book the replay builds (all live, never crossed), with what is known of it.
    books: dict[str, Book]
    #: The symbols the replay asks a fresh snapshot for, in order (after a gap or a bad checksum).
    asked: tuple[str, ...] = ()
    #: The deepest side any book reached during the replay (None: not checked).
    deepest: int | None = None


@dataclass(frozen=True)
class Lost:
    """Drop the ``nth`` message carrying a delta for ``symbol`` from the recording: the
    venue's integrity rule (``detected_by``: "gap" or "checksum") must catch it."""

    symbol: str
    nth: int
    detected_by: str


@dataclass(frozen=True)
class Walk:
    """A seeded random walk of one book through the venue's encoder and decoder."""

    symbol: str
    seed: int
    #: Subscribed depth (the encoder's and the book's; the true book stays deeper).
    depth: int | None = None
    #: ``oracle(encoder, symbol, best_bid, best_ask, seq, ts_ns) → frame``: the venue's own
    #: top of book at ``seq``, sent after each delta (None: the venue has no oracle).
    oracle: Callable[[Any, str, tuple[str, str] | None, tuple[str, str] | None, int, int], Frame] | None = None


@dataclass(frozen=True)
class Row:
    name: str
    #: Venue symbol ↔ unified symbol, both ways (and through ``VenueBooks``' symbol map).
    symbols: dict[str, str]
    #: Venue symbols that parse but format differently (aliases, other cases).
    parses: dict[str, str] = field(default_factory=dict)
    bad_venue_symbols: tuple[str, ...] = ()
    bad_unified_symbols: tuple[str, ...] = ()
    #: Frames a fresh decoder must reject with ``DecodeError`` (and nothing else).
    malformed: tuple[str | bytes, ...] = ()
    #: Whether a live connection counts every malformed frame as an error (False: some are
    #: dropped unread, e.g. Coinbase frames numbered below the connection's sequence).
    counts_every_bad_frame: bool = True
    #: ``records(tmp_dir) → records`` of the row's recording (shipped, or built for venues
    #: without a real capture), and what replaying it gives.
    records: Callable[[Path], list[Record]] = lambda _: []
    replayed: Replayed | None = None
    #: Official server messages (name → frame as sent): each decodes without error.
    examples: Callable[[], dict[str, Frame]] = dict
    #: ``fuzz_frames(records) → (text frames, binary frames)`` to mutate; seed; mutants per frame.
    fuzz_frames: Callable[[list[Record]], tuple[list[str], list[bytes]]] = lambda _: ([], [])
    fuzz_seed: int = 1
    fuzz_per_frame: int = 40
    #: Decoders the fuzzers drive (default: the spec's).
    decoders: Callable[[VenueSpec], list[Decoder]] | None = None
    #: ``(url, decode(url, body))`` of every REST body the venue's code reads.
    rest_bodies: tuple[tuple[str, Callable[[str, str], object]], ...] = ()
    signatures: Callable[[], list[Signature]] = list
    #: ``bad_level(books) → (frame, symbol, other_symbol)``: a frame continuing ``symbol``'s
    #: book in the replayed recording with a negative price; ``other_symbol`` must stay live.
    bad_level: Callable[[Any], tuple[Frame, str, str | None]] | None = None
    lost: Lost | None = None
    #: A symbol whose deltas, fed again newest first after the replay, are all dropped.
    refed_symbol: str | None = None
    walk: Walk | None = None

    @property
    def spec(self) -> VenueSpec:
        return REGISTRY[self.name].spec

    def encoder(self, symbols: Any, depth: int | None = None) -> Encoder:
        return REGISTRY[self.name].encoder(symbols, depth)


def decoded(spec: VenueSpec, records: Sequence[Record]) -> list[tuple[Record, list[Event]]]:
    """Every ``ws`` record with the events it decodes to, one decoder per connection (as
    ``VenueBooks`` does), in order; undecodable frames give no events."""
    symbols, parser = spec.symbol_map(), FixedParser()
    decoders: dict[int, Decoder] = {}
    out = []
    for rec in records:
        if rec.kind == "connect":
            decoders[rec.conn or 0] = spec.decoder(symbols, parser)
        elif rec.kind == "ws":
            decoder = decoders.setdefault(rec.conn or 0, spec.decoder(symbols, parser))
            try:
                out.append((rec, decoder.decode(rec.payload, rec.ts)))
            except DecodeError:
                out.append((rec, []))
    return out
