"""Coinbase Advanced Trade, what only Coinbase has: doc and real example frames decoded field
by field, the connection-wide ``sequence_num`` (a gap resyncs every book of the connection),
the synthetic session against its own truth and through ``arb verify``, RFC 3339 times,
ES256 JWTs, the encoder's acks and errors. The venue contract (test_contract.py, row
rows/coinbase.py) covers the session's counts, bad input, fuzzing, the JWT claims and the
wire encoder's random walk."""

from __future__ import annotations

import base64
import json

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.core.errors import DecodeError
from arb.core.events import BookDelta, BookSnapshot, Control, ResyncRequired
from arb.core.numbers import FixedParser
from arb.record.reader import RecordingReader
from arb.venues.books import VenueBooks
from arb.venues.coinbase import market_data as coinbase
from arb.venues.coinbase import signing
from arb.venues.coinbase.wire import Encoder, rfc3339
from tests import samples
from tests.venues import coinbase_stream
from tests.venues.rows.coinbase import EXAMPLES, l2, update

REST_FIXTURE = (samples.VENUES / "coinbase" / "rest_product_book_response_nautilus_fixture.json").read_text()


def decoder():
    return coinbase.SPEC.decoder(coinbase.SPEC.symbol_map(), FixedParser())


# -- doc and real examples --------------------------------------------------------------
def test_doc_snapshot_decodes_with_exact_levels_and_nanosecond_time():
    # Arrange
    frame = json.dumps(EXAMPLES["l2_data_snapshot_doc"])
    # Act
    [snap] = decoder().decode(frame, ts_recv_ns=7)
    # Assert
    assert isinstance(snap, BookSnapshot) and snap.source == "ws" and snap.seq is None
    assert snap.symbol == "BTC/USD"
    assert snap.bids == [("21921.73", "0.06317902"), ("21921.3", "0.02")] and snap.asks == []
    assert snap.ts_event_ns == 1675974770_714964855 and snap.ts_recv_ns == 7


def test_real_unsorted_snapshot_builds_a_sorted_book():
    [snap] = decoder().decode(json.dumps(EXAMPLES["l2_data_snapshot_real_trimmed"]), 1)
    assert snap.symbol == "BTC/USDC:USDC"  # an INTX perpetual
    assert snap.asks == [("79944.1", "1.2"), ("79944", "0.048")]
    assert snap.bids == [("79943.9", "3.0105"), ("79943.8", "0.5")]
    book = OrderBook("coinbase", snap.symbol)
    book.load(snap.bids, snap.asks)
    assert book.best_ask() == ("79944", "0.048") and book.best_bid() == ("79943.9", "3.0105")


def test_real_control_frames_numbered_0_to_3_share_one_sequence():
    d = decoder()
    names = ["l2_data_snapshot_real_trimmed", "subscriptions_ack_real", "subscriptions_ack2_real", "heartbeat_real"]
    events = [e for name in names for e in d.decode(json.dumps(EXAMPLES[name]), 1)]
    assert not any(isinstance(e, ResyncRequired) for e in events) and d.last_seq == 3
    acks = [e for e in events if isinstance(e, Control)]
    assert acks == [
        Control("ack", "level2=BTC-PERP-INTX,ETH-PERP-INTX", 1),
        Control("ack", "heartbeats=heartbeats;level2=BTC-PERP-INTX,ETH-PERP-INTX", 1),
        Control("heartbeat", "139651", 1),
    ]


def test_real_error_frame_is_a_control_error():
    assert decoder().decode(json.dumps(EXAMPLES["error_real"]), 1) == [Control("error", "authentication failure", 1)]


def test_subscribe_frames_match_the_doc_examples():
    level2, heartbeats = coinbase.subscribe_frames(["BTC-USD", "ETH-USD"], None, 0)
    assert json.loads(level2) == EXAMPLES["subscribe_level2"]
    assert json.loads(heartbeats) == EXAMPLES["subscribe_heartbeats"]
    assert coinbase.connect_url(coinbase.WS_URL, ["BTC-USD"], None) == "wss://advanced-trade-ws.coinbase.com"
    assert coinbase.SPEC.ping_frame is None and coinbase.SPEC.snapshot_source == "ws"
    assert coinbase.SPEC.seq_rule.name == "NONE" and coinbase.SPEC.decode_snapshot is None


