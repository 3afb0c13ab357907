"""KuCoin, what only KuCoin has: doc examples decoded field by field, the bullet token
flow, requests, every ticker checked at its sequence, price-"0" no-ops, straddling messages
and per-change sequences, split sequences. The venue contract (test_contract.py, row
rows/kucoin.py) covers the recording, the sequence rule, bad input, fuzzing, signing and
the wire encoder with its ticker oracle."""

from __future__ import annotations

import json

import pytest

from arb.book.health import BookState
from arb.core.errors import DecodeError
from arb.core.events import BookDelta, BookSnapshot, Control, TopOfBook
from arb.core.numbers import FixedParser
from arb.venues.books import VenueBooks
from arb.venues.kucoin import market_data as kucoin
from tests import samples
from tests.venues.rows.kucoin import SNAP_URL, doc, l2update


def decoder(split_sequences: bool = False):
    return kucoin.KucoinDecoder(kucoin.SPEC.symbol_map(), FixedParser(), split_sequences)


def replay(records, vb=None, on_event=None):
    return samples.replay(vb if vb is not None else kucoin.SPEC, records, on_event)


def ticker(symbol: str, seq: int, bid: tuple[str, str], ask: tuple[str, str]) -> str:
    data = {"sequence": str(seq), "bestBid": bid[0], "bestBidSize": bid[1], "bestAsk": ask[0], "bestAskSize": ask[1]}
    return json.dumps({"data": data, "subject": "trade.ticker", "topic": f"/market/ticker:{symbol}", "type": "message"})


def snapshot_body(seq: int, bids, asks) -> str:
    return json.dumps({"code": "200000", "data": {"time": 1, "sequence": str(seq), "bids": bids, "asks": asks}})


# -- official examples ------------------------------------------------------------------
def test_doc_level2_increment_decodes_with_int_change_sequences():
    # Arrange
    frame = json.dumps(doc("level2_increment_push"))
    # Act
    [delta] = decoder().decode(frame, ts_recv_ns=7)
    # Assert
    assert isinstance(delta, BookDelta) and delta.level_seqs
    assert (delta.symbol, delta.first_seq, delta.last_seq) == ("BTC/USDT", 14701689783, 14701689783)
    assert delta.asks == [("67993.3", "1.21427407", 14701689783)] and delta.bids == []
    assert delta.ts_event_ns == 1729816425625 * 1_000_000 and delta.ts_recv_ns == 7


def test_doc_rest_full_order_book_decodes_to_snapshot():
    snap = kucoin.decode_snapshot(SNAP_URL, json.dumps(doc("rest_full_orderbook_response")), 3, kucoin.SPEC.symbol_map(), FixedParser())
    assert isinstance(snap, BookSnapshot) and snap.source == "rest"
    assert (snap.symbol, snap.seq) == ("BTC/USDT", 14610502970)
    assert snap.bids[0] == ("66976.4", "0.69109872") and snap.asks[1] == ("66976.8", "0.0005")


def test_doc_partial_depth_and_level1_pushes_are_recognised_and_unused():
    d = decoder()
    assert d.decode(json.dumps(doc("level2Depth5_push")), 1) == []
    assert d.decode(json.dumps(doc("level1_push")), 1) == []


def test_doc_bullet_response_gives_the_connect_url_and_ping_timing():
    url, interval_s, timeout_s = kucoin.connect_url_from_bullet(json.dumps(doc("bullet_public_response")), "abc123")
    token = doc("bullet_public_response")["data"]["token"]
    assert url == f"wss://ws-api-spot.kucoin.com/?token={token}&connectId=abc123"
    assert (interval_s, timeout_s) == (18.0, 10.0)
    req = kucoin.bullet_request(kucoin.REST_URL)
    assert (req.method, req.url, req.weight) == ("POST", "https://api.kucoin.com/api/v1/bullet-public", 10)
    with pytest.raises(DecodeError):
        kucoin.connect_url_from_bullet('{"code":"400100","msg":"nope"}', "x")
    with pytest.raises(DecodeError):
        kucoin.connect_url_from_bullet("{", "x")


