"""OKX's row: official examples, the real 2022 capture (a dated future and an inverse swap,
no sequence ids yet), CRC32 checksums, the documented signing composition."""

from __future__ import annotations


from arb.core.numbers import FixedParser
from arb.venues.okx import market_data as okx
from arb.venues.okx import signing
from tests import samples
from tests.venues.contract import Book, Lost, Replayed, Row, Walk

DOCS = samples.verbatim_examples("okx", "docs_examples.jsonl")
#: Examples that are not server frames: requests, checksum vectors, REST bodies.
NOT_FRAMES = ("subscribe_request", "checksum_string_example_1", "checksum_string_example_2", "rest_books_response")
#: A ``books`` update for BTC-USDT: ``UPD % data_entry``.
UPD = '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[%s]}'


def _signatures() -> list:
    # No official vector ships with the samples; these were computed independently with
    # `openssl dgst -sha256 -hmac <secret> -binary | base64` on the docs' example values.
    secret, ts = "22582BD0CFF14C41EDBF1AB98506286D", "2020-12-08T09:08:57.715Z"
    body = '{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"2.15","sz":"2"}'
    return [
        ("GET", signing.sign(secret, ts, "GET", "/api/v5/account/balance?ccy=BTC"), "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="),
        ("POST", signing.sign(secret, ts, "post", "/api/v5/trade/order", body), "iwrdSpN7pm4G4u8+fswZUyH6mOM48+sBF6WvKpj4Dvk="),
    ]


def _bad_level(books) -> tuple[str, str, str]:
    bad = UPD.replace("BTC-USDT", "UNI-USD-SWAP") % '{"asks":[["-5.1","2","0","1"]],"bids":[],"ts":"1"}'
    return bad, "UNI/USD:UNI", "BTC/USD:BTC-220527"


ROW = Row(
    name="okx",
    symbols={
        "BTC-USDT": "BTC/USDT", "UNI-USD-SWAP": "UNI/USD:UNI", "BTC-USDT-SWAP": "BTC/USDT:USDT",
        "BTC-USD-220527": "BTC/USD:BTC-220527", "ETH-USDC-250926": "ETH/USDC:USDC-250926",
    },
    bad_venue_symbols=("BTC", "BTC-USD-220527-30000-C", "BTC-USD-FUTURE", "BTC--USDT", "BTC-USDT-", "BTC/USDT"),
    bad_unified_symbols=("BTC/USD:USDT",),
    malformed=(
        "", "{", "null", "[]", "ping", b"\xff\xfe", '{"arg":{"channel":"books","instId":"BTC-USDT"},"data":[]}',
        '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"partial","data":[]}',
        '{"arg":{"channel":"books"},"action":"update","data":[]}', '{"action":"update","data":[]}',
        UPD % "{}", UPD % '{"asks":[],"bids":[]}', UPD % '{"asks":[],"ts":"1"}',
        UPD % '{"asks":[["1","2"]],"bids":[],"ts":"1"}', UPD % '{"asks":[[1,2,3,4]],"bids":[],"ts":"1"}',
        UPD % '{"asks":[],"bids":[],"ts":"soon"}', UPD % '{"asks":[],"bids":[],"ts":"1","seqId":5}',
        UPD % '{"asks":[],"bids":[],"ts":"1","prevSeqId":5}', UPD % '{"asks":[],"bids":[],"ts":"1","checksum":"abc"}',
        UPD % '{"asks":[],"bids":[],"ts":"1","checksum":4294967295}', UPD % '{"asks":[],"bids":[],"ts":"1","seqId":"5","prevSeqId":4}',
        UPD.replace("BTC-USDT", "BTC-USD-220527-30000-C") % '{"asks":[],"bids":[],"ts":"1"}',
        '{"arg":{"channel":"brandNew","instId":"BTC-USDT"},"data":[]}', '{"event":"surprise"}', '{"hello":1}',
        '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[["x"]]}',
    ),
    records=lambda _: samples.records("okx"),
    replayed=Replayed(
        stats={
            "snapshots": 2, "applied": 190, "buffered": 0, "dropped": 0, "gaps": 0, "resyncs": 0, "checksum_ok": 192,
            "checksum_failed": 0, "crossed": 0, "bad_levels": 0, "buffer_overflows": 0,
        },
        controls={"ack": 12},
        oracles=(0, 0),
        books={
            # The 2022 capture predates seqId: no sequence check.
            "BTC/USD:BTC-220527": Book(seq=None, bid=("30229.4", "2"), ask=("30238.8", "3"), depth=(74, 62)),
            "UNI/USD:UNI": Book(bid=("5.137", "20"), ask=("5.145", "50"), depth=(125, 118)),
        },
    ),
    examples=lambda: {**{name: frame for name, frame in DOCS.items() if name not in NOT_FRAMES}, "pong": "pong"},
    fuzz_frames=lambda records: ([r.data for r in records if r.kind == "ws"][:80] + list(DOCS.values()), []),
    fuzz_per_frame=25,
    rest_bodies=(
        ("https://x/api/v5/market/books?instId=BTC-USDT",
         lambda url, body: okx.decode_rest_books(url, body, 1, okx.SPEC.symbol_map(), FixedParser())),
    ),
    signatures=_signatures,
    bad_level=_bad_level,
    lost=Lost("UNI/USD:UNI", 5, "checksum"),  # no sequence ids in 2022: the checksum catches it
    walk=Walk("BTC/USDT", seed=20240612),
)
