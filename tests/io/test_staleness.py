"""The staleness rule with no feed and no connections: a replay host's recorded frames in,
``tick(record.ts)``, the same STALE / LIVE transitions as a live feed."""

from __future__ import annotations

import pytest

from arb.book.health import BookState
from arb.io.staleness import Staleness
from arb.record.format import Record
from arb.venues.binance import wire as binance_wire
from arb.venues import binance
from arb.venues.books import VenueBooks

S = 1_000_000_000
T0 = 1_700_000_000 * S


def recording() -> list[Record]:
    """BTC and ETH synced at T0, then BTC updates every second for 10 s; ETH falls quiet."""
    books = VenueBooks(binance.SPEC)
    enc = binance_wire.Encoder(books.symbol_map)
    records = [Record(ts=T0, venue="binance", kind="connect", conn=1, url="wss://x")]
    for symbol in ("BTC/USDT", "ETH/USDT"):
        url, body = enc.rest_snapshot("https://api.binance.com", symbol, [("99.00", "1.0")], [("101.00", "1.0")], 100, T0)
        records.append(Record(ts=T0, venue="binance", kind="rest", url=url, data=body))
    for i in range(1, 11):
        frame = enc.delta("BTC/USDT", [("99.00", f"{i}.0")], [], 100 + i, 100 + i, T0 + i * S, None)[0]
        records.append(Record(ts=T0 + i * S, venue="binance", kind="ws", conn=1, data=frame))
    return records


def replay(records: list[Record], books: VenueBooks, staleness: Staleness) -> list[tuple[int, str, str]]:
    """The host loop of the module docstring; returns (second, symbol, state) of every change."""
    seen = []
    for record in records:
        outcome = books.on_record(record)
        staleness.updated(outcome.changed, record.ts)
        for symbol in sorted({*outcome.changed, *staleness.tick(record.ts)}):
            seen.append(((record.ts - T0) // S, symbol, books.book(symbol).state.value))
    return seen


def test_a_replay_host_gets_the_staleness_rule_without_connections():
    books = VenueBooks(binance.SPEC)
    staleness = Staleness(books, stale_after_ns=5 * S, sweep_every_ns=S // 4)
    seen = replay(recording(), books, staleness)
    assert (6, "ETH/USDT", "stale") in seen and not any(s == "ETH/USDT" and t < 6 for t, s, _ in seen[2:])
    assert all(state == "live" for _, s, state in seen if s == "BTC/USDT")
    assert books.book("ETH/USDT").state is BookState.STALE and books.book("BTC/USDT").state is BookState.LIVE
    # ETH speaks again: live at once, without waiting for a sweep
    enc = binance_wire.Encoder(books.symbol_map)
    frame = enc.delta("ETH/USDT", [("99.00", "2.0")], [], 101, 101, T0 + 11 * S, None)[0]
    outcome = books.on_frame(1, frame, T0 + 11 * S)
    staleness.updated(outcome.changed, T0 + 11 * S)
    assert outcome.changed == ("ETH/USDT",) and books.book("ETH/USDT").state is BookState.LIVE


def test_tick_sweeps_at_most_once_per_interval_and_sweep_forces_it():
    books = VenueBooks(binance.SPEC)
    staleness = Staleness(books, stale_after_ns=5 * S, sweep_every_ns=10 * S)
    for record in recording()[:3]:  # both books synced at T0
        books.on_record(record)
    assert staleness.tick(T0) == []
    assert staleness.tick(T0 + 6 * S) == []  # too old, but the next sweep is due at T0 + 10 s
    assert books.book("BTC/USDT").state is BookState.LIVE
    assert staleness.sweep(T0 + 6 * S) == ["BTC/USDT", "ETH/USDT"]
    assert staleness.tick(T0 + 7 * S) == [] and staleness.tick(T0 + 16 * S) == []  # already stale


def test_a_cleared_book_is_not_freshened_and_stays_out_of_the_rule():
    books = VenueBooks(binance.SPEC)
    staleness = Staleness(books, stale_after_ns=5 * S)
    for record in recording()[:3]:
        books.on_record(record)
    assert staleness.sweep(T0 + 6 * S) == ["BTC/USDT", "ETH/USDT"]
    cleared = books.stream_lost(["BTC/USDT"], "connection lost")
    assert cleared.changed == ("BTC/USDT",)
    staleness.updated(cleared.changed, T0 + 6 * S)
    assert books.book("BTC/USDT").state is BookState.RESYNCING
    assert staleness.sweep(T0 + 7 * S) == []


def test_times_must_be_positive():
    with pytest.raises(ValueError):
        Staleness(VenueBooks(binance.SPEC), 0)
