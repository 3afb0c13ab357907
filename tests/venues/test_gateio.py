"""Gate, what only Gate has: doc examples and real ``spot.obu`` frames decoded field by
field, ``full:true`` pushes, requests, the upgrade notice, ``spot.obu`` through the wire
encoder. The venue contract (test_contract.py, row rows/gateio.py) covers the recording,
the ``U``/``u`` rule, bad input, fuzzing, signing and the ``order_book_update`` encoder."""

from __future__ import annotations

import json
import random

import pytest

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.core.errors import DecodeError
from arb.core.events import BookDelta, BookSnapshot, Control, Subscribed, TopOfBook
from arb.core.numbers import FixedParser
from arb.venues.books import VenueBooks
from arb.venues.gateio import Encoder
from arb.venues.gateio import market_data as gateio
from tests import samples
from tests.venues.rows.gateio import doc, obu_push


def decoder():
    return gateio.SPEC.decoder(gateio.SPEC.symbol_map(), FixedParser())


def replay(records):
    return samples.replay(gateio.SPEC, records)


# -- official examples ------------------------------------------------------------------
def test_doc_order_book_update_full_push_is_a_ws_snapshot_at_u_with_its_depth():
    # Arrange
    frame = json.dumps(doc("order_book_update_doc_push"))
    # Act
    subscribed, snap = decoder().decode(frame, ts_recv_ns=7)
    # Assert
    assert subscribed == Subscribed("BTC/USDT", 100, 7)
    assert isinstance(snap, BookSnapshot) and snap.source == "ws"
    assert (snap.symbol, snap.seq) == ("BTC/USDT", 48776306)
    assert snap.bids == [("19137.74", "0.0001"), ("19088.37", "0")]
    assert snap.asks == [("19137.75", "0.6135")]
    assert snap.ts_event_ns == 1606294781123 * 1_000_000 and snap.ts_recv_ns == 7


def test_order_book_update_without_full_is_a_delta():
    msg = doc("order_book_update_doc_push")
    del msg["result"]["full"]
    [delta] = decoder().decode(json.dumps(msg), 1)
    assert isinstance(delta, BookDelta)
    assert (delta.symbol, delta.first_seq, delta.last_seq) == ("BTC/USDT", 48776301, 48776306)
    assert delta.bids[1] == ("19088.37", "0") and not delta.level_seqs


def test_real_obu_full_snapshot_then_increment():
    d = decoder()
    subscribed, snap = d.decode(obu_push(doc("obu_real_full_snapshot_result")), 1)
    assert subscribed == Subscribed("BTC/USDT", 50, 1)
    assert isinstance(snap, BookSnapshot) and snap.source == "ws" and snap.seq == 27053258981
    assert len(snap.bids) == len(snap.asks) == 50
    assert snap.bids[0] == ("111666", "0.131287") and snap.asks[0] == ("111666.1", "0.818887")
    [delta] = d.decode(obu_push(doc("obu_real_incremental_result")), 2)
    assert (delta.first_seq, delta.last_seq) == (27053258982, 27053258987)
    assert delta.asks == [("111666.1", "0.791633"), ("111676.8", "0.014")]


def test_doc_obu_pushes_without_event_field_decode():
    d = decoder()
    subscribed, snap = d.decode(json.dumps(doc("obu_doc_full_push")), 1)
    assert subscribed.depth == 50 and snap.seq == 73777715168
    [delta] = d.decode(json.dumps(doc("obu_doc_incremental_push")), 1)
    assert (delta.first_seq, delta.last_seq) == (73777715169, 73777715212)
    assert delta.asks == [("104027.2", "0"), ("104027.4", "0")]


def test_real_obu_pair_through_venue_books_then_a_skip_is_a_gap():
    vb = VenueBooks(gateio.SPEC)
    vb.on_frame(1, obu_push(doc("obu_real_full_snapshot_result")), 1)
    assert vb.on_frame(1, obu_push(doc("obu_real_incremental_result")), 2).resync == ()
    book = vb.book("BTC/USDT")
    assert book.is_live and book.seq == 27053258987 and book.max_depth == 50
    assert book.best_bid() == ("111666", "0.146841") and book.best_ask() == ("111666.1", "0.791633")
    # The same increment again is already in the book: dropped, not applied twice.
    vb.on_frame(1, obu_push(doc("obu_real_incremental_result")), 3)
    assert vb.stats.dropped == 1 and book.is_live
    # An increment that skips ahead leaves a hole: resync (obu: resubscribe).
    ahead = {**doc("obu_real_incremental_result"), "U": 27053258990, "u": 27053258991}
    assert vb.on_frame(1, obu_push(ahead), 4).resync == ("BTC/USDT",)
    assert book.state is BookState.RESYNCING and vb.stats.gaps == 1
    # A new full push (what a resubscribe brings) makes it live again.
    vb.on_frame(1, obu_push({**doc("obu_real_full_snapshot_result"), "u": 27053259000}), 5)
    assert book.is_live and book.seq == 27053259000 and vb.stats.resyncs == 1


