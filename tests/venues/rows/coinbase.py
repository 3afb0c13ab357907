"""Coinbase's row: doc and real example frames, a synthetic session (no real multi-message
capture exists; see coinbase_stream.py), the JWT claims. The connection-wide ``sequence_num``
and ES256 signatures are tested in test_coinbase.py."""

from __future__ import annotations

import json

from arb.core.numbers import FixedParser
from arb.record.reader import RecordingReader
from arb.venues.coinbase import market_data as coinbase
from arb.venues.coinbase import signing
from tests import samples
from tests.venues import coinbase_stream
from tests.venues.contract import Book, Replayed, Row, Walk

EXAMPLES = {e["name"]: e["msg"] for e in samples.examples("coinbase", "advanced_trade_examples.jsonl")}
#: Client requests among the examples (not server messages).
REQUESTS = ("subscribe_level2", "subscribe_heartbeats")


def l2(seq, events, timestamp="2023-02-09T20:32:50.714964855Z") -> str:
    return json.dumps({"channel": "l2_data", "client_id": "", "timestamp": timestamp, "sequence_num": seq, "events": events})


def update(product="BTC-USD", *levels, kind="update") -> dict:
    return {"type": kind, "product_id": product, "updates": [
        {"side": side, "event_time": "2023-02-09T20:32:50.714964855Z", "price_level": p, "new_quantity": q} for side, p, q in levels
    ]}


MALFORMED = (
    "", "{", "null", "[]", "ÿ", b"\xff\xfe",
    '{"channel":"l2_data"}',  # no sequence_num
    '{"channel":"l2_data","sequence_num":1}',  # no events
    '{"channel":"l2_data","sequence_num":"1","events":[]}',
    '{"channel":"l2_data","sequence_num":-5,"events":[]}',
    l2(1, [update("BTC-USD", ("buy", "1", "2"))]),  # side
    l2(1, [{"type": "update", "product_id": "BTC-USD", "updates": [{"side": "bid", "price_level": "1"}]}]),
    l2(1, [{"type": "update", "product_id": "BTC-USD", "updates": [{"side": "bid", "price_level": 1, "new_quantity": "1"}]}]),
    l2(1, [{"type": "update", "product_id": "BTC-USD"}]),  # no updates
    l2(1, [{"type": "update", "updates": []}]),  # no product
    l2(1, [update("???", ("bid", "1", "2"))]),
    l2(1, [update("BTC-USD", ("bid", "1", "2"), kind="delta")]),  # unknown event type
    l2(1, [update("BTC-USD")], timestamp="2023-13-09T20:32:50Z"),
    l2(1, [update("BTC-USD")], timestamp="yesterday"),
    l2(1, [update("BTC-USD")], timestamp="2023-02-09T20:32:50.1234567890Z"),
    l2(1, [update("BTC-USD")], timestamp="2023-02-09T20:32:5x.1Z"),
    l2(1, [update("BTC-USD")], timestamp="2023-02-09T20:32:50+00:00"),
    l2(1, [update("BTC-USD")], timestamp="２０２3-02-09T20:32:50Z"),
    '{"channel":"something_new","sequence_num":1,"events":[]}',
    '{"channel":"subscriptions","sequence_num":1,"events":[{}]}',
    '{"type":"subscribe","channel":"level2"}',
)


def records(tmp_dir) -> list:
    """The synthetic session of :mod:`tests.venues.coinbase_stream`, written and read back."""
    path = tmp_dir / "coinbase-synthetic.jsonl.gz"
    coinbase_stream.build().write(path)
    with RecordingReader(path) as reader:
        return list(reader)


def _signatures() -> list:
    # ES256 signatures are randomised (test_coinbase.py verifies them); the JWT's other
    # parts are pure values.
    return [
        ("uri claim", signing.format_jwt_uri("get", "/api/v3/brokerage/accounts"), "GET api.coinbase.com/api/v3/brokerage/accounts"),
        ("header", signing.jwt_header("organizations/o/apiKeys/k", "ab12"),
         {"alg": "ES256", "kid": "organizations/o/apiKeys/k", "nonce": "ab12", "typ": "JWT"}),
        ("claims", signing.jwt_claims("k", 1_700_000_000, "GET api.coinbase.com/x"),
         {"iss": "cdp", "sub": "k", "nbf": 1_700_000_000, "exp": 1_700_000_120, "uri": "GET api.coinbase.com/x"}),
        ("websocket JWTs have no uri", "uri" in signing.jwt_claims("k", 1, None), False),
    ]


def _bad_level(books) -> tuple[str, str, str]:
    last = books.decoder(1).last_seq
    return l2(last + 1, [update("BTC-USD", ("bid", "-0.1", "2"))]), "BTC/USD", "ETH/USD"


ROW = Row(
    name="coinbase",
    symbols={"BTC-USD": "BTC/USD", "ETH-USDC": "ETH/USDC", "BTC-PERP-INTX": "BTC/USDC:USDC"},
    bad_venue_symbols=("BTCUSD", "BTC-", "-USD", "A-B-C", "-PERP-INTX"),
    bad_unified_symbols=("BTC/USD:BTC",),
    malformed=MALFORMED,
    counts_every_bad_frame=False,  # those numbered 1 are ignored as old once the connection is past 1
    records=records,
    replayed=Replayed(
        stats={
            "snapshots": 4, "applied": 176, "buffered": 5, "dropped": 5, "gaps": 1, "resyncs": 2, "checksum_ok": 0,
            "checksum_failed": 0, "crossed": 0, "bad_levels": 0, "buffer_overflows": 0,
        },
        controls={"ack": 4, "heartbeat": 8},
        oracles=(0, 0),
        books={"BTC/USD": Book(), "ETH/USD": Book()},
        asked=("BTC/USD", "ETH/USD"),  # once each, at the lost message: resubscribe
    ),
    examples=lambda: {name: json.dumps(msg) for name, msg in EXAMPLES.items() if name not in REQUESTS},
    fuzz_frames=lambda records: (
        [json.dumps(m) for m in EXAMPLES.values()] + [r.data for r in records if r.kind == "ws"][:30], [],
    ),
    rest_bodies=(
        ("https://api.coinbase.com/api/v3/brokerage/market/product_book?product_id=BTC-USD",
         lambda url, body: coinbase.decode_snapshot(url, body, 1, coinbase.SPEC.symbol_map(), FixedParser())),
    ),
    signatures=_signatures,
    bad_level=_bad_level,
    walk=Walk("BTC/USD", seed=20230209),
)
