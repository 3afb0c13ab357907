"""Binance adapter: official doc examples, the real recording, sync rules, fuzzing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arb.book.health import BookState
from arb.core.errors import DecodeError
from arb.core.events import BookDelta, BookSnapshot, Control
from arb.core.numbers import FixedParser
from arb.venues import binance
from arb.venues.books import VenueBooks
from tests import samples
from tests.venues.fuzz import assert_total, frame_mutations, json_values

DOCS = {e["name"]: e["msg"] for e in json.loads((samples.VENUES / "binance" / "docs_examples.json").read_text())["examples"]}


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


def test_symbols_and_requests():
    assert binance.parse_symbol("LRCBTC") == "LRC/BTC"
    assert binance.parse_symbol("runeeur") == "RUNE/EUR"
    assert binance.format_symbol("BTC/USDT") == "BTCUSDT"
    url = binance.connect_url(binance.WS_URL, ["LRCBTC", "RUNEEUR"], None)
    assert url == (
        "wss://stream.binance.com:9443/stream?streams="
        "lrcbtc@depth@100ms/lrcbtc@bookTicker/runeeur@depth@100ms/runeeur@bookTicker"
    )
    req = binance.snapshot_request(binance.REST_URL, "LRCBTC", None)
    assert req.url == "https://api.binance.com/api/v3/depth?symbol=LRCBTC&limit=1000" and req.weight == 50


# -- the real recording -----------------------------------------------------------------
def replay(records):
    return samples.replay(binance.SPEC, records)


def test_recording_syncs_with_drop_counts_from_the_capture_notes():
    vb = replay(samples.records("binance"))
    assert vb.errors == {}
    # LRC/BTC drops 2 buffered events and applies 13; RUNE/EUR drops 1 and applies 1.
    assert vb.stats.dropped == 3
    assert vb.stats.applied == 14
    assert vb.stats.gaps == 0 and vb.stats.crossed == 0
    lrc = vb.book("LRC/BTC")
    assert lrc.state is BookState.LIVE and lrc.seq == 259345563
    assert lrc.best_bid() == ("0.00000637", "2500.00000000")
    assert lrc.best_ask() == ("0.00000638", "2285.00000000")
    assert vb.book("RUNE/EUR").seq == 15602513


def test_recording_matches_every_bookticker_oracle_at_equal_update_id():
    vb = replay(samples.records("binance"))
    assert vb.oracle_failed == 0
    assert vb.oracle_ok == 6  # every bookTicker whose u a depth event reaches


def test_oracle_mismatch_is_detected():
    records = samples.records("binance")
    tampered = []
    for rec in records:
        if rec.kind == "ws" and '"u\\":259345555' in json.dumps(rec.data) and "bookTicker" in rec.data:
            rec = type(rec)(**{**{f: getattr(rec, f) for f in rec.__struct_fields__}, "data": rec.data.replace('"B":"2500.00000000"', '"B":"2501.00000000"')})
        tampered.append(rec)
    vb = replay(tampered)
    assert vb.oracle_failed == 1


def test_gap_clears_book_and_next_snapshot_resyncs_it():
    records = samples.records("binance")
    # Drop the depth event U=259345550..u=259345551: the next one (U=259345552) leaves a gap.
    kept = [r for r in records if not (r.kind == "ws" and '"U":259345550' in (r.data or ""))]
    vb = replay(kept)
    book = vb.book("LRC/BTC")
    assert vb.stats.gaps == 1
    assert book.state is BookState.RESYNCING and "gap" in book.reason
    assert book.depth() == (0, 0)
    # A fresh REST snapshot (here: a replayed one with a later id) brings it back.
    snap_rec = next(r for r in records if r.kind == "rest" and "LRCBTC" in r.url)
    body = json.loads(snap_rec.data)
    body["lastUpdateId"] = 259345563
    assert vb.on_rest(snap_rec.url, json.dumps(body), 1).resync == ()
    assert book.state is BookState.LIVE and vb.stats.resyncs == 1


def test_duplicate_and_out_of_order_events_are_dropped_not_applied():
    records = samples.records("binance")
    depth = [r for r in records if r.kind == "ws" and "@depth" in r.data and "LRCBTC" in r.data]
    vb = replay(records)
    before = vb.book("LRC/BTC").bids(), vb.book("LRC/BTC").asks()
    dropped = vb.stats.dropped
    for rec in reversed(depth):  # all already applied or older than the snapshot
        vb.on_frame(1, rec.data, rec.ts)
    assert vb.stats.dropped == dropped + len(depth)
    assert (vb.book("LRC/BTC").bids(), vb.book("LRC/BTC").asks()) == before


# -- bad input --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "frame",
    [
        "", "{", "null", "[]", '{"stream":"x@depth","data":{}}', '{"stream":"x@depth","data":{"e":"depthUpdate"}}',
        '{"stream":"lrcbtc@depth","data":{"e":"depthUpdate","E":1,"s":"LRCBTC","U":1,"u":2,"b":[["1","2","3"]],"a":[]}}',
        '{"stream":"lrcbtc@depth","data":{"e":"depthUpdate","E":1,"s":"LRCBTC","U":"1","u":2,"b":[],"a":[]}}',
        '{"stream":"lrcbtc@depth","data":{"e":"depthUpdate","E":1,"s":"???","U":1,"u":2,"b":[],"a":[]}}',
        '{"e":"somethingNew","E":1}', b"\xff\xfe", '{"stream":"lrcbtc@bookTicker","data":{"u":1}}',
    ],
)
def test_malformed_frames_raise_only_decode_error(frame):
    with pytest.raises(DecodeError):
        decoder().decode(frame, 1)


def test_malformed_number_marks_the_book_for_resync_and_is_counted():
    vb = replay(samples.records("binance"))
    bad = (
        '{"stream":"lrcbtc@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"LRCBTC",'
        '"U":259345564,"u":259345564,"b":[["-0.1","2"]],"a":[]}}'
    )
    assert vb.on_frame(1, bad, 1).resync == ("LRC/BTC",)
    book = vb.book("LRC/BTC")
    assert book.state is BookState.RESYNCING and "bad level" in book.reason
    assert vb.stats.bad_levels == 1 and book.depth() == (0, 0)
    assert vb.book("RUNE/EUR").is_live  # other books untouched


def test_bad_frames_are_counted_and_the_feed_goes_on():
    records = samples.records("binance")
    vb = VenueBooks(binance.SPEC)
    for i, rec in enumerate(records):
        if rec.kind == "ws":
            vb.on_frame(1, "{garbage" if i % 7 == 0 else rec.data, rec.ts)
            vb.on_frame(1, rec.data, rec.ts)  # the real frame still arrives
        elif rec.kind == "rest":
            vb.on_rest(rec.url, rec.data, rec.ts)
    assert sum(vb.errors.values()) > 0
    assert vb.book("LRC/BTC").is_live and vb.oracle_failed == 0


def test_fuzz_mutations_of_real_frames():
    frames = [r.data for r in samples.records("binance") if r.kind == "ws"]
    d = decoder()
    for frame in frame_mutations(frames, seed=1):
        assert_total(lambda f: d.decode(f, 1), frame)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200), json_values.map(json.dumps)))
def test_fuzz_arbitrary_input(frame):
    assert_total(lambda f: decoder().decode(f, 1), frame)


@settings(max_examples=200, deadline=None)
@given(json_values.map(json.dumps))
def test_fuzz_rest_snapshot(body):
    assert_total(
        lambda b: [binance.decode_snapshot("https://x/api/v3/depth?symbol=BTCUSDT", b, 1, binance.SPEC.symbol_map(), FixedParser())],
        body,
    )


def test_signing_matches_the_official_vectors():
    vectors = json.loads((samples.VENUES / "binance" / "signing_test_vectors.json").read_text())
    for vector in vectors["vectors"]:
        assert binance.sign(vectors["secretKey"], vector["payload"]) == vector["signature"]


def test_encoder_round_trips_through_the_decoder():
    from arb.sim.wire.binance import Encoder

    symbols = binance.SPEC.symbol_map(["BTC/USDT"])
    enc = Encoder(symbols)
    [frame] = enc.delta("BTC/USDT", [("100.5", "1")], [("101", "0")], 5, 7, 1_700_000_000_000_000_000, None)
    [delta] = decoder().decode(frame, 0)
    assert (delta.symbol, delta.first_seq, delta.last_seq) == ("BTC/USDT", 5, 7)
    assert delta.bids == [("100.5", "1")] and delta.asks == [("101", "0")]
    url, body = enc.rest_snapshot(binance.REST_URL, "BTC/USDT", [("100", "1")], [("101", "2")], 4, 0)
    snap = binance.decode_snapshot(url, body, 0, symbols, FixedParser())
    assert (snap.symbol, snap.seq, snap.bids, snap.asks) == ("BTC/USDT", 4, [("100", "1")], [("101", "2")])


@pytest.mark.parametrize("reply", ['{"result":null,"id":1}', '{"result":true,"id":2}', '{"result":["btcusdt@depth"],"id":3}'])
def test_every_control_reply_is_an_ack(reply):
    # GET_PROPERTY answers true, LIST_SUBSCRIPTIONS a list: neither is a decode error.
    [ack] = decoder().decode(reply, 1)
    assert isinstance(ack, Control) and ack.kind == "ack"


def test_a_rest_record_without_body_is_counted_not_applied():
    from arb.record.format import Record

    vb = VenueBooks(binance.SPEC)
    assert vb.on_record(Record(ts=1, venue="binance", kind="rest", url="https://x/api/v3/depth?symbol=LRCBTC")).resync == ()
    assert vb.on_record(Record(ts=2, venue="binance", kind="ws_out", conn=1, data="{}")).resync == ()
    assert vb.errors == {"rest-without-url-or-body": 1} and vb.messages == 0