def test_doc_control_frames():
    d = decoder()
    [ack] = d.decode(json.dumps(doc("obu_doc_subscribe_ack")), 1)
    assert ack == Subscribed("BTC/USDT", 50, 1)
    [error] = d.decode(json.dumps(doc("obu_doc_duplicate_subscribe_error")), 1)
    assert error.kind == "error" and "Alert sub ob.BTC_USDT.400" in error.detail
    [pong] = d.decode(json.dumps(doc("pong_response")), 1)
    assert isinstance(pong, Control) and pong.kind == "pong"
    [upgrade] = d.decode(json.dumps(doc("upgrade_notice")), 1)
    assert upgrade.kind == "reconnect" and "Please reconnect" in upgrade.detail
    assert d.decode(json.dumps(doc("order_book_doc_push")), 1) == []


def test_doc_book_ticker_is_an_oracle():
    [tob] = decoder().decode(json.dumps(doc("book_ticker_doc_push")), 1)
    assert isinstance(tob, TopOfBook)
    assert (tob.symbol, tob.seq) == ("BTC/USDT", 48733182)
    assert tob.bid == ("19177.79", "0.0003341504") and tob.ask == ("19179.38", "0.09")


def test_requests_match_the_doc_shapes():
    [sub] = gateio.obu_subscribe_frames(["BTC_USDT"], 50, 123456_000)
    assert json.loads(sub) == doc("obu_doc_subscribe_request")
    [unsub] = gateio.obu_unsubscribe_frames(["BTC_USDT"], 50, 1_000)
    assert json.loads(unsub) == {**doc("obu_doc_subscribe_request"), "time": 1, "event": "unsubscribe"}
    ping = json.loads(gateio.ping_frame(3, 1545404023_456))
    assert {k: ping[k] for k in ("time", "channel")} == doc("ping_request")
    frames = [json.loads(f) for f in gateio.subscribe_frames(["INK_USDT", "NEO_BTC"], 100, 1619093532_999)]
    assert frames[0] == {"time": 1619093532, "channel": "spot.order_book_update", "event": "subscribe", "payload": ["INK_USDT", "100ms"]}
    assert frames[1]["payload"] == ["NEO_BTC", "100ms"]
    assert json.loads(gateio.subscribe_frames(["X_Y"], 20, 0)[0])["payload"] == ["X_Y", "20ms"]
    req = gateio.snapshot_request(gateio.REST_URL, "FAST_USDT", 100)
    assert req.url == "https://api.gateio.ws/api/v4/spot/order_book?currency_pair=FAST_USDT&limit=100&with_id=true"
    assert gateio.connect_url(gateio.WS_URL, ["BTC_USDT"], 100) == "wss://api.gateio.ws/ws/v4/"


# -- the real recording -----------------------------------------------------------------
def test_ink_book_is_its_rest_snapshot_alone():
    records = samples.records("gateio")
    vb = replay(records)
    rest = next(r for r in records if r.kind == "rest" and "INK_USDT" in r.url)
    body = json.loads(rest.data)
    book = vb.book("INK/USDT")
    assert book.seq == body["id"]
    assert book.bids() == [tuple(lv) for lv in body["bids"]] and book.asks() == [tuple(lv) for lv in body["asks"]]


def test_full_push_mid_stream_overwrites_the_book():
    vb = replay(samples.records("gateio"))
    frame = json.dumps({
        "time": 1, "time_ms": 1000, "channel": "spot.order_book_update", "event": "update",
        "result": {"t": 1000, "full": True, "l": "100", "e": "depthUpdate", "E": 1, "s": "NEO_BTC",
                   "U": 31244200, "u": 31244205, "b": [["0.00186", "1"]], "a": [["0.00187", "2"]]},
    })
    assert vb.on_frame(1, frame, 1).resync == ()
    book = vb.book("NEO/BTC")
    assert book.is_live and book.seq == 31244205
    assert book.bids() == [("0.00186", "1")] and book.asks() == [("0.00187", "2")]


