"""VenueBooks: every input returns what it did (a BooksOutcome), commands act on books only
through it, and skipped frames are counted every time but logged at most once per reason
per interval of the frames' own time."""

from __future__ import annotations

import json
import logging

from arb.book.health import BookState
from arb.venues.binance import wire as binance_wire
from arb.venues import binance
from arb.venues.books import NOTHING, BooksOutcome, VenueBooks

S = 1_000_000_000
SYMBOLS = ["BTC/USDT", "ETH/USDT"]


def synced(symbols=SYMBOLS) -> tuple[VenueBooks, binance_wire.Encoder]:
    vb = VenueBooks(binance.SPEC, symbols)
    enc = binance_wire.Encoder(vb.symbol_map)
    for symbol in symbols:
        url, body = enc.rest_snapshot("https://api.binance.com", symbol, [("99.00", "1.0")], [("101.00", "1.0")], 100, 0)
        assert vb.on_rest(url, body, 1) == BooksOutcome(changed=(symbol,))
    return vb, enc


def delta(enc, symbol: str, first: int, last: int | None = None) -> str:
    return enc.delta(symbol, [("99.00", "2.0")], [], first, first if last is None else last, 0, None)[0]


def test_every_frame_says_what_it_changed_buffered_or_broke():
    vb = VenueBooks(binance.SPEC, SYMBOLS)
    enc = binance_wire.Encoder(vb.symbol_map)
    assert vb.on_frame(1, delta(enc, "BTC/USDT", 101), 1) == BooksOutcome(buffered=("BTC/USDT",))
    vb, enc = synced()
    applied = vb.on_frame(1, delta(enc, "BTC/USDT", 101), 2)
    assert applied == BooksOutcome(changed=("BTC/USDT",)) and vb.on_frame(1, delta(enc, "BTC/USDT", 101), 3) is NOTHING
    gap = vb.on_frame(1, delta(enc, "ETH/USDT", 105), 4)
    assert gap == BooksOutcome(changed=("ETH/USDT",), resync=("ETH/USDT",), gaps=1)
    shutdown = vb.on_frame(1, json.dumps({"stream": "x", "data": {"e": "serverShutdown", "E": 1}}), 5)
    assert shutdown == BooksOutcome(controls=("reconnect",))
    assert vb.on_frame(1, "{garbage", 6) == BooksOutcome(skipped="json") and vb.errors == {"json": 1}


def test_commands_return_the_books_they_cleared():
    vb, enc = synced()
    vb.on_frame(1, delta(enc, "BTC/USDT", 101), 1)
    assert vb.mark_stale("ETH/USDT", "quiet") and not vb.mark_stale("ETH/USDT", "quiet")
    lost = vb.stream_lost(SYMBOLS, "connection lost")
    assert lost == BooksOutcome(changed=tuple(SYMBOLS), resync=tuple(SYMBOLS))
    assert {s: b.state for s, b in vb.books().items()} == dict.fromkeys(SYMBOLS, BookState.RESYNCING)
    assert vb.require_resync(SYMBOLS, "reconnected") is NOTHING  # nothing left to clear
    assert vb.give_up("BTC/USDT", "refused").changed == ("BTC/USDT",) and vb.book("BTC/USDT").state is BookState.FAILED
    vb.on_frame(2, delta(enc, "ETH/USDT", 101), 2)
    assert vb.buffered("ETH/USDT") == 1
    assert vb.stream_lost(["ETH/USDT"], "again") == BooksOutcome(changed=("ETH/USDT",), resync=("ETH/USDT",))
    assert vb.buffered("ETH/USDT") == 0  # cleared with the book


def test_skipped_frames_are_counted_every_time_but_logged_once_per_reason_per_interval(caplog):
    vb = VenueBooks(binance.SPEC, SYMBOLS, log_interval_ns=10 * S)
    weird = json.dumps({"stream": "x", "data": {"e": "weird"}})
    with caplog.at_level(logging.WARNING, logger="arb.venues.books"):
        for i in range(1000):  # 1,000 bad frames in 5 s, two kinds
            vb.on_frame(1, "{garbage", i * S // 200)
            vb.on_frame(1, weird, i * S // 200)
        assert vb.errors == {"json": 1000, "unknown-message": 1000}
        lines = [r.getMessage() for r in caplog.records]
        assert len(lines) == 2 and "(json)" in lines[0] and "(unknown-message)" in lines[1]
        vb.on_frame(1, "{garbage", 11 * S)  # the interval passed: one line with the count held back
        assert len(caplog.records) == 3 and caplog.records[-1].getMessage().endswith("(and 999 more like it since the last such line)")
        vb.flush_log(12 * S)  # the other reason's count, once its interval passed
        assert len(caplog.records) == 4 and "999 more 'unknown-message'" in caplog.records[-1].getMessage()
        vb.flush_log(60 * S)
        assert len(caplog.records) == 4  # nothing more held back
    assert vb.errors == {"json": 1001, "unknown-message": 1000} and vb.messages == 2001


def test_a_checksum_failure_on_the_hot_path_is_counted_in_its_outcome():
    from arb.book.book import OrderBook
    from arb.core.numbers import FixedParser
    from arb.venues.okx import wire as okx_wire
    from arb.venues import okx

    vb = VenueBooks(okx.SPEC, ["BTC/USDT"])
    enc = okx_wire.Encoder(vb.symbol_map)
    truth = OrderBook("okx", "BTC/USDT", None, FixedParser())
    truth.load([("99.00", "1.0")], [("101.00", "1.0")])
    assert vb.on_frame(1, enc.snapshot("BTC/USDT", truth.bids(), truth.asks(), 10, 0, truth)[0], 1).changed == ("BTC/USDT",)
    truth.apply([("99.00", "2.0")], [])
    frame = json.loads(enc.delta("BTC/USDT", [("99.00", "2.0")], [], 11, 11, 0, truth)[0])
    frame["data"][0]["checksum"] += 1
    outcome = vb.on_frame(1, json.dumps(frame), 2)
    assert outcome == BooksOutcome(changed=("BTC/USDT",), resync=("BTC/USDT",), checksum_failures=1)
    assert vb.stats.checksum_failed == 1 and vb.stats.gaps == 0
