"""MEXC's row: constructed protobuf vectors and doc replies, a synthetic session (no real
capture exists; see mexc_stream.py), the ``fromVersion``/``toVersion`` rule, the signing
vectors. The protobuf reader against Google's runtime is tested in test_mexc.py."""

from __future__ import annotations

import json

from arb.core.numbers import FixedParser
from arb.record.reader import RecordingReader
from arb.venues.mexc import market_data as mexc
from arb.venues.mexc import proto as pb
from arb.venues.mexc import signing
from tests import samples
from tests.venues import mexc_stream
from tests.venues.contract import Book, Lost, Replayed, Row, Walk

DOCS = {e["name"]: e["msg"] for e in samples.examples("mexc", "docs_examples.jsonl")}
VECTORS = {v["name"]: v for v in json.loads((samples.VENUES / "mexc" / "protobuf_test_vectors_constructed.json").read_text())["vectors"]}
DEPTH = "spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"


def push(body, symbol="BTCUSDT", channel=DEPTH, **fields) -> bytes:
    return pb.encode_wrapper(pb.Wrapper(channel=channel, body=body, symbol=symbol, **fields))


def aggre(bids=(), asks=(), first="11", last="12") -> pb.AggreDepths:
    return pb.AggreDepths(list(asks), list(bids), "spot@public.aggre.depth.v3.api.pb@100ms", first, last)


MALFORMED = (
    b"",  # no body
    b"\x0a",  # truncated length
    b"\x0a\x05abc",  # truncated string
    b"\xff" * 11,  # overlong key varint
    b"\x28" + b"\xff" * 9 + b"\x02",  # varint above 2**64
    b"\x00\x00",  # field number 0
    b"\x0f",  # wire type 7
    b"\x0e",  # wire type 6
    b"\x0b\x08\x01",  # group without its end
    b"\x0c",  # end group without a start
    b"\x0b\x14",  # group ended by another field's end
    b"\x0a\x02\xff\xfe",  # invalid UTF-8
    b"\x29\x00\x00",  # truncated fixed64
    b"\xea\x13\x05\x0a\x03\x0a\x01",  # truncated item inside the body
    push(aggre(first="1", last="2"), symbol=None),
    push(aggre(first="abc")),
    push(aggre(first="", last="5")),
    push(aggre(first="-1", last="5")),
    push(aggre(first="1e5", last="100001")),
    push(aggre(first="１２", last="13")),
    push(aggre(first="9", last="8")),
    push(aggre(first="1", last="99999999999999999999")),
    push(aggre(first="1", last="9999999999999999999")),  # 19 digits, above int64
    push(pb.AggreBookTicker("1", "1", "2", "1", "x")),
    push(pb.LimitDepths([], [], "", "")),
    push(pb.IncreaseDepths([], [], "", "v")),
    push(aggre(first="1", last="2"), symbol="???"),
    pb.encode_wrapper(pb.Wrapper(channel="new")) + b"\xe2\x13\x00",  # body field 316: unknown
    "", "{", "null", "[]", '{"id":0}', '{"id":0,"code":0}', '{"c":"spot@public.increase.depth.v3.api@BTCUSDT","d":{}}',
    '{"code":"0","msg":1}', "ÿ",
)


def records(tmp_dir) -> list:
    """The synthetic session of :mod:`tests.venues.mexc_stream`, written and read back."""
    path = tmp_dir / "mexc-synthetic.jsonl.gz"
    mexc_stream.build().write(path)
    with RecordingReader(path) as reader:
        return list(reader)


def _examples() -> dict[str, str | bytes]:
    frames: dict[str, str | bytes] = {name: bytes.fromhex(v["hex"]) for name, v in VECTORS.items()}
    frames.update({name: json.dumps(DOCS[name]) for name in ("subscribe_response", "pong_response")})
    return frames


def _fuzz_frames(records) -> tuple[list[str], list[bytes]]:
    ws = [r for r in records if r.kind == "ws"]
    binary = [r.payload for r in ws if r.data_b64 is not None][:40] + [bytes.fromhex(v["hex"]) for v in VECTORS.values()]
    text = [r.data for r in ws if r.data is not None] + [json.dumps(m) for m in DOCS.values()]
    return text, binary


def _signatures() -> list:
    vectors = json.loads((samples.VENUES / "mexc" / "signing_test_vectors.json").read_text())
    first, second = vectors["vectors"]
    query, body = "symbol=BTCUSDT&side=BUY&type=LIMIT", "quantity=1&price=11&recvWindow=5000&timestamp=1644489390087"
    return [
        # The docs print 323c96ab… for this payload too (test_mexc.py); only fd3e4e85… is its HMAC.
        ("documented example 2", signing.sign(vectors["secretKey"], first["payload"]), first["documented_signature_example2"]),
        ("query + body, no separator", signing.sign(vectors["secretKey"], query, body), second["documented_signature"]),
    ]


def _bad_level(books) -> tuple[bytes, str, None]:
    seq = books.book("BTC/USDT").seq
    return push(aggre(bids=[("-0.1", "2")], first=str(seq + 1), last=str(seq + 1))), "BTC/USDT", None


ROW = Row(
    name="mexc",
    symbols={"BTCUSDT": "BTC/USDT", "ETHUSDC": "ETH/USDC"},
    malformed=MALFORMED,
    records=records,
    replayed=Replayed(
        # See mexc_stream.py for how these counts come about.
        stats={
            "snapshots": 2, "applied": 114, "buffered": 7, "dropped": 4, "gaps": 1, "resyncs": 1, "checksum_ok": 0,
            "checksum_failed": 0, "crossed": 0, "bad_levels": 0, "buffer_overflows": 0,
        },
        controls={"ack": 2, "pong": 5},
        oracles=(12, 0),
        books={"BTC/USDT": Book(seq=40_000_000_409)},  # the last version the stream sent
        asked=("BTC/USDT",),  # at the gap
    ),
    examples=_examples,
    fuzz_frames=_fuzz_frames,
    rest_bodies=(
        ("https://x/api/v3/depth?symbol=BTCUSDT",
         lambda url, body: mexc.decode_snapshot(url, body, 1, mexc.SPEC.symbol_map(), FixedParser())),
    ),
    signatures=_signatures,
    bad_level=_bad_level,
    lost=Lost("BTC/USDT", -5, "gap"),
    refed_symbol="BTC/USDT",
    walk=Walk(
        "BTC/USDT", seed=20250109, oracle=lambda enc, symbol, bid, ask, seq, ts: enc.book_ticker(symbol, bid, ask, seq, ts),
    ),
)