def test_rest_product_book_decodes_as_an_unsequenced_cross_check():
    req = coinbase.snapshot_request(coinbase.REST_URL, "BTC-USD", None)
    assert req.url == "https://api.coinbase.com/api/v3/brokerage/market/product_book?product_id=BTC-USD"
    snap = coinbase.decode_snapshot(req.url, REST_FIXTURE, 5, coinbase.SPEC.symbol_map(), FixedParser())
    assert (snap.symbol, snap.seq, snap.source) == ("BTC/USD", None, "rest")
    assert snap.bids[0] == ("68923.66", "0.17189468") and snap.asks[1] == ("68926", "0.058")
    assert len(snap.bids) == len(snap.asks) == 5
    assert snap.ts_event_ns == 1775521739_662782000
    with pytest.raises(DecodeError):  # the body must be the product asked for
        coinbase.decode_snapshot(req.url.replace("BTC-USD", "ETH-USD"), REST_FIXTURE, 5, coinbase.SPEC.symbol_map(), FixedParser())


# -- the connection's sequence_num ------------------------------------------------------
def test_several_events_in_one_message():
    events = decoder().decode(l2(0, [update("BTC-USD", ("bid", "1", "2")), update("ETH-USD", ("offer", "3", "0"))]), 1)
    assert [(type(e), e.symbol) for e in events] == [(BookDelta, "BTC/USD"), (BookDelta, "ETH/USD")]
    assert events[0].bids == [("1", "2")] and events[1].asks == [("3", "0")]
    assert (events[0].first_seq, events[0].last_seq, events[0].prev_seq) == (None, None, None)


def test_a_jump_in_sequence_num_requires_every_book_to_resync():
    d = decoder()
    d.decode(l2(0, [update("BTC-USD", ("bid", "1", "2"))]), 1)
    events = d.decode(l2(2, [update("BTC-USD", ("bid", "1", "3"))]), 2)
    assert events[0] == ResyncRequired(None, "gap: sequence_num 1 expected, got 2", 2)
    assert isinstance(events[1], BookDelta)
    assert d.decode(l2(3, [update("BTC-USD", ("bid", "1", "4"))]), 3)[0].bids == [("1", "4")]


def test_lower_or_repeated_sequence_num_is_ignored():
    d = decoder()
    d.decode(l2(5, []), 1)
    assert d.decode(l2(5, [update("BTC-USD", ("bid", "1", "2"))]), 1) == []
    assert d.decode(l2(3, [update("BTC-USD", ("bid", "1", "2"))]), 1) == []
    assert len(d.decode(l2(6, [update("BTC-USD", ("bid", "1", "2"))]), 1)) == 1


def test_an_undecodable_message_shows_as_a_gap_on_the_next_one():
    d = decoder()
    d.decode(l2(0, []), 1)
    with pytest.raises(DecodeError):
        d.decode(l2(1, [update("BTC-USD", ("buy", "1", "2"))]), 1)
    [gap, _] = d.decode(l2(2, [update("BTC-USD", ("bid", "1", "2"))]), 1)
    assert isinstance(gap, ResyncRequired) and gap.reason.startswith("gap")


# -- a synthetic session through VenueBooks and arb verify ------------------------------
@pytest.fixture(scope="module")
def stream():
    return coinbase_stream.build()


@pytest.fixture(scope="module")
def recording(stream, tmp_path_factory):
    path = tmp_path_factory.mktemp("coinbase") / "coinbase-synthetic.jsonl.gz"
    stream.write(path)
    return path


def read(path) -> list:
    with RecordingReader(path) as reader:
        return list(reader)


def replay(records, vb=None):
    return samples.replay(vb or coinbase.SPEC, records)


def test_session_replays_to_the_streams_own_accounting_and_true_books(stream, recording):
    # The exact counts are the contract's (rows/coinbase.py); here they follow from the stream.
    # Act
    vb = replay(read(recording))
    # Assert
    assert vb.errors == {}
    s = vb.stats
    assert stream.buffered > 0 and stream.applied > 100
    assert (s.applied, s.buffered, s.dropped) == (stream.applied, stream.buffered, stream.buffered)
    for symbol in coinbase_stream.SYMBOLS:
        book = vb.book(symbol)
        bids, asks = stream.truth(symbol)
        assert book.state is BookState.LIVE and book.bids() == bids and book.asks() == asks


def test_arb_verify_rebuilds_the_session(stream, recording, capsys):
    from workflows.cli import main

    status = main(["verify", str(recording)])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert status == 0
    assert (summary["gaps"], summary["resyncs"], summary["errors"]) == (1, 2, 0)
    assert summary["checksums"] == {"ok": 0, "failed": 0}
    plain = lambda level: list(level[:2])
    expected = {}
    for symbol in coinbase_stream.SYMBOLS:
        bids, asks = stream.truth(symbol)
        expected[f"coinbase:{symbol}"] = {"bid": plain(bids[0]), "ask": plain(asks[0]), "bids": len(bids), "asks": len(asks)}
    assert summary["books"] == expected
    assert summary["messages"] == sum(1 for r in read(recording) if r.kind == "ws")