def test_upgrade_notice_is_a_reconnect_control_and_books_stay_until_reconnect():
    vb = replay(samples.records("gateio"))
    vb.on_frame(1, json.dumps(doc("upgrade_notice")), 1)
    assert vb.controls["reconnect"] == 1 and vb.book("NEO/BTC").is_live
    assert sorted(vb.on_connect(1).resync) == sorted(vb.books())  # the reconnect resyncs every book


# -- REST -------------------------------------------------------------------------------
def test_rest_snapshot_needs_the_id_and_names_the_pair():
    url = "https://api.gateio.ws/api/v4/spot/order_book?currency_pair=FAST_USDT&limit=100&with_id=true"
    symbols, parser = gateio.SPEC.symbol_map(), FixedParser()
    snap = gateio.decode_snapshot(url, '{"id":5,"current":2,"update":1,"asks":[["2","1"]],"bids":[]}', 3, symbols, parser)
    assert (snap.symbol, snap.seq, snap.ts_event_ns, snap.source) == ("FAST/USDT", 5, 1_000_000, "rest")
    with pytest.raises(DecodeError):  # without with_id=true there is no id to sync on
        gateio.decode_snapshot(url, '{"asks":[],"bids":[]}', 3, symbols, parser)
    with pytest.raises(DecodeError):
        gateio.decode_snapshot(url, '{"label":"INVALID_CURRENCY_PAIR","message":"x"}', 3, symbols, parser)


# -- the wire encoder -------------------------------------------------------------------
def random_walk(rng: random.Random, steps: int):
    """Batches of absolute-size changes on a small uncrossed book (bids < 100 ≤ asks)."""
    for _ in range(steps):
        bids = [(f"{rng.randint(90, 99)}.{rng.choice((0, 5))}", rng.choice(["0", "1", "2.50", "0.001"])) for _ in range(rng.randint(0, 3))]
        asks = [(f"{rng.randint(100, 109)}.{rng.choice((0, 5))}", rng.choice(["0", "3", "1.25"])) for _ in range(rng.randint(0, 3))]
        yield list(dict(bids).items()), list(dict(asks).items())


def test_obu_encoder_round_trips_through_venue_books():
    # The contract's random walk covers the default channel (order_book_update, REST-synced);
    # spot.obu starts from an in-stream full push instead.
    seed = 20210422
    print("seed", seed)
    rng = random.Random(seed)
    symbols = gateio.SPEC.symbol_map(["BTC/USDT"])
    enc = Encoder(symbols, 50, channel="spot.obu")
    truth = OrderBook("gateio", "BTC/USDT")
    truth.load([("99", "1")], [("101", "1")])
    seq = 1000
    vb = VenueBooks(gateio.SPEC, symbols=["BTC/USDT"])
    [frame] = enc.snapshot("BTC/USDT", truth.bids(), truth.asks(), seq, 0, truth)
    vb.on_frame(1, frame, 0)
    for bids, asks in random_walk(rng, 300):
        first, seq = seq + 1, seq + rng.randint(1, 3)
        truth.apply(bids, asks)
        for frame in enc.delta("BTC/USDT", bids, asks, first, seq, 1_700_000_000_000_000_000, truth):
            [event] = decoder().decode(frame, 0)
            assert (event.first_seq, event.last_seq, event.bids, event.asks) == (first, seq, bids, asks)
            assert vb.on_frame(1, frame, 0).resync == ()
    book = vb.book("BTC/USDT")
    assert book.is_live and book.seq == seq
    assert book.bid_levels() == truth.bid_levels() and book.ask_levels() == truth.ask_levels()


def test_encoder_rest_snapshot_decodes():
    symbols = gateio.SPEC.symbol_map(["BTC/USDT"])
    url, body = Encoder(symbols).rest_snapshot(gateio.REST_URL, "BTC/USDT", [("100", "1")], [("101", "2")], 4, 5_000_000)
    snap = gateio.decode_snapshot(url, body, 0, symbols, FixedParser())
    assert (snap.symbol, snap.seq, snap.bids, snap.asks, snap.ts_event_ns) == ("BTC/USDT", 4, [("100", "1")], [("101", "2")], 5_000_000)
