"""Binance's row: official doc examples and signing vectors, the real 2021 capture
(LRC/BTC, RUNE/EUR with book tickers), the ``U``/``u`` rule."""

from __future__ import annotations

import json

from arb.core.numbers import FixedParser
from arb.venues.binance import market_data as binance
from arb.venues.binance import signing
from tests import samples
from tests.venues.contract import Book, Lost, Replayed, Row, Walk

DOCS = {e["name"]: e["msg"] for e in json.loads((samples.VENUES / "binance" / "docs_examples.json").read_text())["examples"]}


def _examples() -> dict[str, str]:
    frames = {name: json.dumps(DOCS[name]) for name in (
        "ws_diff_depth_payload", "ws_subscribe_response", "ws_serverShutdown_raw", "ws_partial_book_depth_payload",
    )}
    frames["ws_diff_depth_payload combined"] = json.dumps({"stream": "bnbbtc@depth", "data": DOCS["ws_diff_depth_payload"]})
    return frames


def _signatures() -> list:
    vectors = json.loads((samples.VENUES / "binance" / "signing_test_vectors.json").read_text())
    return [
        (f"official vector {i}", signing.sign(vectors["secretKey"], v["payload"]), v["signature"])
        for i, v in enumerate(vectors["vectors"])
    ]


def _bad_level(books) -> tuple[str, str, str]:
    frame = (
        '{"stream":"lrcbtc@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"LRCBTC",'
        '"U":259345564,"u":259345564,"b":[["-0.1","2"]],"a":[]}}'
    )
    return frame, "LRC/BTC", "RUNE/EUR"


ROW = Row(
    name="binance",
    symbols={"LRCBTC": "LRC/BTC", "BTCUSDT": "BTC/USDT"},
    parses={"runeeur": "RUNE/EUR"},
    malformed=(
        "", "{", "null", "[]", '{"stream":"x@depth","data":{}}', '{"stream":"x@depth","data":{"e":"depthUpdate"}}',
        '{"stream":"lrcbtc@depth","data":{"e":"depthUpdate","E":1,"s":"LRCBTC","U":1,"u":2,"b":[["1","2","3"]],"a":[]}}',
        '{"stream":"lrcbtc@depth","data":{"e":"depthUpdate","E":1,"s":"LRCBTC","U":"1","u":2,"b":[],"a":[]}}',
        '{"stream":"lrcbtc@depth","data":{"e":"depthUpdate","E":1,"s":"???","U":1,"u":2,"b":[],"a":[]}}',
        '{"e":"somethingNew","E":1}', b"\xff\xfe", '{"stream":"lrcbtc@bookTicker","data":{"u":1}}',
    ),
    records=lambda _: samples.records("binance"),
    replayed=Replayed(
        # LRC/BTC drops 2 buffered events and applies 13; RUNE/EUR drops 1 and applies 1.
        stats={
            "snapshots": 2, "applied": 14, "buffered": 2, "dropped": 3, "gaps": 0, "resyncs": 0, "checksum_ok": 0,
            "checksum_failed": 0, "crossed": 0, "bad_levels": 0, "buffer_overflows": 0,
        },
        controls={},
        oracles=(6, 0),  # every bookTicker whose u a depth event reaches
        books={
            "LRC/BTC": Book(seq=259345563, bid=("0.00000637", "2500.00000000"), ask=("0.00000638", "2285.00000000")),
            "RUNE/EUR": Book(seq=15602513),
        },
    ),
    examples=_examples,
    fuzz_frames=lambda records: ([r.data for r in records if r.kind == "ws"], []),
    rest_bodies=(
        ("https://x/api/v3/depth?symbol=BTCUSDT",
         lambda url, body: binance.decode_snapshot(url, body, 1, binance.SPEC.symbol_map(), FixedParser())),
    ),
    signatures=_signatures,
    bad_level=_bad_level,
    # The depth event U=259345550..u=259345551: the next one (U=259345552) leaves a gap.
    lost=Lost("LRC/BTC", 6, "gap"),
    refed_symbol="LRC/BTC",
    walk=Walk("BTC/USDT", seed=20211012, oracle=lambda enc, symbol, bid, ask, seq, ts: enc.book_ticker(symbol, bid, ask, seq)),
)
