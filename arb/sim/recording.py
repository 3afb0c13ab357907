"""Write simulated markets as "arb recording v1" in each venue's real wire format.

:func:`write_recording` runs a :class:`~arb.sim.market.MarketModel` and records what a
client of every venue would have captured, as live:

- per connection a ``connect`` record (the venue's real websocket URL) and its ``ws_out``
  subscribe frames; then, once the subscription takes effect, the venue's acks and — for
  in-stream-snapshot venues (Kraken, OKX, Coinbase) — each symbol's snapshot frame;
- deltas as the venue frames them (Binance JSON, MEXC protobuf as ``data_b64`` …), with
  update ids chaining per symbol (:class:`~arb.sim.stream.Sequencer`), checksums over the
  true book, venue event times inside and receive times (latency + jitter, in order per
  connection) as the records' ``ts``; heartbeats where the venue sends them;
- for REST-snapshot venues (Binance, Gate, KuCoin, MEXC) a ``rest`` record per symbol a
  little after its stream started, so readers buffer deltas and bridge onto it. Like a
  real REST cache, the body may lag the stream by part of one update: its id can fall
  inside a buffered delta's range (the straddle case of the venue's sync rule).

One file with every venue, or one file per venue (``"{venue}"`` in the path, or a
mapping). The same config and seed give byte-identical files.
"""

from __future__ import annotations

import heapq
import math
import os
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from arb.book.book import OrderBook
from arb.core.errors import ConfigError
from arb.record.writer import RecordingWriter
from arb.sim.config import MarketConfig, VenueConfig
from arb.sim.market import DEFAULT_START_NS, BookChange, Dislocation, MarketModel
from arb.sim.stream import Connection, Sequencer
from arb.venues.base import VenueSpec
from arb.venues.registry import encoder as get_encoder
from arb.venues.registry import get as get_spec
from arb.venues.wire import Frame

_MS = 1_000_000
_S = 1_000_000_000

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class WireTiming:
    """When the simulated clients act (all after the recording's start).

    ``rest_delay_ms``: from a subscription taking effect to the first REST snapshot
    request; ``rest_stagger_ms`` between the requests of one venue's symbols;
    ``heartbeat_s``: how often a venue's heartbeat frames come (where it sends any).
    """

    rest_delay_ms: int = 150
    rest_stagger_ms: int = 20
    heartbeat_s: float = 1.0


@dataclass
class Generated:
    """What :func:`write_recording` wrote. ``model`` holds the true books at the end."""

    paths: dict[str, str]
    records: int = 0
    frames: int = 0
    changes: int = 0
    records_by_venue: dict[str, int] = field(default_factory=dict)
    dislocations: list[Dislocation] = field(default_factory=list)
    start_ns: int = 0
    end_ns: int = 0
    model: MarketModel | None = None


def write_recording(
    path: PathLike | Mapping[str, PathLike],
    config: MarketConfig,
    seed: int,
    duration_s: float,
    *,
    start_ns: int = DEFAULT_START_NS,
    timing: WireTiming = WireTiming(),
    overwrite: bool = False,
) -> Generated:
    """Simulate ``duration_s`` of ``config``'s market from ``seed`` and record every venue.

    ``path``: one file for all venues; a path containing ``{venue}`` or a mapping
    venue → path for one file per venue (``.gz`` suffix → gzip). Existing files are
    refused unless ``overwrite``. Raises :class:`ConfigError` for a bad config or a venue
    without a spec or encoder.
    """
    paths = _paths(path, config)
    if not overwrite:
        for p in set(paths.values()):
            if os.path.exists(p):
                raise FileExistsError(p)
    model = MarketModel(config, seed, start_ns)
    recorder = _Recorder(model, seed, timing)
    writers: dict[str, RecordingWriter] = {}
    by_path: dict[str, RecordingWriter] = {}
    source = f"arb.sim {config.name} seed={seed}"
    try:
        for venue in config.venue_names:
            p = paths[venue]
            if p not in by_path:
                if overwrite and os.path.exists(p):
                    os.remove(p)
                single = sum(1 for q in paths.values() if q == p) == 1
                symbols = config.listed(venue) if single else config.symbol_names
                by_path[p] = RecordingWriter(p, venue if single else None, list(symbols), source)
            writers[venue] = by_path[p]
        result = Generated(paths={v: str(p) for v, p in paths.items()}, start_ns=start_ns)
        end_ns = start_ns + round(duration_s * _S)
        for ts, _, venue, kind, data, conn, url in recorder.run(end_ns):
            writers[venue].write(ts, venue, kind, data, conn=conn, url=url)
            result.records += 1
            result.records_by_venue[venue] = result.records_by_venue.get(venue, 0) + 1
            if kind == "ws":
                result.frames += 1
    finally:
        for writer in by_path.values():
            writer.close()
    result.changes = recorder.changes
    result.dislocations = list(model.dislocations)
    result.end_ns = model.now_ns
    result.model = model
    return result


