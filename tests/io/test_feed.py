"""VenueFeed against loopback venues: reconnects, per-book resyncs, staleness, roll-over, tee.

Each test runs one venue on 127.0.0.1 (see :mod:`tests.io.loopback`) with real adapters and
wire encoders, short timings, and ends by comparing the feed's books with the venue's truth.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest

from arb.book.health import BookState
from arb.io.connection import ConnectionOptions
from arb.io.feed import FeedOptions, VenueFeed
from arb.venues import binance, coinbase, kraken, okx
from tests.io.harness import KRAKEN_SYMBOLS, SYMBOLS, Harness, run
from tests.io.loopback import OffsetClock, levels, until


# -- reconnect ---------------------------------------------------------------------------------
def test_dropped_connection_reconnects_resyncs_and_ends_equal_to_the_venue():
    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        await h.venue.drop_all()
        await until(lambda: h.venue.connects >= 2 and h.live(), what="reconnected and live again")
        await h.settle()
        health = h.feed.health()
        assert health.connections[0].reconnects == 1 and health.state == "up" and health.breaker == "closed"
        assert health.books == {"live": 2}
        for symbol in SYMBOLS:  # cleared at once on the drop (left the scan), then live again
            assert "resyncing" in h.seen[symbol] and h.seen[symbol][-1] == "live"
        snapshots = [path for _, path, _ in h.venue.rest_requests]
        assert len(snapshots) == 4  # one per book per session

    run(binance.SPEC, SYMBOLS, test)


def test_a_lost_connection_resyncs_only_the_books_it_carried():
    symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]

    async def test(h: Harness) -> None:
        assert h.feed.connection_sizes() == [1, 1, 1]
        h.venue.start_ticker()
        await until(h.live, what="books live")
        victim = next(c for c in h.venue.clients if c.subscribed == {"ETH/USDT"})
        marks = {s: len(h.seen[s]) for s in symbols}
        await victim.ws.close(1011, "dropped")
        await until(lambda: h.venue.connects == 4 and h.live(), what="ETH's connection back")
        await h.settle()
        assert "resyncing" in h.seen["ETH/USDT"][marks["ETH/USDT"]:]
        for s in ("BTC/USDT", "SOL/USDT"):
            assert set(h.seen[s][marks[s]:]) <= {"live"}
        assert [c.reconnects for c in h.feed.health().connections] == [0, 1, 0]

    run(binance.SPEC, symbols, test, max_symbols_per_connection=1)


def test_idle_stream_is_detected_and_reconnected():
    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        h.venue.stalled = True  # sends nothing, answers nothing: only protocol pings get through
        await until(lambda: not h.live(*SYMBOLS[:1]), timeout=3, what="idle connection closed")
        assert "no data for 0.3 s" in h.feed.health().last_error
        h.venue.stalled = False
        await until(lambda: h.venue.connects >= 2 and h.live(), what="reconnected")
        await h.settle()

    run(binance.SPEC, SYMBOLS, test, connection=ConnectionOptions(idle_timeout_s=0.3))


# -- one book at a time ------------------------------------------------------------------------
def test_gap_on_one_symbol_resyncs_only_that_book_over_rest():
    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        resyncs_before = h.feed.books.resyncs("ETH/USDT")
        seen_before = len(h.seen["ETH/USDT"])
        requests = lambda native: sum(native in path for _, path, _ in h.venue.rest_requests)
        assert requests("BTCUSDT") == requests("ETHUSDT") == 1
        h.venue.publish("BTC/USDT", skip=3)  # three update ids never sent
        await until(lambda: requests("BTCUSDT") == 2 and h.live(), what="BTC resynced")
        await h.settle()
        assert requests("ETHUSDT") == 1 and h.feed.books.resyncs("ETH/USDT") == resyncs_before
        assert set(h.seen["ETH/USDT"][seen_before:]) <= {"live"}  # never left the scan
        health = h.feed.health()
        assert health.gaps == 1 and health.connections[0].gaps == 1 and health.connections[0].resyncs == 1
        assert health.resyncs == 1

    run(binance.SPEC, SYMBOLS, test)


def test_checksum_failure_resubscribes_only_that_symbol():
    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        resyncs_before = h.feed.books.resyncs("ETH/USD")
        h.venue.publish("BTC/USD", corrupt=True)
        await until(lambda: h.feed.books.stats.checksum_failed == 1, what="checksum failure")
        await until(lambda: h.feed.books.resyncs("BTC/USD") == 1 and h.live(), what="BTC resubscribed")
        await h.settle()
        sent = [json.loads(m) for m in h.venue.clients[0].received if m.startswith("{")]
        resubscribes = [(m["method"], m["params"]["symbol"]) for m in sent if m.get("method") in ("subscribe", "unsubscribe")]
        assert resubscribes == [("subscribe", ["BTC/USD", "ETH/USD"]), ("unsubscribe", ["BTC/USD"]), ("subscribe", ["BTC/USD"])]
        assert h.feed.books.resyncs("ETH/USD") == resyncs_before and h.venue.connects == 1
        health = h.feed.health()
        assert health.checksum_failures == 1 and health.connections[0].checksum_failures == 1 and health.resubscribes == 1

    run(kraken.SPEC, KRAKEN_SYMBOLS, test)


def test_sequence_gap_on_an_in_stream_venue_resubscribes_only_that_symbol():
    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        h.venue.publish("ETH/USDT", skip=2)
        await until(lambda: h.feed.books.resyncs("ETH/USDT") == 1 and h.live(), what="ETH resubscribed")
        await h.settle()
        ops = [json.loads(m) for m in h.venue.clients[0].received if m != "ping"]
        assert [(m["op"], [a["instId"] for a in m["args"]]) for m in ops] == [
            ("subscribe", ["BTC-USDT", "ETH-USDT"]), ("unsubscribe", ["ETH-USDT"]), ("subscribe", ["ETH-USDT"]),
        ]
        assert h.feed.books.resyncs("BTC/USDT") == 0 and h.feed.health().gaps == 1

    run(okx.SPEC, SYMBOLS, test)


def test_connection_wide_gap_resubscribes_its_books_in_one_batch():
    symbols = ["BTC/USD", "ETH/USD", "SOL/USD"]

    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        h.venue.clients[0].encoder.sequence_num += 1  # one message lost on the connection
        await until(lambda: h.feed.health().resubscribes == 3 and h.live(), what="all three resubscribed")
        await h.settle()
        sent = [json.loads(m) for m in h.venue.clients[0].received]
        assert [(m["type"], m["channel"], sorted(m.get("product_ids", []))) for m in sent] == [
            ("subscribe", "level2", ["BTC-USD", "ETH-USD", "SOL-USD"]), ("subscribe", "heartbeats", []),
            ("unsubscribe", "level2", ["BTC-USD", "ETH-USD", "SOL-USD"]),  # one batch, not one per book
            ("subscribe", "level2", ["BTC-USD", "ETH-USD", "SOL-USD"]), ("subscribe", "heartbeats", []),
        ]
        assert h.feed.health().gaps == 1 and h.venue.connects == 1

    run(coinbase.SPEC, symbols, test)


# -- REST trouble ------------------------------------------------------------------------------
def test_snapshot_rate_limited_waits_for_retry_after():
    async def test(h: Harness) -> None:
        h.venue.rest_faults.append((429, {"Retry-After": "0.3"}))
        loop = asyncio.get_running_loop()
        start = loop.time()
        h.venue.start_ticker()
        await until(h.live, what="books live")
        assert loop.time() - start >= 0.3  # nobody asked again before Retry-After passed
        times = h.feed.health()
        assert times.rate_limited == 1
        await h.settle()

    run(binance.SPEC, SYMBOLS, test)


def test_failed_snapshot_keeps_the_book_resyncing_and_is_retried_later():
    async def test(h: Harness) -> None:
        h.venue.rest_faults.extend([(500, {})] * 3)
        h.venue.start_ticker()
        await until(h.live, what="books live after the failures")
        health = h.feed.health()
        assert health.rest_failures == 3 and health.snapshots_requested >= 4
        await h.settle()

    run(binance.SPEC, SYMBOLS, test, rest_retries=0)


def test_refused_snapshot_fails_only_that_book():
    async def test(h: Harness) -> None:
        h.venue.rest_faults.append((400, {}))
        h.venue.start_ticker()
        await until(lambda: sorted(b.state.value for b in map(h.feed.book, SYMBOLS)) == ["failed", "live"], what="one failed")
        assert "HTTP 400" in h.feed.health().last_error

    run(binance.SPEC, SYMBOLS, test)


# -- staleness ---------------------------------------------------------------------------------
def test_quiet_book_goes_stale_leaves_the_scan_and_comes_back_with_data():
    clock = OffsetClock()

    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        await h.settle()  # nothing left in flight
        clock.offset_ns += 6_000_000_000  # 6 s without an update
        h.feed.sweep()
        assert [h.feed.book(s).state for s in SYMBOLS] == [BookState.STALE] * 2
        assert h.feed.live_symbols() == [] and not h.feed.view("BTC/USDT").live
        h.venue.publish("BTC/USDT")
        await until(lambda: "BTC/USDT" in h.feed.live_symbols(), what="BTC fresh again")
        assert h.feed.view("BTC/USDT").live and h.feed.book("ETH/USDT").state is BookState.STALE
        assert "stale" in h.seen["ETH/USDT"]
        h.venue.publish("ETH/USDT")
        await h.settle()

    run(binance.SPEC, SYMBOLS, test, clock=clock)


# -- roll-over ---------------------------------------------------------------------------------
def test_rollover_before_max_age_keeps_books_live():
    spec = dataclasses.replace(binance.SPEC, max_connection_age_s=1.0)

    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        marks = {s: (len(h.seen[s]), h.feed.books.resyncs(s)) for s in SYMBOLS}
        await until(lambda: h.feed.health().connections[0].rollovers >= 1, what="a roll-over")
        await until(lambda: len(h.venue.live_clients) == 1, what="old connection closed")
        await h.settle()
        for s, (n_seen, resyncs) in marks.items():
            assert set(h.seen[s][n_seen:]) <= {"live"} and h.feed.books.resyncs(s) == resyncs
        health = h.feed.health()
        assert health.gaps == 0 and health.connections[0].reconnects == 0 and h.venue.connects >= 2

    run(spec, SYMBOLS, test, connection=ConnectionOptions(rollover_lead_s=0.0, rollover_overlap_s=0.2))


def test_server_shutdown_notice_rolls_the_connection_without_losing_books():
    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        h.venue.clients[0].put(json.dumps({"stream": "x", "data": {"e": "serverShutdown", "E": 1}}))
        await until(lambda: h.feed.health().connections[0].rollovers == 1, what="a roll-over")
        assert h.live() and h.feed.health().gaps == 0
        await h.settle()

    run(binance.SPEC, SYMBOLS, test)


# -- recorder tee ------------------------------------------------------------------------------
def test_recorder_sees_every_frame_and_the_recording_replays_to_the_same_books(tmp_path):
    from arb.record.writer import RecordingWriter
    from arb.replay.verify import verify

    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        await h.venue.drop_all()
        await until(lambda: h.venue.connects >= 2 and h.live(), what="reconnected")
        await h.settle()
        await asyncio.sleep(0.05)
        records = h.records
        inbound = [(r[4], r[3]) for r in records if r[2] == "ws"]
        # every frame the venue sent arrived in the tee, in order, per connection
        sent = [frame for _, frame in h.venue.sent_frames]
        assert [data for _, data in inbound] == sent
        assert len({conn for conn, _ in inbound}) == 2
        connects = [r for r in records if r[2] == "connect"]
        assert [r[5].startswith(h.venue.ws_url + "/stream?streams=") for r in connects] == [True, True]
        rests = [r for r in records if r[2] == "rest"]
        assert len(rests) == 4 and all("lastUpdateId" in r[3] for r in rests)
        assert [r[0] for r in records] == sorted(r[0] for r in records)  # written in time order
        path = tmp_path / "binance.jsonl.gz"
        with RecordingWriter(path, "binance", SYMBOLS, "test") as writer:
            for ts, venue_name, kind, data, conn, url in records:
                writer.write(ts, venue_name, kind, data, conn=conn, url=url)
        result = verify([path])
        assert result.ok and result.stats.checksum_failed == 0
        replayed = result.venues["binance"]
        for s in SYMBOLS:
            assert levels(replayed.book(s)) == levels(h.feed.book(s)) and replayed.book(s).seq == h.feed.book(s).seq

    run(binance.SPEC, SYMBOLS, test)


# -- construction ------------------------------------------------------------------------------
def test_symbols_are_split_over_connections_by_the_venues_cap():
    from arb.core.errors import ConfigError
    from arb.venues import kucoin, mexc

    many = [f"A{i}/USDT" for i in range(40)]
    assert VenueFeed(mexc.SPEC, many).connection_sizes() == [15, 15, 10]
    assert VenueFeed(kucoin.SPEC, [f"A{i}/USDT" for i in range(120)]).connection_sizes() == [50, 50, 20]
    assert VenueFeed(binance.SPEC, many, options=FeedOptions(max_symbols_per_connection=16)).connection_sizes() == [16, 16, 8]
    assert VenueFeed(kraken.SPEC, many).connection_sizes() == [40]
    with pytest.raises(ConfigError, match="depth"):
        VenueFeed(kraken.SPEC, ["BTC/USD"], options=FeedOptions(depth=50))
    with pytest.raises(ConfigError):
        VenueFeed(binance.SPEC, [])
