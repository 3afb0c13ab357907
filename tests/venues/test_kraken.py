"""Kraken, what only Kraken has: official v2 examples and their checksum precision, the
real v1 capture (and that it builds the books its v2 rendering does), v1 frames, the
subscribed depth cutting the book before the checksum, reordering caught by the checksum.
The venue contract (test_contract.py, row rows/kraken.py) covers the v2 recording, bad
input, fuzzing, signing and the wire encoder's random walk."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.book.sync import BookSync, Outcome, SeqRule, SyncStats
from arb.core.events import BookDelta, BookSnapshot, Control, Subscribed
from arb.core.numbers import FixedParser
from arb.venues.books import VenueBooks
from arb.venues.kraken import Encoder
from arb.venues.kraken import market_data as kraken
from arb.venues.kraken import v1 as kraken_v1
from tests import samples
from tests.samples import texts
from tests.venues.fuzz import assert_total, json_values
from tests.venues.rows.kraken import BOOK, DOCS, SYMBOLS, V1, V2


def decoder():
    return kraken.SPEC.decoder(kraken.SPEC.symbol_map(), FixedParser())


def doc_frame(name: str) -> str:
    return DOCS[name]


def replay(records, vb=None):
    return samples.replay(vb if vb is not None else kraken.SPEC, records)


def sync_for(symbol: str, checksum=kraken.checksum, depth: int = 10) -> BookSync:
    return BookSync(OrderBook("kraken", symbol, depth, FixedParser()), SeqRule.NONE, SyncStats(), checksum)


# -- official examples ------------------------------------------------------------------
def test_doc_guide_snapshot_decodes_and_its_checksum_verifies():
    # Arrange (the guide publishes price/qty as strings; the decoder takes both forms)
    [snap] = decoder().decode(doc_frame("v2_guide_BTCUSD_snapshot_checksum_example"), ts_recv_ns=7)
    sync = sync_for("BTC/USD")
    # Act
    outcome = sync.on_snapshot(snap)
    # Assert
    assert isinstance(snap, BookSnapshot) and snap.source == "ws" and snap.seq is None
    assert snap.symbol == "BTC/USD" and snap.checksum == 3310070434
    assert snap.asks[0][:2] == ("45285.2", "0.00100000") and snap.bids[0][:2] == ("45283.5", "0.10000000")
    assert outcome is Outcome.APPLIED and sync.stats.checksum_ok == 1


def test_doc_real_usdg_snapshot_verifies_with_raw_number_lexemes():
    [snap] = decoder().decode(doc_frame("v2_real_USDGUSD_snapshot"), 1)
    assert snap.asks[0][:2] == ("1.0000", "382506.65119") and snap.asks[-1][:2] == ("1.0024", "5000.00000")
    assert snap.bids[6][:2] == ("0.9990", "28045.34609")
    assert snap.ts_event_ns == 1789625804386754000  # 2026-09-17T06:16:44.386754Z
    assert sync_for("USDG/USD").on_snapshot(snap) is Outcome.APPLIED


def test_doc_matic_example_matches_only_after_padding_to_pair_precision():
    # The API reference printed 0.566 for 0.5660: raw text fails, padded text (4 dp / 8 dp) matches.
    d = decoder()
    [snap] = d.decode(doc_frame("v2_api_reference_MATICUSD_snapshot"), 1)
    [delta] = d.decode(doc_frame("v2_api_reference_MATICUSD_update"), 2)
    assert snap.bids[6][:2] == ("0.566", "18097.1547") and texts(delta.bids) == [("0.5657", "1098.3947558")]
    assert isinstance(delta, BookDelta) and delta.checksum == 2114181697

    raw = sync_for("MATIC/USD")
    assert raw.on_snapshot(snap) is Outcome.RESYNC and raw.stats.checksum_failed == 1

    padded = sync_for("MATIC/USD", kraken.checksum_with_precision(4, 8))
    assert padded.on_snapshot(snap) is Outcome.APPLIED
    assert padded.on_delta(delta) is Outcome.APPLIED
    assert padded.stats.checksum_ok == 2 and padded.stats.checksum_failed == 0
    assert kraken.checksum_at_precision(padded.book, 4, 8) == 2114181697
    assert padded.book.bids()[-1][:2] == ("0.5657", "1098.3947558")


def test_doc_control_messages():
    d = decoder()
    [ack] = d.decode(doc_frame("v2_subscribe_ack"), 3)
    assert ack == Subscribed("ALGO/USD", 10, 3)
    [beat] = d.decode(doc_frame("v2_heartbeat"), 4)
    assert isinstance(beat, Control) and beat.kind == "heartbeat"
    [pong] = d.decode('{"method":"pong","req_id":5,"time_in":"2023-09-24T14:10:23.799685Z","time_out":"2023-09-24T14:10:23.799703Z"}', 5)
    assert pong.kind == "pong" and pong.detail == "req_id=5"
    [err] = d.decode('{"error":"Currency pair not supported","method":"subscribe","success":false,"symbol":"BTC/XYZ"}', 6)
    assert err.kind == "error" and "not supported" in err.detail
    [status] = d.decode('{"channel":"status","type":"update","data":[{"version":"2.0.0","system":"online","api_version":"v2","connection_id":1}]}', 7)
    assert (status.kind, status.detail) == ("status", "online")
    assert d.decode('{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1.5,"qty":2,"ord_type":"market","trade_id":1,"timestamp":"2023-09-25T07:49:37.708706Z"}]}', 8) == []
    assert d.decode('{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[]}}', 9) == []
    assert d.decode('{"channel":"level3","type":"update","data":[{"symbol":"BTC/USD","bids":[{"order_id":"O","limit_price":1.5}]}]}', 9) == []


def test_subscribe_request_and_ping():
    doc = json.loads(DOCS["v2_subscribe_request"])
    [frame] = kraken.subscribe_frames(["ALGO/USD", "MATIC/USD"], 10, 0)
    assert json.loads(frame) == {**doc, "params": {**doc["params"], "depth": 10, "snapshot": True}}
    assert json.loads(kraken.subscribe_frames(["BTC/USD"], None, 0)[0])["params"]["depth"] == kraken.DEPTH
    with pytest.raises(ValueError):
        kraken.subscribe_frames(["BTC/USD"], 50, 0)
    assert kraken.connect_url(kraken.WS_URL, ["BTC/USD"], 10) == "wss://ws.kraken.com/v2"
    assert json.loads(kraken.SPEC.ping_frame(3, 0)) == {"method": "ping", "req_id": 3}
    assert kraken_v1.format_pair("BTC/USD") == "XBT/USD" and kraken_v1.format_pair("DOGE/EUR") == "XDG/EUR"
    assert json.loads(kraken_v1.subscribe_frames(["XBT/USD"], 1000)[0])["subscription"] == {"name": "book", "depth": 1000}


# -- the real capture (v1) and its v2 rendering -------------------------------------------
@pytest.fixture(scope="module")
def v2_records():
    return samples.records(V2)


@pytest.fixture(scope="module")
def v1_records():
    return samples.records(V1)


@pytest.fixture(scope="module")
def v2_books(v2_records):
    return replay(v2_records)


def test_v1_recording_verifies_every_checksum_and_builds_the_same_books(v1_records, v2_books):
    vb = replay(v1_records)
    assert vb.errors == {}
    assert vb.stats.snapshots == 4 and vb.stats.applied == 2019
    assert vb.stats.checksum_ok == 2019 and vb.stats.checksum_failed == 0
    assert vb.stats.crossed == 0 and vb.controls == {"heartbeat": 31, "status": 1}
    for symbol in SYMBOLS:
        v1_book, v2_book = vb.book(symbol), v2_books.book(symbol)
        assert v1_book.max_depth == 1000
        assert (texts(v1_book.bids()), texts(v1_book.asks())) == (texts(v2_book.bids()), texts(v2_book.asks()))


def test_v1_split_update_applies_both_halves_before_the_checksum(v1_records):
    [frame] = [r.data for r in v1_records if r.kind == "ws" and '{"a":[["0.042990"' in r.data and '},{"b"' in r.data]
    d = kraken.SPEC.decoder(kraken.SPEC.symbol_map(), FixedParser())
    [ack] = d.decode(next(r.data for r in v1_records if r.kind == "ws" and '"pair":"SC/EUR"' in r.data), 1)
    assert ack == Subscribed("SC/EUR", 1000, 1)
    [delta] = d.decode(frame, 2)
    assert delta.asks == [("0.042990", "364630.28272081")] and delta.bids == [("0.042990", "0.00000000")]
    assert delta.checksum == 4105471083 and delta.ts_event_ns == 1618678145920708000


def test_v2_update_fields(v2_records):
    first = next(r.data for r in v2_records if r.kind == "ws" and '"channel":"book","type":"update"' in r.data)
    [delta] = decoder().decode(first, 9)
    assert isinstance(delta, BookDelta) and delta.symbol == "XMR/USD"
    assert (delta.first_seq, delta.last_seq, delta.prev_seq) == (None, None, None)
    assert texts(delta.bids) == [("354.15000000", "5.00000000")] and delta.asks == []
    assert delta.checksum == 2583817756 and delta.ts_event_ns == 1618678133365913000 and delta.ts_recv_ns == 9


def test_integer_json_numbers_keep_their_text():
    # Pairs priced at 0 dp print integers: those are JSON ints, not floats.
    frame = BOOK % ('[{"price":5000000,"qty":0.00100000},{"price":5000001,"qty":12}]', "7")
    [delta] = decoder().decode(frame, 1)
    assert texts(delta.bids) == [("5000000", "0.00100000"), ("5000001", "12")]


def test_subscribed_depth_cuts_the_book_before_the_checksum():
    # A depth-10 book: the 11th ask falls out after an insert, and the checksum sees 10 levels.
    symbols = kraken.SPEC.symbol_map(["BTC/USD"])
    enc = Encoder(symbols, depth=10)
    truth = OrderBook("kraken", "BTC/USD", 10, FixedParser())
    bids = [(f"{100 - i}.0", "1.00000000") for i in range(10)]
    asks = [(f"{101 + i}.0", "1.00000000") for i in range(10)]
    truth.load(bids, asks)
    vb = VenueBooks(kraken.SPEC)
    vb.on_frame(1, enc.subscribe_ack("BTC/USD", 0)[0], 0)
    vb.on_frame(1, enc.snapshot("BTC/USD", bids, asks, 0, 0, truth)[0], 0)
    truth.apply([], [("100.5", "2.00000000")])
    assert vb.on_frame(1, enc.delta("BTC/USD", [], [("100.5", "2.00000000")], 1, 1, 0, truth)[0], 1).resync == ()
    book = vb.book("BTC/USD")
    assert book.max_depth == 10 and book.depth() == (10, 10) and book.asks()[-1][0] == "109.0"
    assert vb.stats.checksum_ok == 2 and vb.stats.checksum_failed == 0


def test_duplicate_update_is_harmless_and_reordering_is_caught(v2_records):
    updates = [i for i, r in enumerate(v2_records) if r.kind == "ws" and '"type":"update"' in r.data and '"SC/EUR"' in r.data]
    # Quantities are absolute: applying an update twice changes nothing, its checksum still holds.
    twice = list(v2_records)
    twice.insert(updates[10] + 1, v2_records[updates[10]])
    vb = replay(twice)
    assert vb.stats.checksum_failed == 0 and vb.stats.checksum_ok == 2024
    # Kraken has no sequence numbers: swapping updates is caught by the checksum instead.
    swapped = list(v2_records)
    a, b = updates[10], updates[11]
    swapped[a], swapped[b] = swapped[b], swapped[a]
    vb = replay(swapped)
    assert vb.stats.checksum_failed >= 1 and vb.book("SC/EUR").state is BookState.RESYNCING


def test_corrupted_checksum_is_detected(v2_records):
    target = next(r for r in v2_records if r.kind == "ws" and '"checksum":1453093704' in r.data)
    tampered = [
        type(r)(**{**{f: getattr(r, f) for f in r.__struct_fields__}, "data": r.data.replace("1453093704", "1453093705")})
        if r is target else r
        for r in v2_records
    ]
    vb = replay(tampered)
    assert vb.stats.checksum_failed == 1
    assert vb.book("XMR/USD").state is BookState.RESYNCING and vb.book("SC/EUR").is_live


# -- v1 arrays ---------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.lists(json_values, min_size=4, max_size=6))
def test_fuzz_v1_arrays(items):
    items[0], items[-2] = 7, "book-10"
    assert_total(lambda f: decoder().decode(f, 1), json.dumps(items))


# -- the wire encoder -------------------------------------------------------------------
def test_encoder_round_trips_through_the_decoder():
    symbols = kraken.SPEC.symbol_map(["BTC/USD"])
    enc = Encoder(symbols, depth=10)
    truth = OrderBook("kraken", "BTC/USD", 10, FixedParser())
    truth.load([("45283.5", "0.10000000")], [("45285.2", "0.00100000")])
    [frame] = enc.snapshot("BTC/USD", truth.bids(), truth.asks(), 0, 1_618_678_133_414_221_000, truth)
    [snap] = decoder().decode(frame, 0)
    assert (snap.symbol, texts(snap.bids), texts(snap.asks)) == ("BTC/USD", [("45283.5", "0.10000000")], [("45285.2", "0.00100000")])
    assert snap.checksum == kraken.checksum(truth) and snap.ts_event_ns == 1_618_678_133_414_221_000
    assert decoder().decode(enc.heartbeat(0)[0], 0)[0].kind == "heartbeat"
    with pytest.raises(ValueError):
        enc.delta("BTC/USD", [("1e5", "1")], [], 1, 1, 0, truth)