def _paths(path: PathLike | Mapping[str, PathLike], config: MarketConfig) -> dict[str, str]:
    if isinstance(path, Mapping):
        missing = [v for v in config.venue_names if v not in path]
        if missing:
            raise ConfigError(f"path: no file named for venues {missing}")
        return {v: os.fspath(path[v]) for v in config.venue_names}
    text = os.fspath(path)
    return {v: text.replace("{venue}", v) for v in config.venue_names}


#: A record waiting in time order: (ts, order, venue, kind, data, conn, url).
_Pending = tuple[int, int, str, str, Frame | None, int | None, str | None]


class _Rest:
    """A REST snapshot request in flight: the book as it was asked for, and when it lands."""

    __slots__ = ("symbol", "bids", "asks", "seq", "deadline_ns", "recv_ns")

    def __init__(self, symbol: str, book: OrderBook, seq: int, deadline_ns: int, recv_ns: int) -> None:
        self.symbol = symbol
        self.bids, self.asks, self.seq = book.bids(), book.asks(), seq
        self.deadline_ns = deadline_ns
        self.recv_ns = recv_ns


class _VenueFeed:
    """One venue's simulated client: connections, schedule, REST requests, receive times."""

    def __init__(self, vi: int, spec: VenueSpec, cfg: VenueConfig, model: MarketModel, seed: int, timing: WireTiming, first_conn: int) -> None:
        config = model.config
        self.spec = spec
        self.cfg = cfg
        self.rng = random.Random(f"{seed}:{spec.name}")
        symbols = config.listed(cfg.name)
        self.sequencer = Sequencer(symbols, self.rng)
        symbol_map = spec.symbol_map(symbols)
        factory = get_encoder(spec.name)
        per_conn = cfg.symbols_per_connection or len(symbols)
        tick = model.tick_ns
        self.conns: list[Connection] = []
        self.by_symbol: dict[str, Connection] = {}
        #: A heap of (time, order, action, arg): the connection, or the symbol of a "rest" request.
        self.schedule: list[tuple[int, int, str, Connection | str]] = []
        self._order = 0
        latency_ticks = _ticks(cfg.latency_ms * _MS, tick)
        for i in range(0, len(symbols), per_conn):
            group = symbols[i : i + per_conn]
            conn = Connection(first_conn + len(self.conns), spec, group, factory(symbol_map, spec.depth),
                              [symbol_map.venue_symbol(s) for s in group])
            connect_ns = model.start_ns + tick * (1 + vi + len(self.conns))
            live_ns = connect_ns + tick * (1 + latency_ticks)
            self.at(connect_ns, "connect", conn)
            self.at(live_ns, "live", conn)
            if spec.snapshot_source == "rest":
                for j, symbol in enumerate(group):
                    delay_ns = (timing.rest_delay_ms + j * timing.rest_stagger_ms) * _MS
                    self.at(live_ns + tick * _ticks(delay_ns, tick), "rest", symbol)
            self.at(live_ns + round(timing.heartbeat_s * _S), "heartbeat", conn)
            self.conns.append(conn)
            for symbol in group:
                self.by_symbol[symbol] = conn
        self.heartbeat_ns = round(timing.heartbeat_s * _S)
        self.last_recv: dict[int, int] = {}
        self.rest: dict[str, _Rest] = {}

    def at(self, ts_ns: int, action: str, arg: Connection | str) -> None:
        """Schedule ``action`` (connect, live, rest, heartbeat) at ``ts_ns``."""
        heapq.heappush(self.schedule, (ts_ns, self._order, action, arg))
        self._order += 1

    def recv_ns(self, conn: int, event_ns: int) -> int:
        """When a frame sent at ``event_ns`` arrives: latency + jitter, never before the previous one."""
        cfg = self.cfg
        arrival = event_ns + round((cfg.latency_ms + cfg.latency_jitter_ms * self.rng.random()) * _MS)
        arrival = max(arrival, self.last_recv.get(conn, 0))
        self.last_recv[conn] = arrival
        return arrival


