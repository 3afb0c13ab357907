"""A venue's side of the wire: book sequence numbers and per-connection frame streams.

Shared by the offline recorder (:mod:`arb.sim.recording`) and online loopback servers.
Neither does I/O: they turn the model's :class:`~arb.sim.market.BookChange` values into the
frames a venue would send, through that venue's wire :class:`~arb.venues.wire.Encoder`.

- :class:`Sequencer` — the venue's own update ids per symbol. Every change advances them,
  whether anyone listens or not, like a matching engine; a change of ``n`` levels takes
  ``n`` consecutive ids (one per level, in bids-then-asks order, as KuCoin numbers them),
  sometimes plus a few more (updates that netted out inside the publishing window).
- :class:`Connection` — one websocket connection: its URL and subscribe frames (from the
  venue's :class:`~arb.venues.base.VenueSpec`), its encoder, and which books it streams.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from arb.book.book import OrderBook
from arb.sim.market import BookChange
from arb.venues.base import VenueSpec
from arb.venues.wire import Encoder, Frame

#: Chance that a change's id range has a few extra ids (netted-out updates).
EXTRA_IDS_PROBABILITY = 0.2


@runtime_checkable
class AcksSubscriptions(Protocol):
    """Encoders whose venue acknowledges each symbol's subscription (Kraken, OKX)."""

    def subscribe_ack(self, symbol: str, ts_ns: int) -> list[Frame]: ...


class Sequencer:
    """Per-symbol update ids of one venue, starting at random large values (seeded ``rng``)."""

    __slots__ = ("last", "rng")

    def __init__(self, symbols: Sequence[str], rng: random.Random) -> None:
        self.rng = rng
        self.last: dict[str, int] = {s: rng.randrange(10**9, 10**10) for s in symbols}

    def advance(self, change: BookChange) -> tuple[int, int]:
        """Ids ``(first, last)`` of ``change``: one per level, sometimes a few extra at the end."""
        first = self.last[change.symbol] + 1
        count = len(change.bids) + len(change.asks)
        if self.rng.random() < EXTRA_IDS_PROBABILITY:
            count += self.rng.randint(1, 3)
        last = self.last[change.symbol] = first + max(count, 1) - 1
        return first, last


class Connection:
    """One simulated websocket connection of ``spec``'s venue carrying ``symbols``.

    ``streaming`` holds the symbols whose book changes are sent: a symbol starts streaming
    when its subscription takes effect (:meth:`start`).
    """

    __slots__ = ("conn", "spec", "symbols", "natives", "encoder", "streaming")

    def __init__(self, conn: int, spec: VenueSpec, symbols: Sequence[str], encoder: Encoder, natives: Sequence[str]) -> None:
        self.conn = conn
        self.spec = spec
        self.symbols = tuple(symbols)
        self.natives = list(natives)
        self.encoder = encoder
        self.streaming: set[str] = set()

    def url(self) -> str:
        """The websocket URL a client opens for these symbols."""
        return self.spec.connect_url(self.spec.ws_url, self.natives, self.spec.depth)

    def subscribe_frames(self, now_ns: int) -> list[str]:
        """The frames a client sends after connecting (``ws_out``) at ``now_ns``."""
        return self.spec.subscribe_frames(self.natives, self.spec.depth, now_ns // 1_000_000)

    def start(self, symbol: str, book: OrderBook, seq: int, ts_ns: int) -> list[Frame]:
        """The subscription of ``symbol`` takes effect at ``ts_ns``: its ack (if the venue
        sends one) and, for in-stream-snapshot venues, the snapshot of ``book`` at ``seq``.
        Later changes of ``symbol`` are streamed."""
        frames: list[Frame] = []
        encoder = self.encoder
        if isinstance(encoder, AcksSubscriptions):
            frames += encoder.subscribe_ack(symbol, ts_ns)
        if self.spec.snapshot_source == "ws":
            frames += encoder.snapshot(symbol, book.bids(), book.asks(), seq, ts_ns, book)
        self.streaming.add(symbol)
        return frames

    def delta(self, change: BookChange, first_seq: int, last_seq: int) -> list[Frame]:
        """The frames carrying ``change`` (none when its symbol is not streaming here)."""
        if change.symbol not in self.streaming:
            return []
        return self.encoder.delta(
            change.symbol, change.bids, change.asks, first_seq, last_seq, change.ts_ns, change.book
        )

    def heartbeat(self, ts_ns: int) -> list[Frame]:
        return self.encoder.heartbeat(ts_ns)
