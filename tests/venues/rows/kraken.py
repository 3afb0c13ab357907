"""Kraken's row: official v2 examples with their checksums, the real 2021 capture rendered as
v2 (the v1 original is replayed in test_kraken.py), CRC32 checksums, the official signing vector."""

from __future__ import annotations

import json

from arb.venues.kraken import signing
from tests import samples
from tests.venues.contract import Book, Lost, Replayed, Row, Walk

V1 = "kraken-2021-04-17-book1000-v1"
V2 = "kraken-2021-04-17-book1000-v2"
SYMBOLS = ("GRT/ETH", "KSM/BTC", "SC/EUR", "XMR/USD")
DOCS = samples.verbatim_examples("kraken", "v2_book_examples_with_checksums.jsonl")
#: A v2 book update for BTC/USD: ``BOOK % (bids, checksum)``.
BOOK = '{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":%s,"asks":[],"checksum":%s}]}'


def _signatures() -> list:
    v = json.loads((samples.VENUES / "kraken" / "signing_test_vectors.json").read_text())
    return [("official vector", signing.sign(v["private_key"], v["uri_path"], v["nonce"], v["post_data"]), v["api_sign"])]


def _fuzz_frames(records) -> tuple[list[str], list[bytes]]:
    v1 = samples.records(V1)
    frames = [r.data for r in records[:120] if r.kind == "ws"] + [r.data for r in v1[:120] if r.kind == "ws"]
    return frames + list(DOCS.values()), []


def _bad_level(books) -> tuple[str, str, str]:
    return BOOK.replace("BTC/USD", "XMR/USD") % ('[{"price":-0.1,"qty":2.0}]', "1"), "XMR/USD", "SC/EUR"


ROW = Row(
    name="kraken",
    symbols={"BTC/USD": "BTC/USD", "ETH/EUR": "ETH/EUR"},
    parses={"XBT/USD": "BTC/USD", "XDG/EUR": "DOGE/EUR"},
    malformed=(
        "", "{", "null", "[]", "5", b"\xff\xfe", '{"channel":"book"}', '{"channel":"book","type":"update","data":[{}]}',
        '{"channel":"book","type":"partial","data":[]}', '{"channel":"book","type":"update","data":{"symbol":"BTC/USD"}}',
        BOOK % ('[{"price":1.5,"qty":2.0}]', "null"), BOOK % ('[{"price":true,"qty":2.0}]', "1"),
        BOOK % ('[{"price":null,"qty":2.0}]', "1"), BOOK % ('[{"price":1.5}]', "1"), BOOK % ("[[1.5,2.0]]", "1"),
        BOOK % ("[]", "-1"), BOOK % ("[]", "4294967296"), BOOK % ("[]", '"123"'),
        BOOK.replace("BTC/USD", "???") % ("[]", "1"), BOOK.replace("BTC/USD", "BTC/USD:BTC") % ("[]", "1"),
        '{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":1,"timestamp":"yesterday"}]}',
        '{"channel":"somethingNew","data":[]}', '{"method":"subscribe","success":true}', '{"method":"explode","success":true}',
        '{"hello":"world"}', '{"event":"mystery"}', '{"event":"subscriptionStatus","status":"subscribed"}',
        '[1,{"a":[["1","2"]],"c":"1"},"book-10","XBT/USD"]', '[1,{"a":[["1","2","3"]]},"book-10","XBT/USD"]',
        '[1,{"zz":[]},"book-10","XBT/USD"]', '[1,{"as":[]},"nope","XBT/USD"]', '[1,{"a":[[1,2,3]],"c":"1"},"book-10","XBT/USD"]',
        '[1,{"a":[["1","2","3"]],"c":"-5"},"book-10","XBT/USD"]', '[1,{"a":[["1","2","3"]],"c":"1"},"book-10","???"]',
        '["x",{},"book-10","XBT/USD"]', '[1,{"a":[["1","2","soon"]],"c":"1"},"book-10","XBT/USD"]',
    ),
    records=lambda _: samples.records(V2),
    replayed=Replayed(
        stats={
            "snapshots": 4, "applied": 2019, "buffered": 0, "dropped": 0, "gaps": 0, "resyncs": 0, "checksum_ok": 2023,
            "checksum_failed": 0, "crossed": 0, "bad_levels": 0, "buffer_overflows": 0,
        },
        controls={"heartbeat": 31, "status": 1},
        oracles=(0, 0),
        books={
            # max_depth 1000: from the subscribe acks.
            "GRT/ETH": Book(max_depth=1000),
            "KSM/BTC": Book(max_depth=1000),
            "SC/EUR": Book(max_depth=1000, depth=(847, 588)),
            "XMR/USD": Book(max_depth=1000, bid=("353.64000000", "30.30000000"), ask=("354.48000000", "6.86050247")),
        },
    ),
    examples=lambda: {name: frame for name, frame in DOCS.items() if name != "v2_subscribe_request"},
    fuzz_frames=_fuzz_frames,
    fuzz_per_frame=20,
    signatures=_signatures,
    bad_level=_bad_level,
    # The first XMR/USD update that changed the top 10 (its checksum moved): no sequence
    # numbers, the checksum catches it.
    lost=Lost("XMR/USD", 1, "checksum"),
    walk=Walk("BTC/USD", seed=20240611, depth=10),
)