class _Recorder:
    """Drives the model tick by tick and yields records in time order."""

    def __init__(self, model: MarketModel, seed: int, timing: WireTiming) -> None:
        self.model = model
        self.timing = timing
        self.feeds: dict[str, _VenueFeed] = {}
        first_conn = 1
        for vi, cfg in enumerate(model.config.venues):
            spec = get_spec(cfg.name)
            if spec.depth is not None and cfg.levels > spec.depth:
                raise ConfigError(f"venues[{vi}].levels: {cfg.name} books are cut at {spec.depth} levels, got {cfg.levels}")
            feed = self.feeds[cfg.name] = _VenueFeed(vi, spec, cfg, model, seed, timing, first_conn)
            first_conn += len(feed.conns)
        self.heap: list[_Pending] = []
        self.order = 0
        self.changes = 0
        self.parser = model.parser

    def emit(self, ts: int, venue: str, kind: str, data: Frame | None = None, conn: int | None = None, url: str | None = None) -> None:
        heapq.heappush(self.heap, (ts, self.order, venue, kind, data, conn, url))
        self.order += 1

    def run(self, end_ns: int) -> Iterator[_Pending]:
        """Yield every record up to ``end_ns`` of model time (and what is in flight then)."""
        model = self.model
        heap = self.heap
        while model.now_ns + model.tick_ns <= end_ns:
            t = model.now_ns + model.tick_ns
            for change in model.step(t):
                self._on_change(change)
            for feed in self.feeds.values():
                self._run_schedule(feed, t)
            while heap and heap[0][0] <= t:
                yield heapq.heappop(heap)
        for feed in self.feeds.values():
            for request in list(feed.rest.values()):
                self._answer_rest(feed, request)
        while heap:
            yield heapq.heappop(heap)

    def _on_change(self, change: BookChange) -> None:
        self.changes += 1
        feed = self.feeds[change.venue]
        first, last = feed.sequencer.advance(change)
        request = feed.rest.get(change.symbol)
        if request is not None and change.ts_ns <= request.deadline_ns:
            self._answer_rest(feed, request, change, first)
        conn = feed.by_symbol[change.symbol]
        frames = conn.delta(change, first, last)
        if frames:
            venue, c = change.venue, conn.conn
            for frame in frames:
                self.emit(feed.recv_ns(c, change.ts_ns), venue, "ws", frame, c)

    def _run_schedule(self, feed: _VenueFeed, t: int) -> None:
        venue = feed.spec.name
        model = self.model
        for request in [r for r in feed.rest.values() if r.deadline_ns <= t]:
            self._answer_rest(feed, request)
        schedule = feed.schedule
        while schedule and schedule[0][0] <= t:
            ts, _, action, arg = heapq.heappop(schedule)
            if isinstance(arg, str):  # "rest": the symbol whose snapshot the client asked for
                latency = round(feed.cfg.rest_latency_ms * _MS)
                feed.rest[arg] = _Rest(arg, model.book(venue, arg), feed.sequencer.last[arg], ts + latency // 2, ts + latency)
                continue
            conn = arg
            if action == "connect":
                self.emit(ts, venue, "connect", conn=conn.conn, url=conn.url())
                for sent in conn.subscribe_frames(ts + _MS):
                    self.emit(ts + _MS, venue, "ws_out", sent, conn.conn)
            elif action == "live":
                for symbol in conn.symbols:
                    book = model.book(venue, symbol)
                    for frame in conn.start(symbol, book, feed.sequencer.last[symbol], ts):
                        self.emit(feed.recv_ns(conn.conn, ts), venue, "ws", frame, conn.conn)
            elif action == "heartbeat":
                for frame in conn.heartbeat(ts):
                    self.emit(feed.recv_ns(conn.conn, ts), venue, "ws", frame, conn.conn)
                feed.at(ts + feed.heartbeat_ns, "heartbeat", conn)

    def _answer_rest(self, feed: _VenueFeed, request: _Rest, change: BookChange | None = None, first: int = 0) -> None:
        """Write the REST body: the book as asked for, or — when the book changed before the
        venue answered — that state plus the first ``k`` levels of the change (id ``first+k-1``)."""
        del feed.rest[request.symbol]
        bids, asks, seq = request.bids, request.asks, request.seq
        if change is not None:
            n = len(change.bids) + len(change.asks)
            k = feed.rng.randrange(n + 1)
            if k:
                partial = OrderBook(change.venue, change.symbol, None, self.parser)
                partial.load(bids, asks)
                partial.apply(change.bids[:k], change.asks[: max(0, k - len(change.bids))])
                if not partial.is_crossed():
                    bids, asks, seq = partial.bids(), partial.asks(), first + k - 1
        conn = feed.by_symbol[request.symbol]
        url, body = conn.encoder.rest_snapshot(feed.spec.rest_url, request.symbol, bids, asks, seq, request.deadline_ns)
        self.emit(request.recv_ns, feed.spec.name, "rest", body, url=url)


def _ticks(ns: float, tick_ns: int) -> int:
    """Whole ticks covering ``ns`` (at least one)."""
    return max(1, math.ceil(ns / tick_ns))