def test_requests_match_the_doc_shapes():
    example = doc("subscribe_request")
    level2, tick = (json.loads(f) for f in kucoin.subscribe_frames(["BTC-USDT", "ETH-USDT"], None, 0))
    assert {k: level2[k] for k in ("type", "topic", "privateChannel", "response")} == {
        k: example[k] for k in ("type", "topic", "privateChannel", "response")
    }
    assert tick["topic"] == "/market/ticker:BTC-USDT,ETH-USDT" and level2["id"] != tick["id"]
    many = kucoin.subscribe_frames([f"A{i}-USDT" for i in range(150)], None, 0)
    assert len(many) == 4 and json.loads(many[1])["topic"].count(",") == 49
    assert json.loads(kucoin.ping_frame(1545910590801, 0)) == doc("ping_request")
    req = kucoin.snapshot_request(kucoin.REST_URL, "BCHSV-USDT", None)
    assert req.url == "https://api.kucoin.com/api/v3/market/orderbook/level2?symbol=BCHSV-USDT" and req.weight == 3
    assert kucoin.connect_url(kucoin.WS_URL, ["BTC-USDT"], None) == kucoin.WS_URL


def test_control_frames():
    d = decoder()
    [welcome] = d.decode('{"id":"NSkIrWGB1s","type":"welcome"}', 1)
    assert isinstance(welcome, Control) and welcome.kind == "welcome"
    assert d.decode('{"id":"1","type":"ack"}', 1)[0].kind == "ack"
    assert d.decode('{"id":"1545910590801","type":"pong"}', 1)[0].kind == "pong"
    [error] = d.decode('{"id":"1","type":"error","code":404,"data":"topic /market/level2:X-Y is not found"}', 1)
    assert error.kind == "error" and "404" in error.detail and "not found" in error.detail


# -- the real recording -----------------------------------------------------------------
def test_recording_every_ticker_from_the_snapshot_on_matches_the_book_at_its_sequence():
    # Keep the book's top at every sequence it passes through, then check all tickers.
    tops: dict[tuple[str, int], tuple] = {}
    tickers: list[TopOfBook] = []
    d = decoder()

    def remember(vb, rec):
        if rec.kind == "ws" and '"trade.ticker"' in rec.data:
            tickers.extend(d.decode(rec.data, rec.ts))
        for symbol, book in vb.books().items():
            if book.is_live:
                tops[(symbol, book.seq)] = (book.best_bid(), book.best_ask())

    vb = replay(samples.records("kucoin"), on_event=remember)
    parse = vb.parser
    seen = [t for t in tickers if (t.symbol, t.seq) in tops]
    assert len(tickers) == 374 and len(seen) == 368
    for t in seen:
        bid, ask = tops[(t.symbol, t.seq)]
        assert (parse[bid[0]], parse[bid[1]]) == (parse[t.bid[0]], parse[t.bid[1]]), t
        assert (parse[ask[0]], parse[ask[1]]) == (parse[t.ask[0]], parse[t.ask[1]]), t


def test_recording_price_zero_changes_only_advance_the_sequence():
    d = decoder()
    frames = [r.data for r in samples.records("kucoin") if r.kind == "ws" and "l2update" in r.data and "BCHSV" in r.data]
    no_ops = [f for f in frames if '["0","0",' in f]
    assert len(no_ops) > 700
    for frame in no_ops[:50]:
        [delta] = d.decode(frame, 1)
        assert delta.bids == [] and delta.asks == [] and delta.first_seq <= delta.last_seq


def test_recording_ticker_mismatch_is_detected():
    records = samples.records("kucoin")
    hits = [r for r in records if r.kind == "ws" and '"trade.ticker"' in r.data]
    # Tamper one ticker that the replay does compare: the first after the BSV snapshot.
    victim = next(r for r in hits if "BCHSV" in r.data and int(json.loads(r.data)["data"]["sequence"]) > 1613277183893)
    seq = json.loads(victim.data)["data"]["sequence"]
    tampered = json.loads(victim.data)
    tampered["data"]["bestBidSize"] = "123456"
    records = [r if r is not victim else type(r)(**{**{f: getattr(r, f) for f in r.__struct_fields__}, "data": json.dumps(tampered)}) for r in records]
    vb = replay(records)
    assert seq and vb.oracle_failed == 1 and vb.oracle_ok == 355


