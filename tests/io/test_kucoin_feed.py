"""KuCoin's connect flow on loopback: bullet token → endpoint and ping timing, welcome before
subscribing, the public top-100 snapshot without credentials, the signed full book with them."""

from __future__ import annotations

import json

from arb.io.connection import ConnectionOptions
from arb.record.writer import RecordingWriter
from arb.venues.kucoin import market_data as kucoin
from arb.venues.kucoin import signing as kucoin_signing
from arb.venues.base import Credentials
from tests.io.loopback import LoopbackVenue, until
from tests.io.harness import SYMBOLS, Harness, run


def test_token_welcome_pings_and_public_snapshots_without_credentials(tmp_path):
    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        methods = [(m, path.split("?")[0]) for m, path, _ in h.venue.rest_requests]
        assert methods[0] == ("POST", "/api/v1/bullet-public")
        assert set(methods[1:]) == {("GET", kucoin.PARTIAL_100_PATH)}
        assert not any("KC-API-KEY" in headers for _, _, headers in h.venue.rest_requests)
        assert h.feed.depth == 100 and h.feed.book("BTC/USDT").max_depth == 100
        client = h.venue.clients[0]
        first = json.loads(client.received[0])
        assert first["type"] == "subscribe"  # sent only after the welcome
        # the bullet answer set a 1 s ping interval: a ping goes out and is answered
        await until(lambda: any('"type":"ping"' in m for m in client.received), timeout=3, what="a ping")
        await h.settle()
        connect = next(r for r in h.records if r[2] == "connect")
        assert "token=SECRET-TOKEN" in connect[5] and "connectId=1-" in connect[5]
        path = tmp_path / "kucoin.jsonl"
        with RecordingWriter(path, "kucoin", SYMBOLS, "test") as writer:
            for ts, venue_name, kind, data, conn, url in h.records:
                writer.write(ts, venue_name, kind, data, conn=conn, url=url)
        assert "SECRET-TOKEN" not in path.read_text()  # redacted on the way to disk

    run(kucoin.SPEC, SYMBOLS, test)


def test_with_credentials_the_full_book_request_is_signed():
    credentials = Credentials("key-123", "secret-456", "pass-789")
    assert "key-123" not in repr(credentials) and "secret" not in repr(credentials)

    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        gets = [(path, headers) for m, path, headers in h.venue.rest_requests if m == "GET"]
        assert {path.split("?")[0] for path, _ in gets} == {kucoin.SNAPSHOT_PATH}
        for path, headers in gets:
            expected = kucoin_signing.sign("secret-456", int(headers["KC-API-TIMESTAMP"]), "GET", path)
            assert headers["KC-API-KEY"] == "key-123" and headers["KC-API-SIGN"] == expected
        assert h.feed.depth is None
        await h.settle()

    run(kucoin.SPEC, SYMBOLS, test, credentials=credentials)


def test_unanswered_ping_closes_the_session():
    async def test(h: Harness) -> None:
        h.venue.start_ticker()
        await until(h.live, what="books live")
        h.venue.stalled = True
        await until(lambda: not h.live(), timeout=4, what="dead session detected")
        assert "no answer to a ping within 1 s" in h.feed.health().last_error
        h.venue.stalled = False
        await until(lambda: h.venue.connects >= 2 and h.live(), what="reconnected")
        await h.settle()

    run(kucoin.SPEC, SYMBOLS, test)


def test_no_welcome_is_a_failed_attempt():
    def mute(venue: LoopbackVenue) -> None:
        venue.stalled = True

    async def test(h: Harness) -> None:
        await until(lambda: h.feed.breaker.failures >= 1, timeout=3, what="a failed attempt")
        assert "no 'welcome' within 0.3 s" in h.feed.health().connections[0].last_error
        h.venue.stalled = False
        h.venue.start_ticker()
        await until(h.live, what="books live once the venue welcomes")

    run(kucoin.SPEC, SYMBOLS, test, setup=mute, connection=ConnectionOptions(open_timeout_s=0.3))
