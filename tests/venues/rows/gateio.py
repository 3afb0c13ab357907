"""Gate's row: doc examples and real ``spot.obu`` frames, the real 2021 capture (five
``order_book_update`` books), the ``U``/``u`` rule, the documented signing composition."""

from __future__ import annotations

import hashlib
import hmac
import json

from arb.core.numbers import FixedParser
from arb.venues.gateio import market_data as gateio
from arb.venues.gateio import signing
from tests import samples
from tests.venues.contract import Book, Lost, Replayed, Row, Walk

EXAMPLES = "spot_obu_and_docs_examples.jsonl"
#: Client requests among the examples (not server messages).
REQUESTS = ("obu_doc_subscribe_request", "ping_request")
#: The gocryptotrader captures are bare ``result`` objects (see :func:`obu_push`).
BARE_RESULTS = ("obu_real_full_snapshot_result", "obu_real_incremental_result")


def doc(name: str) -> dict:
    return samples.example("gateio", EXAMPLES, name)["msg"]


def obu_push(result: dict) -> str:
    """The gocryptotrader frames are bare ``result`` objects: put the envelope back."""
    return json.dumps({"time": 1757377580, "time_ms": 1757377580100, "channel": "spot.obu", "event": "update", "result": result})


def _examples() -> dict[str, str]:
    frames = {}
    for e in samples.examples("gateio", EXAMPLES):
        if e["name"] in BARE_RESULTS:
            frames[e["name"]] = obu_push(e["msg"])
        elif e["name"] not in REQUESTS:
            frames[e["name"]] = json.dumps(e["msg"])
    return frames


def _fuzz_frames(records) -> tuple[list[str], list[bytes]]:
    frames = [r.data for r in records if r.kind == "ws"][::3]
    frames += [obu_push(doc("obu_real_incremental_result"))] + [
        json.dumps(e["msg"]) for e in samples.examples("gateio", EXAMPLES) if e["name"] != "obu_real_full_snapshot_result"
    ]
    return frames, []


def _signatures() -> list:
    # No official vectors ship with the samples: check the documented composition.
    payload = signing.signature_payload("get", "/api/v4/spot/accounts", "currency=BTC", "", 1541993715)
    empty_sha512 = (
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
    )
    expected = hmac.new(b"secret", payload.encode(), hashlib.sha512).hexdigest()
    ws = b"channel=spot.orders&event=subscribe&time=1611541000"
    return [
        ("payload", payload, f"GET\n/api/v4/spot/accounts\ncurrency=BTC\n{empty_sha512}\n1541993715"),
        ("REST SIGN", signing.sign("secret", "GET", "/api/v4/spot/accounts", "currency=BTC", "", 1541993715), expected),
        ("headers", signing.auth_headers("key", "secret", "GET", "/api/v4/spot/accounts", "currency=BTC", "", 1541993715),
         {"KEY": "key", "Timestamp": "1541993715", "SIGN": expected}),
        ("websocket auth", signing.ws_sign("secret", "spot.orders", "subscribe", 1611541000),
         hmac.new(b"secret", ws, hashlib.sha512).hexdigest()),
    ]


def _bad_level(books) -> tuple[str, str, str]:
    frame = (
        '{"channel":"spot.order_book_update","event":"update","result":{"t":1,"s":"NEO_BTC",'
        '"U":31244122,"u":31244122,"b":[["-0.1","2"]],"a":[]}}'
    )
    return frame, "NEO/BTC", "FAST/USDT"


ROW = Row(
    name="gateio",
    symbols={"NEO_BTC": "NEO/BTC", "ZKS_ETH": "ZKS/ETH"},
    bad_venue_symbols=("NEOBTC",),
    malformed=(
        "", "{", "null", "[]", "42", b"\xff\xfe",
        '{"channel":"spot.order_book_update","event":"update","result":{}}',
        '{"channel":"spot.order_book_update","event":"update","result":{"s":"NEO_BTC","U":2,"u":1,"b":[],"a":[]}}',
        '{"channel":"spot.order_book_update","event":"update","result":{"s":"NEO_BTC","u":1,"b":[],"a":[]}}',
        '{"channel":"spot.order_book_update","event":"update","result":{"s":"NEO_BTC","U":-1,"u":1,"b":[],"a":[]}}',
        '{"channel":"spot.order_book_update","event":"update","result":{"s":"NEO_BTC","U":1,"u":1,"b":[["1"]],"a":[]}}',
        '{"channel":"spot.order_book_update","event":"update","result":{"s":"NEO_BTC","U":1,"u":1,"b":[[1,2]],"a":[]}}',
        '{"channel":"spot.order_book_update","event":"update","result":{"s":"NEOBTC","U":1,"u":1,"b":[],"a":[]}}',
        '{"channel":"spot.order_book_update","event":"update","result":{"t":"x","s":"NEO_BTC","U":1,"u":1,"b":[],"a":[]}}',
        '{"channel":"spot.obu","event":"update","result":{"s":"BTC_USDT","U":1,"u":1,"b":[],"a":[]}}',
        '{"channel":"spot.obu","event":"update","result":{"s":"ob.BTC_USDT.x","full":true,"u":1,"b":[],"a":[]}}',
        '{"channel":"spot.book_ticker","event":"update","result":{"u":1,"s":"BTC_USDT"}}',
        '{"channel":"spot.something_new","event":"update","result":{}}',
        '{"time":1,"channel":"","event":"","result":null}',
    ),
    records=lambda _: samples.records("gateio"),
    replayed=Replayed(
        # FAST, INK, NANO, ZKS drop their first (cached) update; NEO drops three. The rest chain.
        stats={
            "snapshots": 5, "applied": 71, "buffered": 5, "dropped": 7, "gaps": 0, "resyncs": 0, "checksum_ok": 0,
            "checksum_failed": 0, "crossed": 0, "bad_levels": 0, "buffer_overflows": 0,
        },
        controls={"ack": 22},
        oracles=(0, 0),
        books={
            "FAST/USDT": Book(seq=1138143, bid=("10.21", "36.50154112"), ask=("10.62", "25.96795888")),
            "INK/USDT": Book(seq=2509482),
            "NANO/USDT": Book(seq=8008166),
            "NEO/BTC": Book(seq=31244121, bid=("0.0018659", "0.5"), ask=("0.001873", "5.24738")),
            "ZKS/ETH": Book(seq=11077674),
        },
        deepest=100,  # books stay within the subscribed 100 levels
    ),
    examples=_examples,
    fuzz_frames=_fuzz_frames,
    fuzz_seed=2,
    rest_bodies=(
        ("https://api.gateio.ws/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=100&with_id=true",
         lambda url, body: gateio.decode_snapshot(url, body, 1, gateio.SPEC.symbol_map(), FixedParser())),
    ),
    signatures=_signatures,
    bad_level=_bad_level,
    lost=Lost("NEO/BTC", 8, "gap"),  # the update U=31244076
    refed_symbol="NEO/BTC",
    walk=Walk("BTC/USDT", seed=20210422),
)
