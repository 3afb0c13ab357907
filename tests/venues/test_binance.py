"""Binance, what only Binance has: official doc examples decoded field by field, requests,
every control reply, a tampered book ticker. The venue contract (test_contract.py, row
rows/binance.py) covers the recording, the ``U``/``u`` rule, bad input, fuzzing, signing
and the wire encoder."""

from __future__ import annotations

import json

import pytest

from arb.core.events import BookDelta, BookSnapshot, Control
from arb.core.numbers import FixedParser
from arb.record.format import Record
from arb.venues.binance import market_data as binance
from arb.venues.books import VenueBooks
from tests import samples
from tests.venues.rows.binance import DOCS


def decoder():
    return binance.SPEC.decoder(binance.SPEC.symbol_map(), FixedParser())


# -- official examples ------------------------------------------------------------------
def test_doc_diff_depth_decodes_to_delta_with_exact_levels():
    # Arrange
    frame = json.dumps({"stream": "bnbbtc@depth", "data": DOCS["ws_diff_depth_payload"]})
    # Act
    [event] = decoder().decode(frame, ts_recv_ns=7)
    # Assert
    assert isinstance(event, BookDelta)
    assert event.symbol == "BNB/BTC"
    assert (event.first_seq, event.last_seq) == (157, 160)
    assert event.bids == [("0.0024", "10")]
    assert event.asks == [("0.0026", "100")]
    assert event.ts_event_ns == 1672515782136 * 1_000_000 and event.ts_recv_ns == 7


def test_doc_raw_stream_payload_and_control_frames():
    d = decoder()
    [delta] = d.decode(json.dumps(DOCS["ws_diff_depth_payload"]), 1)
    assert isinstance(delta, BookDelta) and delta.last_seq == 160
    [ack] = d.decode(json.dumps(DOCS["ws_subscribe_response"]), 1)
    assert isinstance(ack, Control) and ack.kind == "ack"
    [shutdown] = d.decode(json.dumps(DOCS["ws_serverShutdown_raw"]), 1)
    assert isinstance(shutdown, Control) and shutdown.kind == "reconnect"
    assert d.decode(json.dumps(DOCS["ws_partial_book_depth_payload"]), 1) == []


def test_doc_rest_depth_decodes_to_snapshot():
    url = "https://api.binance.com/api/v3/depth?symbol=BNBBTC&limit=1000"
    snap = binance.decode_snapshot(url, json.dumps(DOCS["rest_depth_response"]), 3, binance.SPEC.symbol_map(), FixedParser())
    assert isinstance(snap, BookSnapshot) and snap.source == "rest"
    assert (snap.symbol, snap.seq) == ("BNB/BTC", 1027024)
    assert snap.asks[0] == ("4.00000200", "12.00000000")


def test_requests():
    url = binance.connect_url(binance.WS_URL, ["LRCBTC", "RUNEEUR"], None)
    assert url == (
        "wss://stream.binance.com:9443/stream?streams="
        "lrcbtc@depth@100ms/lrcbtc@bookTicker/runeeur@depth@100ms/runeeur@bookTicker"
    )
    req = binance.snapshot_request(binance.REST_URL, "LRCBTC", None)
    assert req.url == "https://api.binance.com/api/v3/depth?symbol=LRCBTC&limit=1000" and req.weight == 50


@pytest.mark.parametrize("reply", ['{"result":null,"id":1}', '{"result":true,"id":2}', '{"result":["btcusdt@depth"],"id":3}'])
def test_every_control_reply_is_an_ack(reply):
    # GET_PROPERTY answers true, LIST_SUBSCRIPTIONS a list: neither is a decode error.
    [ack] = decoder().decode(reply, 1)
    assert isinstance(ack, Control) and ack.kind == "ack"


# -- the real recording -----------------------------------------------------------------
def test_oracle_mismatch_is_detected():
    records = samples.records("binance")
    tampered = []
    for rec in records:
        if rec.kind == "ws" and '"u\\":259345555' in json.dumps(rec.data) and "bookTicker" in rec.data:
            rec = type(rec)(**{**{f: getattr(rec, f) for f in rec.__struct_fields__}, "data": rec.data.replace('"B":"2500.00000000"', '"B":"2501.00000000"')})
        tampered.append(rec)
    vb = samples.replay(binance.SPEC, tampered)
    assert vb.oracle_failed == 1


def test_a_rest_record_without_body_is_counted_not_applied():
    vb = VenueBooks(binance.SPEC)
    assert vb.on_record(Record(ts=1, venue="binance", kind="rest", url="https://x/api/v3/depth?symbol=LRCBTC")).resync == ()
    assert vb.on_record(Record(ts=2, venue="binance", kind="ws_out", conn=1, data="{}")).resync == ()
    assert vb.errors == {"rest-without-url-or-body": 1} and vb.messages == 0
