"""FeedState with no socket: link events and snapshot answers in, actions out, time passed in.

Frames are the venues' own, written by the simulator's wire encoders; the clocks are two
numbers the test moves (wall ns and monotonic s advance together).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random

import pytest

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.core.errors import ConfigError
from arb.core.numbers import FixedParser
from arb.io.backoff import Backoff
from arb.io.events import Closed, Opened, Received, Subscribed
from arb.io.feed_state import (
    Action, CancelSnapshot, FeedState, FetchSnapshot, Restart, RollOver, Send, Welcome, book_depth,
)
from arb.io.options import FeedOptions
from arb.venues.binance import wire as binance_wire
from arb.venues.coinbase import wire as coinbase_wire
from arb.venues.okx import wire as okx_wire
from arb.venues import binance, coinbase, kucoin, okx

SYMBOLS = ["BTC/USDT", "ETH/USDT"]
REST = "https://rest.test"
BIDS = [("99.00", "1.000")]
ASKS = [("101.00", "1.000")]


class Driver:
    """One FeedState, its clocks and sessions; every call returns the actions asked for."""

    def __init__(self, spec, symbols, seed: int = 7, **options) -> None:
        print("seed", seed)
        self.spec = spec
        self.options = FeedOptions(**options)
        self.seed = seed
        self.state = FeedState(
            spec, symbols, options=self.options, backoff=Backoff(rng=random.Random(seed)), rest_url=REST,
            depth=book_depth(spec, self.options, signed=False),
        )
        self.mono = 1000.0
        self.wall = 1_700_000_000_000_000_000
        self._ids = itertools.count(1)
        self.session: dict[int, int] = {}

    # -- time --------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += round(seconds * 1e9)

    def run(self, seconds: float) -> list[Action]:
        """Let ``seconds`` pass, ticking at every deadline the state asks for."""
        end = self.mono + seconds
        actions: list[Action] = list(self.state.tick(self.wall, self.mono))
        while (due := self.state.next_deadline()) <= end:
            self.advance(max(0.0, due - self.mono))
            actions += self.state.tick(self.wall, self.mono)
        self.advance(end - self.mono)
        return actions

    # -- events ------------------------------------------------------------------------------
    def connect(self, link: int = 0, rollover: bool = False) -> list[Action]:
        sid = next(self._ids)
        if not rollover:
            self.session[link] = sid
        actions = list(self.state.on_event(Opened(link, sid, "wss://x", self.wall, self.mono, rollover)))
        return actions + list(self.state.on_event(Subscribed(link, sid, self.mono, rollover)))

    def frame(self, text: str, link: int = 0, session: int | None = None) -> list[Action]:
        sid = self.session[link] if session is None else session
        return list(self.state.on_event(Received(link, sid, text, self.wall, self.mono)))

    def close(self, link: int = 0, error: str | None = "binance: closed by the venue", session: int | None = None,
              rollover: bool = False) -> list[Action]:
        sid = self.session[link] if session is None else session
        return list(self.state.on_event(Closed(link, sid, error, self.mono, rollover)))

    def answer(self, fetch: FetchSnapshot, seq: int) -> list[Action]:
        body = json.dumps({"lastUpdateId": seq, "bids": BIDS, "asks": ASKS})
        assert self.state.snapshot_wanted(fetch.ticket)
        return list(self.state.snapshot_arrived(fetch.ticket, fetch.request.url, body, self.wall, self.mono))

    def state_of(self, symbol: str) -> BookState:
        return self.state.books.book(symbol).state


def fetches(actions: list[Action]) -> dict[str, FetchSnapshot]:
    out = {a.symbol: a for a in actions if isinstance(a, FetchSnapshot)}
    assert len(out) == sum(isinstance(a, FetchSnapshot) for a in actions), "two fetches for one book"
    return out


class BinanceFrames:
    def __init__(self, state: FeedState) -> None:
        self.enc = binance_wire.Encoder(state.books.symbol_map)

    def delta(self, symbol: str, first: int, last: int | None = None) -> str:
        return self.enc.delta(symbol, [("99.00", "2.000")], [], first, first if last is None else last, 0, None)[0]


def live_binance(**options) -> tuple[Driver, BinanceFrames]:
    """Both books live at update id 100 (their first deltas were 101)."""
    d = Driver(binance.SPEC, SYMBOLS, **options)
    frames = BinanceFrames(d.state)
    d.connect()
    asked: dict[str, FetchSnapshot] = {}
    for symbol in SYMBOLS:
        asked |= fetches(d.frame(frames.delta(symbol, 101)))
    for symbol in SYMBOLS:
        d.answer(asked[symbol], 100)
    assert [d.state_of(s) for s in SYMBOLS] == [BookState.LIVE] * 2
    d.state.drain_changed()
    return d, frames


# -- REST snapshots ------------------------------------------------------------------------
def test_a_subscribed_book_asks_its_snapshot_once_the_first_delta_is_buffered_or_the_wait_ends():
    d = Driver(binance.SPEC, SYMBOLS, snapshot_wait_s=1.0)
    frames = BinanceFrames(d.state)
    assert d.connect() == []  # nothing buffered yet: a snapshot now might predate the stream
    asked = fetches(d.frame(frames.delta("BTC/USDT", 101)))
    assert list(asked) == ["BTC/USDT"] and "symbol=BTCUSDT" in asked["BTC/USDT"].request.url
    assert fetches(d.frame(frames.delta("BTC/USDT", 102))) == {}  # one in flight per book
    assert fetches(d.run(0.9)) == {}
    assert list(fetches(d.run(0.2))) == ["ETH/USDT"]  # no delta came: asked when the wait ended
    d.answer(asked["BTC/USDT"], 100)
    assert d.state_of("BTC/USDT") is BookState.LIVE and d.state.books.book("BTC/USDT").seq == 102
    assert "BTC/USDT" in d.state.drain_changed() and d.state.snapshots_requested == 2


def test_a_gap_resyncs_only_its_book_and_repeated_resyncs_back_off():
    d, frames = live_binance(resync_reset_s=60.0)
    expected = Backoff(rng=random.Random(d.seed))
    assert d.frame(frames.delta("BTC/USDT", 105)) == []  # 101..104 never came: cleared
    assert d.state_of("BTC/USDT") is BookState.RESYNCING and d.state_of("ETH/USDT") is BookState.LIVE
    assert d.state.drain_changed() == {"BTC/USDT"}
    gap = 105
    for attempt in range(2):  # the subscription's snapshot was the book's first: these back off
        if attempt:
            assert d.frame(frames.delta("BTC/USDT", gap)) == []
        assert d.frame(frames.delta("BTC/USDT", gap + 1)) == []  # buffered, but within the delay
        assert fetches(d.run(expected.delay(attempt) - 0.01)) == {}
        asked = fetches(d.run(0.02))
        assert list(asked) == ["BTC/USDT"]
        d.answer(asked["BTC/USDT"], gap)
        assert d.state_of("BTC/USDT") is BookState.LIVE and d.state.books.book("BTC/USDT").seq == gap + 1
        gap += 100
    counters = d.state.link_counters(0)
    assert (counters.gaps, counters.resyncs) == (2, 2) and d.state.books.resyncs("ETH/USDT") == 0
    d.run(61.0)  # a quiet minute: the backoff starts over
    d.frame(frames.delta("BTC/USDT", 900))
    assert list(fetches(d.frame(frames.delta("BTC/USDT", 901)))) == ["BTC/USDT"]


def test_a_failed_snapshot_is_asked_again_by_the_sweep_and_a_refused_one_fails_only_its_book():
    d = Driver(binance.SPEC, SYMBOLS, snapshot_wait_s=0.0)
    frames = BinanceFrames(d.state)
    asked = fetches(d.connect())
    assert set(asked) == set(SYMBOLS)
    assert d.state.snapshot_failed(asked["BTC/USDT"].ticket, "binance: HTTP 503 /api/v3/depth", True, d.mono) == ()
    assert d.state_of("BTC/USDT") is BookState.SYNCING and d.state.last_error.endswith("HTTP 503 /api/v3/depth")
    again = fetches(d.run(2.0))  # the sweep asks again, after the book's backoff delay
    assert list(again) == ["BTC/USDT"] and again["BTC/USDT"].ticket != asked["BTC/USDT"].ticket
    d.state.snapshot_failed(asked["ETH/USDT"].ticket, "binance: HTTP 400 /api/v3/depth", False, d.mono)
    assert d.state_of("ETH/USDT") is BookState.FAILED and "ETH/USDT" in d.state.drain_changed()
    d.frame(frames.delta("ETH/USDT", 101))
    assert fetches(d.run(30.0)) == {}  # a failed book is not asked for again until a reconnect


def test_a_lost_connection_clears_its_books_cancels_its_snapshot_and_drops_late_answers():
    d = Driver(binance.SPEC, SYMBOLS, max_symbols_per_connection=1, snapshot_wait_s=0.0)
    assert [p.symbols for p in d.state.plan] == [("BTC/USDT",), ("ETH/USDT",)]
    first = fetches(d.connect(0) + d.connect(1))
    d.answer(first["ETH/USDT"], 100)
    actions = d.close(1, error="binance: no data for 30 s")
    assert actions == [] and d.state_of("ETH/USDT") is BookState.RESYNCING
    assert d.state.books.book("ETH/USDT").reason == "connection lost: binance: no data for 30 s"
    assert d.state.drain_changed() == {"ETH/USDT"}
    actions = d.close(0)  # BTC's snapshot is in flight: cancelled, its answer unwanted
    assert actions == [CancelSnapshot(first["BTC/USDT"].ticket)]
    assert not d.state.snapshot_wanted(first["BTC/USDT"].ticket)
    body = json.dumps({"lastUpdateId": 100, "bids": BIDS, "asks": ASKS})
    assert d.state.snapshot_arrived(first["BTC/USDT"].ticket, first["BTC/USDT"].request.url, body, d.wall, d.mono) == ()
    assert d.state_of("BTC/USDT") is BookState.SYNCING  # never fed
    assert fetches(d.run(5.0)) == {}  # nobody asks while the links are down
    assert fetches(d.connect(0)) == {}  # the next session asks for its own, after the book's
    assert list(fetches(d.run(1.01))) == ["BTC/USDT"]  # backoff (it asked 5 s ago): 1 s


def test_a_rollover_keeps_books_live_and_a_restart_notice_asks_for_one():
    d, frames = live_binance()
    old = d.session[0]
    assert d.connect(rollover=True) == []  # the new session joins the stream
    new = old + 1
    assert d.frame(frames.delta("BTC/USDT", 101, 101), session=new) == []  # duplicates drop
    assert d.close(session=old, error=None, rollover=True) == []
    assert [d.state_of(s) for s in SYMBOLS] == [BookState.LIVE] * 2 and d.state.drain_changed() == set()
    d.session[0] = new
    shutdown = json.dumps({"stream": "x", "data": {"e": "serverShutdown", "E": 1}})
    assert d.frame(shutdown) == [RollOver(0, new, "the venue announced a restart")]


def test_a_welcome_lets_the_subscription_go_out():
    d = Driver(kucoin.SPEC, SYMBOLS)
    d.session[0] = 1
    d.state.on_event(Opened(0, 1, "wss://x", d.wall, d.mono, False))
    assert d.frame(json.dumps({"id": "w", "type": "welcome"})) == [Welcome(0, 1)]
    assert d.frame(json.dumps({"id": "1", "type": "ack"})) == []


# -- in-stream snapshots -------------------------------------------------------------------
class OkxFrames:
    """OKX ``books`` frames with true checksums, from truth books the test moves."""

    def __init__(self, state: FeedState) -> None:
        self.enc = okx_wire.Encoder(state.books.symbol_map)
        self.truth = {s: OrderBook("okx", s, None, FixedParser()) for s in SYMBOLS}
        self.seq = dict.fromkeys(SYMBOLS, 10)

    def snapshot(self, symbol: str) -> str:
        book = self.truth[symbol]
        book.load(BIDS, ASKS)
        return self.enc.snapshot(symbol, book.bids(), book.asks(), self.seq[symbol], 0, book)[0]

    def delta(self, symbol: str, skip: int = 0) -> str:
        book = self.truth[symbol]
        bids = [("99.00", f"{self.seq[symbol] + 1}.000")]
        book.apply(bids, [])
        first = self.seq[symbol] + 1 + skip
        self.seq[symbol] = first
        return self.enc.delta(symbol, bids, [], first, first, 0, book)[0]


def live_okx(spec=okx.SPEC, **options) -> tuple[Driver, OkxFrames]:
    d = Driver(spec, SYMBOLS, **options)
    frames = OkxFrames(d.state)
    assert d.connect() == []
    for symbol in SYMBOLS:
        assert d.frame(frames.snapshot(symbol)) == []
    assert [d.state_of(s) for s in SYMBOLS] == [BookState.LIVE] * 2
    d.state.drain_changed()
    return d, frames


def ops(actions: list[Action]) -> list[tuple[str, list[str]]]:
    sends = [a for a in actions if isinstance(a, Send)]
    return [(m["op"], [arg["instId"] for arg in m["args"]]) for s in sends for m in map(json.loads, s.frames)]


def test_an_in_stream_gap_resubscribes_only_that_symbol():
    d, frames = live_okx()
    assert d.frame(frames.delta("ETH/USDT", skip=2)) == []  # queued: sent at the next tick
    assert d.state_of("ETH/USDT") is BookState.RESYNCING and d.state_of("BTC/USDT") is BookState.LIVE
    assert d.state.next_deadline() <= d.mono
    assert ops(d.run(0.0)) == [("unsubscribe", ["ETH-USDT"]), ("subscribe", ["ETH-USDT"])]
    assert d.state.resubscribes == 1 and d.state.link_counters(0).gaps == 1
    assert d.frame(frames.snapshot("ETH/USDT")) == [] and d.state_of("ETH/USDT") is BookState.LIVE
    assert ops(d.run(30.0)) == []


def test_books_that_break_together_are_resubscribed_in_one_batch():
    d = Driver(coinbase.SPEC, ["BTC/USD", "ETH/USD", "SOL/USD"])
    enc = coinbase_wire.Encoder(d.state.books.symbol_map)
    d.connect()
    for symbol in ["BTC/USD", "ETH/USD", "SOL/USD"]:
        d.frame(enc.snapshot(symbol, BIDS, ASKS, 0, d.wall, None)[0])
    enc.sequence_num += 1  # one message lost on the connection
    assert d.frame(enc.delta("BTC/USD", [("99.00", "3.0")], [], 0, 0, d.wall, None)[0]) == []
    assert d.state.drain_changed() == {"BTC/USD", "ETH/USD", "SOL/USD"}
    sends = [a for a in d.run(0.0) if isinstance(a, Send)]
    assert len(sends) == 1 and [json.loads(f)["type"] for f in sends[0].frames] == ["unsubscribe", "subscribe", "subscribe"]
    assert sorted(json.loads(sends[0].frames[0])["product_ids"]) == ["BTC-USD", "ETH-USD", "SOL-USD"]


def test_a_resubscribe_without_a_snapshot_is_repeated_then_the_connection_restarts():
    d, frames = live_okx(resync_timeout_s=10.0, resubscribe_attempts=3)
    d.frame(frames.delta("BTC/USDT", skip=1))
    actions = d.run(38.0)  # at 0, 10 + 1, 21 + 1..2 s; then 10 s without a snapshot
    kinds = [(type(a).__name__, ops([a]) if isinstance(a, Send) else a.reason) for a in actions]
    resubscribe = ("Send", [("unsubscribe", ["BTC-USDT"]), ("subscribe", ["BTC-USDT"])])
    assert kinds == [resubscribe] * 3 + [("Restart", "BTC/USDT did not resync")]
    assert d.state.resubscribes == 3 and d.state_of("ETH/USDT") is BookState.STALE


def test_a_venue_without_an_unsubscribe_restarts_the_connection_to_resync():
    d, frames = live_okx(spec=dataclasses.replace(okx.SPEC, unsubscribe_frames=None))
    assert d.frame(frames.delta("ETH/USDT", skip=1)) == [Restart(0, "resync ETH/USDT")]


def test_a_reconnect_resyncs_the_books_from_the_new_sessions_snapshots():
    d, frames = live_okx()
    d.close()
    assert [d.state_of(s) for s in SYMBOLS] == [BookState.RESYNCING] * 2
    assert d.connect() == []
    for symbol in SYMBOLS:
        d.frame(frames.snapshot(symbol))
    assert [d.state_of(s) for s in SYMBOLS] == [BookState.LIVE] * 2
    assert [d.state.books.resyncs(s) for s in SYMBOLS] == [1, 1] and ops(d.run(30.0)) == []


# -- staleness -----------------------------------------------------------------------------
def test_a_quiet_book_goes_stale_and_an_update_makes_it_live_at_once():
    d, frames = live_binance(stale_after_s=5.0, sweep_interval_s=0.25)
    d.run(4.9)
    assert d.state.drain_changed() == set() and d.state.live_symbols() == SYMBOLS
    d.run(0.4)
    assert [d.state_of(s) for s in SYMBOLS] == [BookState.STALE] * 2
    assert d.state.drain_changed() == set(SYMBOLS) and d.state.live_symbols() == []
    d.frame(frames.delta("BTC/USDT", 102))
    assert d.state_of("BTC/USDT") is BookState.LIVE and d.state_of("ETH/USDT") is BookState.STALE
    assert d.state.drain_changed() == {"BTC/USDT"}


def test_the_sweep_runs_every_interval_and_no_sooner():
    d, _ = live_binance(stale_after_s=1.0, sweep_interval_s=2.0)
    d.run(0.0)
    d.advance(1.5)
    d.state.tick(d.wall, d.mono)
    assert d.state_of("BTC/USDT") is BookState.LIVE  # past the age limit, but no sweep was due
    d.state.sweep(d.wall, d.mono)  # forced (VenueFeed.sweep)
    assert d.state_of("BTC/USDT") is BookState.STALE


def test_no_symbols_or_an_unknown_depth_is_a_config_error():
    with pytest.raises(ConfigError):
        Driver(binance.SPEC, [])
    with pytest.raises(ConfigError, match="depth"):
        Driver(okx.SPEC, SYMBOLS, depth=7)