def test_the_lost_message_clears_every_book_until_the_new_snapshots(recording):
    records = read(recording)
    vb = VenueBooks(coinbase.SPEC)
    asked = []
    for rec in records:
        if rec.kind == "connect":
            vb.on_connect(rec.conn)
        elif rec.kind == "ws":
            needed = vb.on_frame(rec.conn, rec.payload, rec.ts).resync
            if needed:
                asked += needed
                states = {s: vb.book(s).state for s in coinbase_stream.SYMBOLS}
                assert states == {s: BookState.RESYNCING for s in coinbase_stream.SYMBOLS}
                assert all("gap" in vb.book(s).reason and vb.book(s).depth() == (0, 0) for s in coinbase_stream.SYMBOLS)
    assert sorted(asked) == ["BTC/USD", "ETH/USD"]  # once each: resubscribe (snapshot_source "ws")
    assert all(vb.book(s).is_live for s in coinbase_stream.SYMBOLS) and vb.stats.resyncs == 2


def test_replayed_frames_are_ignored_as_out_of_order(recording):
    records = read(recording)
    vb = replay(records)
    before = {s: (vb.book(s).bids(), vb.book(s).asks()) for s in coinbase_stream.SYMBOLS}
    applied = vb.stats.applied
    for rec in reversed([r for r in records if r.kind == "ws"]):
        vb.on_frame(1, rec.payload, rec.ts)
    assert vb.stats.applied == applied and vb.stats.gaps == 1
    assert {s: (vb.book(s).bids(), vb.book(s).asks()) for s in coinbase_stream.SYMBOLS} == before


def test_reconnect_starts_a_fresh_sequence(recording):
    records = read(recording)
    vb = replay(records)
    vb.on_connect(1)  # a new connection: books resync, its decoder starts over
    enc = Encoder(vb.symbol_map)  # the venue numbers the new connection from 0
    assert all(vb.book(s).state is BookState.RESYNCING for s in coinbase_stream.SYMBOLS)
    vb.on_frame(1, enc.subscriptions({"level2": ["BTC-USD"]}, 0), 1)
    vb.on_frame(1, enc.snapshot("BTC/USD", [("1", "1")], [("2", "1")], 0, 0, None)[0], 2)
    assert vb.book("BTC/USD").is_live and vb.stats.gaps == 1


# -- times --------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**62))
def test_rfc3339_round_trips_exactly(ts_ns):
    assert coinbase.RfcTime().ns(rfc3339(ts_ns)) == ts_ns


# -- JWT --------------------------------------------------------------------------------
def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_build_jwt_signs_es256_verifiably():
    ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()).decode()
    token = signing.sign("organizations/o/apiKeys/k", pem, "POST", "/api/v3/brokerage/orders", 1_700_000_000, "deadbeef")
    header, claims, signature = token.split(".")
    assert msgspec.json.decode(_b64(header)) == signing.jwt_header("organizations/o/apiKeys/k", "deadbeef")
    assert msgspec.json.decode(_b64(claims))["uri"] == "POST api.coinbase.com/api/v3/brokerage/orders"
    raw = _b64(signature)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.public_key().verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if wrong
    other = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(ValueError):
        signing.build_jwt("k", other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(), None, 1, "n")


# -- the encoder ------------------------------------------------------------------------
def test_encoder_round_trips_through_the_decoder():
    symbols = coinbase.SPEC.symbol_map(["BTC/USD"])
    enc = Encoder(symbols)
    d = coinbase.SPEC.decoder(symbols, FixedParser())
    [ack] = d.decode(enc.subscriptions({"level2": ["BTC-USD"]}, 0), 0)
    [snap] = d.decode(enc.snapshot("BTC/USD", [("100", "1"), ("99.5", "2")], [("101", "3")], 0, 1_700_000_000_123456789, None)[0], 0)
    assert (snap.symbol, snap.bids, snap.asks, snap.ts_event_ns) == ("BTC/USD", [("100", "1"), ("99.5", "2")], [("101", "3")], 1_700_000_000_123456789)
    [delta] = d.decode(enc.delta("BTC/USD", [("100.50", "1")], [("101", "0")], 0, 0, 5, None)[0], 0)
    assert (delta.bids, delta.asks) == ([("100.50", "1")], [("101", "0")])
    [beat] = d.decode(enc.heartbeat(0)[0], 0)
    assert beat == Control("heartbeat", "1", 0) and ack.kind == "ack" and d.last_seq == 3
    url, body = enc.rest_snapshot(coinbase.REST_URL, "BTC/USD", [("100", "1")], [("101", "2")], 0, 1_700_000_000_123456789)
    rest = coinbase.decode_snapshot(url, body, 0, symbols, FixedParser())
    assert (rest.bids, rest.asks, rest.ts_event_ns) == ([("100", "1")], [("101", "2")], 1_700_000_000_123456000)
    assert d.decode(enc.error("authentication failure"), 0) == [Control("error", "authentication failure", 0)]
