"""A precomputed market: the model's changes, numbered and framed before serving starts.

Stepping the :class:`~arb.sim.market.MarketModel` and framing its changes costs tens of
microseconds per change — more than a process serving 20,000 messages/s alongside a
trading engine can spend. With ``SimConfig.prepare_s`` the simulator runs the model that
many model-seconds ahead *before* it opens its ports: every change gets its update ids
and the frames of each venue's default streams (the ones the venue module subscribes to)
ready to write. Serving a taped change then costs a dict lookup and a list append per
subscriber. Frames carry the wall-clock time at which they are due, so serving starts at
a planned instant (``start_ns``) that the preparation is timed to meet.

While the tape plays, each server keeps its own true books (:class:`TapeTruth`: copies of
the initial books, with taped changes applied when someone looks); streams other than the
defaults (another Kraken depth, Gate ``spot.obu`` …) are framed on the fly from them. When
the tape runs out the live model, which stands exactly where the tape ends, takes over.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.sim.config import MarketConfig
from arb.sim.market import BookChange, Level, MarketModel
from arb.sim.server.frames import Out

if TYPE_CHECKING:
    from arb.sim.server.venue import StreamKey, VenueServer

#: Taped changes pending on one book before they are applied anyway (bounds memory).
_MAX_PENDING = 4096


class TapeEntry:
    """One taped change: model time, wire time, update ids, levels and ready frames."""

    __slots__ = ("model_ns", "ts", "venue", "symbol", "first", "last", "bids", "asks", "frames")

    def __init__(
        self, model_ns: int, ts: int, venue: str, symbol: str, first: int, last: int, bids: list[Level],
        asks: list[Level], frames: tuple[tuple[StreamKey, tuple[Out, ...]], ...],
    ) -> None:
        self.model_ns = model_ns
        self.venue = venue
        self.ts = ts
        self.symbol = symbol
        self.first = first
        self.last = last
        self.bids = bids
        self.asks = asks
        self.frames = frames

    def outs(self, key: StreamKey) -> tuple[Out, ...] | None:
        """The ready frames of stream ``key`` (None: not a default stream, frame it now)."""
        for k, outs in self.frames:
            if k == key:
                return outs
        return None

    def change(self, book: OrderBook) -> BookChange:
        return BookChange(self.venue, self.symbol, self.ts, self.bids, self.asks, book)


class TapeTruth:
    """A server's true books while a tape plays: copies, brought up to date on demand."""

    def __init__(self, books: Mapping[str, OrderBook]) -> None:
        self.books = {symbol: copy_book(book) for symbol, book in books.items()}
        self.pending: dict[str, list[TapeEntry]] = {symbol: [] for symbol in books}

    def add(self, entry: TapeEntry) -> None:
        pending = self.pending[entry.symbol]
        pending.append(entry)
        if len(pending) >= _MAX_PENDING:
            self.book(entry.symbol)

    def book(self, symbol: str) -> OrderBook:
        book = self.books[symbol]
        pending = self.pending[symbol]
        if pending:
            for entry in pending:
                book.apply(entry.bids, entry.asks)
            book.ts_event_ns = pending[-1].model_ns
            pending.clear()
        return book


def copy_book(book: OrderBook) -> OrderBook:
    copy = OrderBook(book.venue, book.symbol, book.max_depth, book.parser)
    copy.load(book.bids(), book.asks())
    copy.state, copy.reason, copy.seq = BookState.LIVE, "", book.seq
    copy.ts_event_ns = book.ts_event_ns
    return copy


def record(model: MarketModel, servers: Mapping[str, VenueServer], until_ns: int, stamp: Callable[[int], int]) -> list[TapeEntry]:
    """Step ``model`` to ``until_ns``; every change becomes its server's tape entry, framed
    with wire time ``stamp(model_ns)``. Entries come in publication order."""
    entries: list[TapeEntry] = []
    tick = model.tick_ns
    while model.now_ns + tick <= until_ns:
        for change in model.step(model.now_ns + tick):
            server = servers.get(change.venue)
            if server is not None:
                entries.append(server.tape_entry(change, stamp(change.ts_ns)))
    return entries


def estimate_s(config: MarketConfig, model_s: float, probe_s: float = 0.25, framing_factor: float = 1.6) -> float:
    """Roughly how long preparing ``model_s`` of ``config``'s market takes here: a scratch
    model, once past its first (slower, memo-filling) steps, runs for ``probe_s``; framing
    the default streams is taken to cost ``framing_factor`` × the model's time, plus half a
    second to spare (serving waits for the planned start when the tape is ready early)."""
    scratch = MarketModel(config, seed=0, start_ns=0)
    warm = time.perf_counter() + probe_s / 2
    while time.perf_counter() < warm:
        scratch.step(scratch.now_ns + 20 * scratch.tick_ns)
    model0, start = scratch.now_ns, time.perf_counter()
    while time.perf_counter() - start < probe_s:
        scratch.step(scratch.now_ns + 20 * scratch.tick_ns)
    rate = (scratch.now_ns - model0) / 1e9 / (time.perf_counter() - start)  # model s per wall s
    return model_s / rate * framing_factor + 0.5


def stamp_for(start_ns: int, speed: float | None) -> Callable[[int], int]:
    """Model time → the wall time it will be served at, when serving starts at ``start_ns``
    (model time ``start_ns`` too) and runs at ``speed`` (None: model time itself)."""
    if speed is None:
        return lambda model_ns: model_ns
    return lambda model_ns: start_ns + round((model_ns - start_ns) / speed)