# -- sync rules -------------------------------------------------------------------------
def synced_books(seq: int = 100) -> VenueBooks:
    vb = VenueBooks(kucoin.SPEC)
    vb.on_rest(SNAP_URL, snapshot_body(seq, [["99", "1"]], [["101", "1"]]), 0)
    return vb


def test_inside_a_straddling_message_only_newer_changes_apply():
    vb = synced_books(100)
    frame = l2update("BTC-USDT", 99, 101, bids=[["98", "5", "99"]], asks=[["102", "7", "101"], ["101", "0", "100"]])
    assert vb.on_frame(1, frame, 1).resync == ()
    book = vb.book("BTC/USDT")
    assert book.seq == 101
    assert book.bids() == [("99", "1")]  # the change at 99 is already in the snapshot
    assert [lv[:2] for lv in book.asks()] == [("101", "1"), ("102", "7")]  # 100 ≤ snapshot: skipped


def test_after_a_gap_buffered_messages_apply_onto_the_fresh_snapshot():
    vb = synced_books(100)
    vb.on_frame(1, l2update("BTC-USDT", 101, 101, asks=[["102", "1", "101"]]), 1)
    assert vb.on_frame(1, l2update("BTC-USDT", 103, 103, asks=[["103", "1", "103"]]), 2).resync == ("BTC/USDT",)
    book = vb.book("BTC/USDT")
    assert book.state is BookState.RESYNCING and "gap" in book.reason and vb.stats.gaps == 1
    vb.on_frame(1, l2update("BTC-USDT", 104, 104, asks=[["104", "1", "104"]]), 3)  # buffered
    assert vb.on_rest(SNAP_URL, snapshot_body(103, [["99", "1"]], [["101", "1"]]), 4).resync == ()
    assert book.is_live and book.seq == 104 and vb.stats.resyncs == 1
    assert [lv[0] for lv in book.asks()] == ["101", "104"]


def test_split_sequences_makes_tickers_inside_a_message_checkable():
    frame = l2update("BTC-USDT", 101, 105, bids=[["99", "2", "102"]], asks=[["101", "0", "101"], ["102", "3", "104"], ["0", "0", "103"]])
    deltas = decoder(split_sequences=True).decode(frame, 1)
    assert [(d.first_seq, d.last_seq) for d in deltas] == [(101, 101), (102, 102), (103, 104), (105, 105)]
    assert deltas[0].asks == [("101", "0", 101)] and deltas[1].bids == [("99", "2", 102)] and deltas[3].bids == deltas[3].asks == []
    # One delta per message leaves a ticker at 102 unverifiable; split, it is checked.
    for split, expected_ok in ((False, 0), (True, 1)):
        vb = synced_books(100)
        vb.use_decoder(1, kucoin.KucoinDecoder(vb.symbol_map, vb.parser, split))
        vb.on_frame(1, ticker("BTC-USDT", 102, ("99", "2"), ("101", "0")), 1)  # empty ask side
        vb.on_frame(1, frame, 2)
        assert vb.oracle_failed == 0 and vb.oracle_ok == expected_ok
        assert vb.book("BTC/USDT").seq == 105 and vb.book("BTC/USDT").asks() == [("102", "3", 104)]


def test_split_sequences_replays_the_recording_identically():
    vb = VenueBooks(kucoin.SPEC)
    vb.use_decoder(1, kucoin.KucoinDecoder(vb.symbol_map, vb.parser, split_sequences=True))
    replay([r for r in samples.records("kucoin") if r.kind != "connect"], vb=vb)
    assert vb.stats.applied == 2490 and vb.oracle_ok == 356 and vb.oracle_failed == 0


# -- bad input the contract does not cover ---------------------------------------------
def test_split_rejects_change_sequences_outside_the_message_range():
    frame = l2update("BTC-USDT", 101, 102, asks=[["101", "1", "101"], ["102", "1", "107"]])
    with pytest.raises(DecodeError):
        decoder(split_sequences=True).decode(frame, 1)


def test_rest_error_body_is_a_decode_error():
    with pytest.raises(DecodeError) as info:
        kucoin.decode_snapshot(SNAP_URL, '{"code":"400003","msg":"KC-API-KEY not exists"}', 1, kucoin.SPEC.symbol_map(), FixedParser())
    assert info.value.reason == "venue-error"
