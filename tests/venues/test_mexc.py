"""MEXC, what only MEXC has: the hand-written protobuf reader and writer proven against
Google's official runtime, the constructed vectors and doc renderings decoded field by
field, requests, the docs' wrong signature, the synthetic session against its own truth and
through ``arb verify``. The venue contract (test_contract.py, row rows/mexc.py) covers the
session's counts, the version rule, bad input, fuzzing, signing and the wire encoder."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arb.book.health import BookState
from arb.core.errors import DecodeError
from arb.core.events import BookDelta, BookSnapshot, Control, TopOfBook
from arb.core.numbers import FixedParser
from arb.record.reader import RecordingReader
from arb.venues.mexc import market_data as mexc
from arb.venues.mexc import proto as pb
from arb.venues.mexc import signing
from tests import samples
from tests.venues import mexc_stream
from tests.venues.fuzz import assert_total
from tests.venues.mexc_official import MEMBERS, compile_official, from_official, to_official
from tests.venues.rows.mexc import DOCS, VECTORS, aggre, push


def decoder():
    return mexc.SPEC.decoder(mexc.SPEC.symbol_map(), FixedParser())


# -- the official runtime ---------------------------------------------------------------
@pytest.fixture(scope="module")
def official(tmp_path_factory):
    pytest.importorskip("grpc_tools", reason="grpcio-tools (test-only) compiles the official .proto files")
    return compile_official(tmp_path_factory.mktemp("mexc_pb2"))


texts = st.text(max_size=12)
int64s = st.integers(-(2**63), 2**63 - 1)
levels = st.lists(st.tuples(texts, texts), max_size=4)
bodies = st.one_of(
    st.none(),
    st.builds(pb.AggreDepths, levels, levels, texts, texts, texts, int64s),
    st.builds(pb.LimitDepths, levels, levels, texts, texts, int64s),
    st.builds(pb.IncreaseDepths, levels, levels, texts, texts),
    st.builds(pb.IncreaseDepthsBatch, st.lists(st.builds(pb.IncreaseDepths, levels, levels, texts, texts), max_size=3), texts),
    st.builds(pb.AggreBookTicker, texts, texts, texts, texts, texts, int64s),
)
ignored_fields = st.sampled_from(sorted(mexc.IGNORED_BODIES))


@st.composite
def wrappers(draw):
    """(our model, extra deals for an ignored body) covering every oneof member."""
    body = draw(bodies)
    field = 0
    if body is None and draw(st.booleans()):
        field = draw(ignored_fields)
    elif body is not None:
        field = pb.BODY_FIELD_OF[type(body)]
    optional = lambda s: st.none() | s
    w = pb.Wrapper(
        channel=draw(texts), body_field=field, body=body, symbol=draw(optional(texts)),
        symbol_id=draw(optional(texts)), create_time=draw(optional(int64s)), send_time=draw(optional(int64s)),
    )
    return w, draw(levels)


def test_field_numbers_are_the_official_ones(official):
    wrapper = official.PushDataV3ApiWrapper.DESCRIPTOR
    numbers = {f.name: f.number for f in wrapper.fields}
    assert (numbers["channel"], numbers["symbol"], numbers["symbolId"], numbers["createTime"], numbers["sendTime"]) == (
        pb.CHANNEL, pb.SYMBOL, pb.SYMBOL_ID, pb.CREATE_TIME, pb.SEND_TIME,
    )
    members = {f.number for f in wrapper.oneofs_by_name["body"].fields}
    assert members == pb.BODY_FIELDS
    assert numbers["publicAggreDepths"] == pb.PUBLIC_AGGRE_DEPTHS and numbers["publicAggreBookTicker"] == pb.PUBLIC_AGGRE_BOOK_TICKER
    aggre_fields = {f.name: f.number for f in wrapper.fields_by_name["publicAggreDepths"].message_type.fields}
    assert aggre_fields == {"asks": 1, "bids": 2, "eventType": 3, "fromVersion": 4, "toVersion": 5, "lastOrderCreateTime": 6}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wrappers())
def test_reader_decodes_official_serializations_identically(official, case):
    # Arrange
    model, deals = case
    msg = to_official(official, model, deals)
    # Act
    ours = pb.decode_wrapper(msg.SerializeToString())
    # Assert
    assert ours == from_official(msg) == model


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wrappers())
def test_writer_output_parses_identically_with_the_official_runtime(official, case):
    model, deals = case
    expected = to_official(official, model, deals)
    if model.body is None and model.body_field:  # a body we only pass through: write it raw
        raw = getattr(expected, MEMBERS[model.body_field]).SerializeToString()
        model = pb.Wrapper(**{**{f: getattr(model, f) for f in model.__struct_fields__}, "body": raw})
    ours = pb.encode_wrapper(model)
    assert official.PushDataV3ApiWrapper.FromString(ours) == expected
    assert ours == expected.SerializeToString(deterministic=True)  # even byte for byte


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wrappers(), st.data())
def test_truncated_input_fails_exactly_when_the_official_runtime_fails(official, case, data):
    from google.protobuf.message import DecodeError as OfficialDecodeError

    frame = to_official(official, *case).SerializeToString()
    cut = data.draw(st.integers(0, len(frame)))
    try:
        expected = from_official(official.PushDataV3ApiWrapper.FromString(frame[:cut]))
    except OfficialDecodeError:
        expected = None
    try:
        ours = pb.decode_wrapper(frame[:cut])
    except DecodeError:
        ours = None
    assert ours == expected


def test_protobuf_merges_repeated_message_fields_and_last_oneof_wins(official):
    a = pb.encode_wrapper(pb.Wrapper(body=aggre(bids=[("1", "2")], first="5", last="6")))
    b = pb.encode_wrapper(pb.Wrapper(channel="c", body=aggre(asks=[("3", "4")], first="", last="9")))
    merged = a + b  # protobuf: concatenation = merge
    assert pb.decode_wrapper(merged) == pb.Wrapper(channel="c", body_field=313, body=aggre([("1", "2")], [("3", "4")], "5", "9"))
    assert from_official(official.PushDataV3ApiWrapper.FromString(merged)) == pb.decode_wrapper(merged)
    switched = a + pb.encode_wrapper(pb.Wrapper(body=pb.AggreBookTicker(version="7")))
    assert pb.decode_wrapper(switched).body == pb.AggreBookTicker(version="7")


@pytest.mark.parametrize(
    "unknown",
    [
        b"\x38\x01",  # field 7, varint
        b"\x39" + b"\x00" * 8,  # field 7, fixed64
        b"\x3d" + b"\x00" * 4,  # field 7, fixed32
        b"\x3a\x03abc",  # field 7, length-delimited
        b"\x3b\x08\x01\x12\x00\x3b\x3c\x3c",  # field 7, group holding a varint, a string, a group
        b"\x0d\x00\x00\x00\x00",  # channel (1) with the wrong wire type
        b"\xc8\x13\x01",  # body member 313 with the wrong wire type
    ],
)
def test_unknown_fields_of_every_wire_type_are_skipped(official, unknown):
    known = pb.encode_wrapper(pb.Wrapper(channel="c", body=aggre(first="1", last="1"), symbol="BTCUSDT"))
    for spliced in (unknown + known, known + unknown):
        assert pb.decode_wrapper(spliced) == pb.decode_wrapper(known)
        assert from_official(official.PushDataV3ApiWrapper.FromString(spliced)) == pb.decode_wrapper(known)


# -- constructed vectors and doc examples -----------------------------------------------
def test_constructed_aggre_depth_vector_decodes_to_delta():
    # Arrange
    frame = bytes.fromhex(VECTORS["aggre_depth_doc_example_encoded"]["hex"])
    assert frame == base64.b64decode(VECTORS["aggre_depth_doc_example_encoded"]["base64"])
    # Act
    [event] = decoder().decode(frame, ts_recv_ns=7)
    # Assert
    assert isinstance(event, BookDelta)
    assert event.symbol == "BTC/USDT"
    assert (event.first_seq, event.last_seq) == (10589632359, 10589632359)
    assert event.bids == [("92877.58", "0.00000000")] and event.asks == []
    assert event.ts_event_ns == 1736411507002 * 1_000_000 and event.ts_recv_ns == 7


def test_constructed_limit_depth_vector_decodes_to_partial_snapshot():
    frame = bytes.fromhex(VECTORS["limit_depth_doc_example_encoded"]["hex"])
    [snap] = decoder().decode(frame, 3)
    assert isinstance(snap, BookSnapshot) and snap.source == "ws"
    assert (snap.symbol, snap.seq) == ("BTC/USDT", 36913565463)
    assert snap.asks == [("93180.18", "0.21976424")] and snap.bids == [("93179.98", "2.82651000")]
    assert snap.ts_event_ns == 1736411838730 * 1_000_000


def test_constructed_vectors_survive_a_write_read_round_trip():
    for name, vector in VECTORS.items():
        wrapper = pb.decode_wrapper(bytes.fromhex(vector["hex"]))
        # The vectors put the body before symbol/sendTime; a reader must not care.
        again = pb.decode_wrapper(pb.encode_wrapper(wrapper))
        assert again == wrapper, name


def test_doc_renderings_of_pushes_decode():
    d = decoder()
    # Book ticker (the doc rendering predates the version field).
    doc = DOCS["aggre_bookticker_push_decoded"]
    t = doc["publicbookticker"]
    frame = push(pb.AggreBookTicker(t["bidprice"], t["bidquantity"], t["askprice"], t["askquantity"]), channel=doc["channel"], send_time=doc["sendtime"])
    [tob] = d.decode(frame, 1)
    assert tob == TopOfBook("BTC/USDT", None, ("93387.28", "3.73485"), ("93387.29", "7.669875"), 1736412092433 * 1_000_000, 1)
    # Batch of consecutive per-update diffs: one delta per item, in order.
    doc = DOCS["increase_depth_batch_push_decoded"]
    items = [
        pb.IncreaseDepths([(a["price"], a["quantity"]) for a in i["asks"]], [(b["price"], b["quantity"]) for b in i["bids"]], i["eventType"], i["version"])
        for i in doc["publicIncreaseDepthsBatch"]["items"]
    ]
    frame = push(pb.IncreaseDepthsBatch(items, doc["publicIncreaseDepthsBatch"]["eventType"]), channel=doc["channel"], send_time=int(doc["sendTime"]))
    deltas = d.decode(frame, 1)
    assert [(e.first_seq, e.last_seq) for e in deltas] == [(v, v) for v in range(39003145507, 39003145512)]
    assert deltas[-1].bids == [("96576.69", "4.88725694")] and all(e.symbol == "BTC/USDT" for e in deltas)
    # Legacy per-update diff (302).
    [legacy] = d.decode(push(pb.IncreaseDepths([("2", "1")], [], "", "5")), 1)
    assert (legacy.first_seq, legacy.last_seq, legacy.asks) == (5, 5, [("2", "1")])


def test_doc_control_replies():
    d = decoder()
    [ack] = d.decode(json.dumps(DOCS["subscribe_response"]), 1)
    assert ack == Control("ack", "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT", 1)
    [pong] = d.decode(json.dumps(DOCS["pong_response"]), 1)
    assert pong.kind == "pong"
    refused = '{"id":0,"code":0,"msg":"Not Subscribed successfully! [spot@public.increase.depth.v3.api@BTCUSDT].  Reason： Blocked! "}'
    [error] = d.decode(refused, 1)
    assert error.kind == "error" and "Blocked" in error.detail
    [error] = d.decode('{"id":0,"code":1,"msg":"bad"}', 1)
    assert error.kind == "error"


def test_ignored_bodies_return_nothing():
    d = decoder()
    for field in sorted(mexc.IGNORED_BODIES):
        assert d.decode(pb.encode_wrapper(pb.Wrapper(channel="x", body_field=field, body=b"", symbol="BTCUSDT")), 1) == []


def test_doc_rest_depth_decodes_to_snapshot():
    url = "https://api.mexc.com/api/v3/depth?symbol=BTCUSDT&limit=1000"
    snap = mexc.decode_snapshot(url, json.dumps(DOCS["rest_depth_response"]), 3, mexc.SPEC.symbol_map(), FixedParser())
    assert isinstance(snap, BookSnapshot) and snap.source == "rest"
    assert (snap.symbol, snap.seq) == ("BTC/USDT", 1112416)
    assert snap.bids == [("15.00000", "49999.00000")] and snap.asks == [("14.0000", "1.0000")]


def test_frames_and_requests():
    assert mexc.connect_url(mexc.WS_URL, ["BTCUSDT"], None) == "wss://wbs-api.mexc.com/ws"
    [frame] = mexc.subscribe_frames(["BTCUSDT", "ETHUSDT"], None, 0)
    assert json.loads(frame) == {
        "method": "SUBSCRIPTION",
        "params": [
            "spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT", "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT",
            "spot@public.aggre.depth.v3.api.pb@100ms@ETHUSDT", "spot@public.aggre.bookTicker.v3.api.pb@100ms@ETHUSDT",
        ],
    }
    assert json.loads(frame)["params"][0] == DOCS["subscribe_request_aggre_depth"]["params"][0]
    assert len(json.loads(mexc.subscribe_frames([f"S{i}USDT" for i in range(15)], None, 0)[0])["params"]) == 30
    with pytest.raises(ValueError):
        mexc.subscribe_frames([f"S{i}USDT" for i in range(16)], None, 0)
    assert json.loads(mexc.SPEC.ping_frame(1, 0)) == DOCS["ping_request"]
    assert mexc.SPEC.max_connection_age_s == 24 * 3600 and mexc.SPEC.seq_rule.name == "RANGE"
    req = mexc.snapshot_request(mexc.REST_URL, "BTCUSDT", None)
    assert req.url == "https://api.mexc.com/api/v3/depth?symbol=BTCUSDT&limit=1000"


def test_the_docs_print_a_signature_that_is_not_the_hmac_of_its_payload():
    # The contract checks the verifiable vectors; the docs print 323c96ab… for the first
    # payload too, and only fd3e4e85… is its HMAC.
    vectors = json.loads((samples.VENUES / "mexc" / "signing_test_vectors.json").read_text())
    first = vectors["vectors"][0]
    assert signing.sign(vectors["secretKey"], first["payload"]).startswith("fd3e4e85")
    assert signing.sign(vectors["secretKey"], first["payload"]) != first["documented_signature"]


# -- a synthetic session through VenueBooks and arb verify ------------------------------
@pytest.fixture(scope="module")
def stream():
    return mexc_stream.build()


@pytest.fixture(scope="module")
def recording(stream, tmp_path_factory):
    path = tmp_path_factory.mktemp("mexc") / "mexc-synthetic.jsonl.gz"
    stream.write(path)
    return path


def replay(records, vb=None):
    return samples.replay(vb or mexc.SPEC, records)


def read(path) -> list:
    with RecordingReader(path) as reader:
        return list(reader)


def test_recording_holds_binary_pushes_as_base64(recording):
    records = read(recording)
    pushes = [r for r in records if r.kind == "ws" and r.data_b64 is not None]
    assert len(pushes) == mexc_stream.PUSHES - 1 + 12 and all(r.data is None for r in pushes)
    assert all(isinstance(r.payload, bytes) for r in pushes)
    assert sum(r.kind == "rest" for r in records) == 2


def test_session_replays_to_the_true_book(stream, recording):
    # The exact counts are the contract's (rows/mexc.py); here the book is the stream's truth.
    vb = replay(read(recording))
    book = vb.book("BTC/USDT")
    bids, asks = stream.truth()
    assert book.state is BookState.LIVE and book.seq == stream.last_version
    assert book.bids() == bids and book.asks() == asks


def test_arb_verify_rebuilds_the_session(stream, recording, capsys):
    from workflows.cli import main

    status = main(["verify", str(recording)])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert status == 0
    bids, asks = stream.truth()
    assert summary["gaps"] == 1 and summary["resyncs"] == 1 and summary["errors"] == 0
    assert summary["checksums"] == {"ok": 0, "failed": 0} and summary["oracles"] == {"ok": 12, "failed": 0}
    plain = lambda level: list(level[:2])
    assert summary["books"] == {"mexc:BTC/USDT": {"bid": plain(bids[0]), "ask": plain(asks[0]), "bids": len(bids), "asks": len(asks)}}
    assert summary["messages"] == sum(1 for r in read(recording) if r.kind in ("ws", "rest"))


def test_oracle_mismatch_is_detected(recording):
    records = read(recording)
    tampered = False
    for n, rec in enumerate(records):
        if rec.kind == "ws" and rec.data_b64 is not None and not tampered:
            w = pb.decode_wrapper(rec.payload)
            if isinstance(w.body, pb.AggreBookTicker):
                w.body.bid_quantity = "999.00000000"
                data_b64 = base64.b64encode(pb.encode_wrapper(w)).decode()
                records[n] = type(rec)(ts=rec.ts, venue=rec.venue, kind=rec.kind, conn=rec.conn, data_b64=data_b64)
                tampered = True
    vb = replay(records)
    assert vb.oracle_failed == 1 and vb.oracle_ok == 11


# -- fuzzing the contract does not do ----------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60), st.binary(max_size=60))
def test_fuzz_garbage_around_a_valid_push(prefix, suffix):
    frame = prefix + push(aggre(bids=[("1", "2")])) + suffix
    assert_total(lambda f: decoder().decode(f, 1), frame)


# -- the encoder ------------------------------------------------------------------------
def test_encoder_round_trips_through_the_decoder():
    from arb.venues.mexc import Encoder

    symbols = mexc.SPEC.symbol_map(["BTC/USDT"])
    enc = Encoder(symbols)
    [frame] = enc.delta("BTC/USDT", [("100.50", "1.00000000")], [("101", "0")], 5, 7, 1_700_000_000_123_000_000, None)
    assert isinstance(frame, bytes)
    [delta] = decoder().decode(frame, 0)
    assert (delta.symbol, delta.first_seq, delta.last_seq) == ("BTC/USDT", 5, 7)
    assert delta.bids == [("100.50", "1.00000000")] and delta.asks == [("101", "0")]
    assert delta.ts_event_ns == 1_700_000_000_123_000_000
    [tob] = decoder().decode(enc.book_ticker("BTC/USDT", ("100.50", "1"), None, 7, 0), 0)
    assert (tob.seq, tob.bid, tob.ask) == (7, ("100.50", "1"), None)
    url, body = enc.rest_snapshot(mexc.REST_URL, "BTC/USDT", [("100", "1")], [("101", "2")], 4, 0)
    snap = mexc.decode_snapshot(url, body, 0, symbols, FixedParser())
    assert (snap.symbol, snap.seq, snap.bids, snap.asks) == ("BTC/USDT", 4, [("100", "1")], [("101", "2")])
    assert enc.snapshot("BTC/USDT", [], [], 1, 0, None) == [] and enc.heartbeat(0) == []
