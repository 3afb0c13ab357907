"""KuCoin's row: doc examples, the real 2021 capture (four level-2 books with tickers),
per-change sequences, the documented signing composition."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from arb.core.numbers import FixedParser
from arb.venues.kucoin import market_data as kucoin
from arb.venues.kucoin import signing
from tests import samples
from tests.venues.contract import Book, Lost, Replayed, Row, Walk

EXAMPLES = "docs_examples.jsonl"
SNAP_URL = "https://api.kucoin.com/api/v3/market/orderbook/level2?symbol=BTC-USDT"
#: Server pushes among the examples (the rest are requests and REST bodies).
PUSHES = ("level2_increment_push", "level2Depth5_push", "level1_push")


def doc(name: str) -> dict:
    return samples.example("kucoin", EXAMPLES, name)["msg"]


def l2update(symbol: str, start: int, end: int, bids=(), asks=()) -> str:
    data = {"sequenceStart": start, "symbol": symbol, "changes": {"asks": list(asks), "bids": list(bids)}, "sequenceEnd": end}
    return json.dumps({"data": data, "subject": "trade.l2update", "topic": f"/market/level2:{symbol}", "type": "message"})


def _decoders(spec) -> list:
    symbols, parser = spec.symbol_map(), FixedParser()
    return [kucoin.KucoinDecoder(symbols, parser), kucoin.KucoinDecoder(symbols, parser, split_sequences=True)]


def _fuzz_frames(records) -> tuple[list[str], list[bytes]]:
    frames = [r.data for r in records if r.kind == "ws"][::25]
    return frames + [json.dumps(e["msg"]) for e in samples.examples("kucoin", EXAMPLES)], []


def _signatures() -> list:
    # No official vectors ship with the samples: check the documented composition.
    path = "/api/v3/market/orderbook/level2?symbol=BTC-USDT"
    expected = base64.b64encode(hmac.new(b"secret", f"1547015186532GET{path}".encode(), hashlib.sha256).digest()).decode()
    headers = signing.auth_headers("key", "secret", "pass", 1547015186532, "GET", path)
    body = '{"symbol":"BTC-USDT"}'
    return [
        ("KC-API-SIGN", signing.sign("secret", 1547015186532, "get", path), expected),
        ("headers: sign", headers["KC-API-SIGN"], expected),
        ("headers: timestamp", headers["KC-API-TIMESTAMP"], "1547015186532"),
        ("headers: passphrase", headers["KC-API-PASSPHRASE"],
         base64.b64encode(hmac.new(b"secret", b"pass", hashlib.sha256).digest()).decode()),
        ("headers: key", (headers["KC-API-KEY"], headers["KC-API-KEY-VERSION"]), ("key", "3")),
        ("POST with a body", signing.sign("s", 1, "POST", "/api/v1/hf/orders", body),
         base64.b64encode(hmac.new(b"s", b"1POST/api/v1/hf/orders" + body.encode(), hashlib.sha256).digest()).decode()),
    ]


def _bad_level(books) -> tuple[str, str, str]:
    bad = l2update("COV-BTC", 1612699351292, 1612699351292, bids=[["-0.1", "2", "1612699351292"]])
    return bad, "COV/BTC", "BSV/USDT"


ROW = Row(
    name="kucoin",
    # KuCoin keeps Bitcoin SV's symbol code BCHSV-USDT after renaming it BSV: unified BSV/USDT.
    symbols={"BCHSV-USDT": "BSV/USDT", "COV-BTC": "COV/BTC", "BTC-USDT": "BTC/USDT"},
    malformed=(
        "", "{", "null", "[]", b"\xff\xfe", '{"type":"message","subject":"trade.l2update"}',
        '{"type":"message","subject":"trade.l2update","data":"x"}',
        '{"type":"message","subject":"trade.l2update","data":{"symbol":"BTC-USDT","sequenceStart":1,"changes":{"asks":[],"bids":[]}}}',
        '{"type":"message","subject":"trade.l2update","data":{"symbol":"BTC-USDT","sequenceStart":2,"sequenceEnd":1,"changes":{"asks":[],"bids":[]}}}',
        '{"type":"message","subject":"trade.l2update","data":{"symbol":"BTC-USDT","sequenceStart":1,"sequenceEnd":1}}',
        '{"type":"message","subject":"trade.l2update","data":{"symbol":"BTC-USDT","sequenceStart":1,"sequenceEnd":1,"changes":{"asks":[["1","2"]],"bids":[]}}}',
        '{"type":"message","subject":"trade.l2update","data":{"symbol":"BTC-USDT","sequenceStart":1,"sequenceEnd":1,"changes":{"asks":[["1","2","x"]],"bids":[]}}}',
        '{"type":"message","subject":"trade.l2update","data":{"symbol":"BTC-USDT","sequenceStart":1,"sequenceEnd":1,"changes":{"asks":[["1","2","-1"]],"bids":[]}}}',
        '{"type":"message","subject":"trade.l2update","data":{"symbol":"BTC-USDT","sequenceStart":"-5","sequenceEnd":1,"changes":{"asks":[],"bids":[]}}}',
        '{"type":"message","subject":"trade.l2update","data":{"symbol":"BTCUSDT","sequenceStart":1,"sequenceEnd":1,"changes":{"asks":[],"bids":[]}}}',
        '{"type":"message","subject":"trade.ticker","topic":"/market/ticker:BTC-USDT","data":{"bestBid":"1"}}',
        '{"type":"message","subject":"trade.ticker","topic":"/market/ticker","data":{"sequence":"1","bestBid":"1","bestBidSize":"1","bestAsk":"2","bestAskSize":"1"}}',
        '{"type":"message","subject":"trade.somethingNew","data":{}}', '{"type":"notice"}', '{"id":"1"}',
    ),
    records=lambda _: samples.records("kucoin"),
    replayed=Replayed(
        # 2,521 l2updates: 31 older than their snapshot (4 of them buffered before it), 2,490 applied.
        stats={
            "snapshots": 4, "applied": 2490, "buffered": 4, "dropped": 31, "gaps": 0, "resyncs": 0, "checksum_ok": 0,
            "checksum_failed": 0, "crossed": 0, "bad_levels": 0, "buffer_overflows": 0,
        },
        controls={"ack": 13, "welcome": 1},
        # 374 tickers: 6 are older than their book's snapshot; 12 arrive after the book has
        # already moved past their sequence (VenueBooks only compares at equal sequence).
        oracles=(356, 0),
        books={  # LTX/USDT is subscribed, but the venue sent nothing for it: no book
            "BSV/USDT": Book(seq=1613277186234, bid=("243.216", "4.51280965"), ask=("243.457", "4.51280965")),
            "COV/BTC": Book(seq=1612699351291),
            "EQZ/BTC": Book(seq=1619079123974),
            "NRG/BTC": Book(seq=1612702190374),
        },
    ),
    examples=lambda: {name: json.dumps(doc(name)) for name in PUSHES},
    fuzz_frames=_fuzz_frames,
    fuzz_seed=3,
    fuzz_per_frame=30,
    decoders=_decoders,
    rest_bodies=(
        (SNAP_URL, lambda url, body: kucoin.decode_snapshot(url, body, 1, kucoin.SPEC.symbol_map(), FixedParser())),
        ("bullet-public", lambda url, body: list(kucoin.connect_url_from_bullet(body, "x"))),
    ),
    signatures=_signatures,
    bad_level=_bad_level,
    lost=Lost("COV/BTC", 30, "gap"),
    refed_symbol="COV/BTC",
    walk=Walk(
        "BSV/USDT", seed=20210425,
        oracle=lambda enc, symbol, bid, ask, seq, ts: enc.ticker(symbol, seq, bid or ("0", "0"), ask or ("0", "0"), ts),
    ),
)
