"""What each simulated venue says: pings, errors, handshakes, heartbeats, unsubscribes."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
import websockets
from websockets.exceptions import ConnectionClosedOK, InvalidStatus

from arb.core.events import BookDelta, BookSnapshot
from arb.core.numbers import FixedParser
from arb.sim.server.frames import Numbered
from arb.venues.coinbase import Encoder as CoinbaseEncoder
from arb.venues.gateio import market_data as gateio
from arb.venues.books import VenueBooks
from tests.sim.server.client import Client, run, settle
from tests.sim.server.conftest import simulator


async def _ws(url: str):
    return await websockets.connect(url, compression=None, ping_interval=None, max_size=None, max_queue=None)


async def _recv_json(ws, timeout: float = 2.0):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def _until(ws, predicate, timeout: float = 2.0):
    """Frames until one satisfies ``predicate`` (returned, parsed)."""
    while True:
        frame = await asyncio.wait_for(ws.recv(), timeout)
        msg = json.loads(frame) if isinstance(frame, str) and frame[:1] in "{[" else frame
        if predicate(msg):
            return msg


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@pytest.mark.parametrize(
    ("venue", "ping", "is_pong"),
    [
        ("kraken", '{"method":"ping","req_id":5}', lambda m: isinstance(m, dict) and m.get("method") == "pong" and m["req_id"] == 5),
        ("okx", "ping", lambda m: m == "pong"),
        ("mexc", '{"method":"PING"}', lambda m: isinstance(m, dict) and m.get("msg") == "PONG"),
        ("gateio", '{"time":%d,"id":9,"channel":"spot.ping"}', lambda m: isinstance(m, dict) and m.get("channel") == "spot.pong"),
        ("binance", '{"method":"GET_PROPERTY","params":["combined"],"id":4}', lambda m: m == {"result": True, "id": 4}),
    ],
)
def test_application_pings_are_answered(venue, ping, is_pong):
    async def scenario():
        async with simulator((venue,), n_symbols=1) as sims:
            server = sims[venue]
            url = server.spec.connect_url(server.ws_url, [server.native(server.symbols[0])], server.spec.depth)
            async with await _ws(url) as ws:
                await ws.send(ping % (_now_ms() // 1000) if "%d" in ping else ping)
                await _until(ws, is_pong)

    run(scenario())


def test_kucoin_token_welcome_ping_and_refusal_without_token():
    async def scenario():
        async with simulator(("kucoin",), n_symbols=1) as sims:
            server = sims["kucoin"]
            with pytest.raises(InvalidStatus) as refused:
                await _ws(server.ws_url + "?token=forged")
            assert refused.value.response.status_code == 401
            async with aiohttp.ClientSession() as http:
                async with http.post(server.rest_url + "/api/v1/bullet-public") as response:
                    body = await response.text()
            url, interval, timeout = server.spec.connect_url_from_response(body, "abc")
            assert (interval, timeout) == (18.0, 10.0)
            async with await _ws(url) as ws:
                assert await _recv_json(ws) == {"id": "abc", "type": "welcome"}
                await ws.send('{"id":"7","type":"ping"}')
                assert await _recv_json(ws) == {"id": "7", "type": "pong"}

    run(scenario())


@pytest.mark.parametrize("venue", ["kraken", "okx", "gateio", "mexc", "coinbase"])
def test_a_wrong_path_is_refused(venue):
    async def scenario():
        async with simulator((venue,), n_symbols=1) as sims:
            base = sims[venue].ws_url.split("/", 3)
            with pytest.raises(InvalidStatus) as refused:
                await _ws(f"{base[0]}//{base[2]}/nowhere")
            assert refused.value.response.status_code == 404

    run(scenario())


@pytest.mark.parametrize(
    ("venue", "request_", "is_error"),
    [
        ("kraken", '{"method":"subscribe","params":{"channel":"book","symbol":["NOPE/USD"],"depth":10}}',
         lambda m: m.get("success") is False and m["symbol"] == "NOPE/USD"),
        ("okx", '{"op":"subscribe","args":[{"channel":"books","instId":"NOPE-USDT"}]}',
         lambda m: m.get("event") == "error" and m["code"] == "60018"),
        ("kucoin", '{"id":"1","type":"subscribe","topic":"/market/level2:NOPE-USDT","response":true}',
         lambda m: m.get("type") == "error" and m["code"] == 404),
        ("gateio", '{"time":%d,"channel":"spot.order_book_update","event":"subscribe","payload":["NOPE_USDT","100ms"]}',
         lambda m: m.get("error", {}).get("code") == 2),
        ("mexc", '{"method":"SUBSCRIPTION","params":["spot@public.aggre.depth.v3.api.pb@100ms@NOPEUSDT"]}',
         lambda m: m.get("msg", "").startswith("Not Subscribed")),
        ("coinbase", '{"type":"subscribe","product_ids":["NOPE-USD"],"channel":"level2"}',
         lambda m: m.get("type") == "error"),
        ("gateio", '{"time":1000,"channel":"spot.order_book_update","event":"subscribe","payload":["BTC_USDT","100ms"]}',
         lambda m: "off the server clock" in m.get("error", {}).get("message", "")),
        ("okx", "not json", lambda m: m.get("code") == "60012"),
    ],
)
def test_bad_requests_get_the_venues_error(venue, request_, is_error):
    async def scenario():
        async with simulator((venue,), n_symbols=1) as sims:
            server = sims[venue]
            url = server.ws_url
            if venue == "kucoin":
                async with aiohttp.ClientSession() as http:
                    async with http.post(server.rest_url + "/api/v1/bullet-public") as response:
                        url, _, _ = server.spec.connect_url_from_response(await response.text(), "x")
            async with await _ws(url) as ws:
                await ws.send(request_ % (_now_ms() // 1000) if "%d" in request_ else request_)
                await _until(ws, lambda m: isinstance(m, dict) and is_error(m))

    run(scenario())


def test_rest_refuses_unknown_symbols():
    async def scenario():
        async with simulator(("binance",), n_symbols=1) as sims:
            async with aiohttp.ClientSession() as http:
                async with http.get(sims["binance"].rest_url + "/api/v3/depth?symbol=NOPEUSDT&limit=10") as response:
                    assert response.status == 400
                    assert (await response.json())["code"] == -1121

    run(scenario())


@pytest.mark.parametrize("venue", ["okx", "kraken", "coinbase", "kucoin", "gateio", "mexc"])
def test_unsubscribe_stops_a_book_and_subscribe_brings_it_back(venue):
    async def scenario():
        async with simulator((venue,), n_symbols=2) as sims:
            server = sims[venue]
            client = Client(server, server.symbols)
            await client.connect()
            await settle(sims, client, client.all_match)
            spec = server.spec
            native = server.native(server.symbols[0])
            # Act: unsubscribe one symbol
            for frame in spec.unsubscribe_frames([native], spec.depth, _now_ms()) if spec.unsubscribe_frames else []:
                await client.ws.send(frame)
            if venue in ("kucoin", "mexc"):  # no unsubscribe in their specs: the venue's own request
                raw = (
                    f'{{"id":"9","type":"unsubscribe","topic":"/market/level2:{native}","response":true}}'
                    if venue == "kucoin"
                    else f'{{"method":"UNSUBSCRIPTION","params":["spot@public.aggre.depth.v3.api.pb@100ms@{native}"]}}'
                )
                await client.ws.send(raw)
            await asyncio.sleep(0.05)
            await client.pump_until(lambda: not any(server.symbols[0] == s.symbol and s.kind == "book" for s in next(iter(server.sessions.values())).streams), timeout=2)
            before = client.books.stats.applied
            untouched = client.book(server.symbols[0]).bid_levels()
            for _ in range(5):
                sims.advance(200)
            await settle(sims, client, lambda: client.matches(server.symbols[1]))
            # Assert: the other symbol moved on, this one got nothing
            assert client.books.stats.applied > before
            assert client.book(server.symbols[0]).bid_levels() == untouched
            await client.close()

    run(scenario())


def test_kraken_sends_heartbeats_when_quiet_and_coinbase_numbers_every_message():
    async def scenario():
        async with simulator(("kraken", "coinbase"), n_symbols=1, heartbeat_s=0.05) as sims:
            kraken = Client(sims["kraken"], sims["kraken"].symbols)
            coinbase = Client(sims["coinbase"], sims["coinbase"].symbols)
            await kraken.connect()
            await coinbase.connect()
            await kraken.pump_until(lambda: kraken.books.controls["heartbeat"] >= 2, timeout=3)
            seen = []
            original = coinbase.recv

            async def recv(timeout: float = 5.0):
                frame = await original(timeout)
                seen.append(json.loads(frame)["sequence_num"])
                return frame

            coinbase.recv = recv  # type: ignore[method-assign]
            sims.advance(300)
            await coinbase.pump_until(lambda: coinbase.books.controls["heartbeat"] >= 3 and coinbase.all_match(), timeout=3)
            assert seen == list(range(seen[0], seen[0] + len(seen)))
            assert coinbase.books.stats.gaps == 0
            await kraken.close()
            await coinbase.close()

    run(scenario())


def test_coinbase_numbered_frames_are_byte_identical_to_the_encoder():
    from arb.venues.coinbase import market_data as coinbase

    encoder = CoinbaseEncoder(coinbase.SPEC.symbol_map(["BTC/USD"]))
    encoder.sequence_num = 41
    expected = encoder.l2_data([encoder.update_event("BTC/USD", [("1.5", "2")], [], 1_700_000_000_123_456_789)], 1_700_000_000_123_456_789)
    event = encoder.update_event("BTC/USD", [("1.5", "2")], [], 1_700_000_000_123_456_789)
    framed = Numbered(*CoinbaseEncoder.numbered("l2_data", [event], 1_700_000_000_123_456_789, client_id=True))
    assert framed.text(41) == expected


def test_gate_obu_snapshot_duplicate_refusal_and_resubscribe():
    async def scenario():
        async with simulator(("gateio",), n_symbols=1) as sims:
            server = sims["gateio"]
            native = server.native(server.symbols[0])
            books = VenueBooks(server.spec, server.symbols)
            async with await _ws(server.ws_url) as ws:
                subscribe = gateio.obu_subscribe_frames([native], 400, _now_ms())[0]
                await ws.send(subscribe)
                full = await _until(ws, lambda m: m.get("result", {}) and m["result"].get("full"))
                books.on_frame(1, json.dumps(full), 0)
                assert books.book(server.symbols[0]).is_live
                await ws.send(subscribe)
                error = await _until(ws, lambda m: m.get("error"))
                assert "Alert sub" in error["error"]["message"]
                for frame in gateio.obu_unsubscribe_frames([native], 400, _now_ms()) + [subscribe]:
                    await ws.send(frame)
                await _until(ws, lambda m: m.get("result", {}) and m["result"].get("full"))
                sims.advance(300)
                update = await _until(ws, lambda m: m.get("channel") == "spot.obu" and "U" in (m.get("result") or {}))
                assert update["result"]["s"] == f"ob.{native}.400"

    run(scenario())


def test_binance_raw_streams_and_live_subscribe():
    async def scenario():
        async with simulator(("binance",), n_symbols=2) as sims:
            server = sims["binance"]
            natives = [server.native(s).lower() for s in server.symbols]
            async with await _ws(f"{server.ws_url}/ws/{natives[0]}@depth@100ms") as ws:
                await ws.send(json.dumps({"method": "SUBSCRIBE", "params": [f"{natives[1]}@depth@100ms"], "id": 3}))
                assert await _until(ws, lambda m: "result" in m) == {"result": None, "id": 3}
                sims.advance(500)
                decoder = server.spec.decoder(server.symbol_map, FixedParser())
                symbols = set()
                while len(symbols) < 2:
                    frame = await asyncio.wait_for(ws.recv(), 2)
                    assert '"stream"' not in frame
                    (event,) = decoder.decode(frame, 0)
                    assert isinstance(event, BookDelta)
                    symbols.add(event.symbol)

    run(scenario())


def test_connections_older_than_the_limit_are_closed_cleanly():
    async def scenario():
        async with simulator(("okx",), n_symbols=1, max_connection_age_s=0.2) as sims:
            async with await _ws(sims["okx"].ws_url) as ws:
                with pytest.raises(ConnectionClosedOK) as closed:
                    while True:
                        await asyncio.wait_for(ws.recv(), 2)
                assert closed.value.rcvd.code == 1001
            assert sims["okx"].stats["retired"] == 1

    run(scenario())


def test_mexc_pushes_are_binary_and_the_subscription_cap_holds():
    async def scenario():
        async with simulator(("mexc",), n_symbols=20) as sims:
            server = sims["mexc"]
            natives = [server.native(s) for s in server.symbols]
            channels = [f"spot@public.aggre.depth.v3.api.pb@100ms@{n}" for n in natives] + [
                f"spot@public.aggre.bookTicker.v3.api.pb@100ms@{n}" for n in natives
            ]
            async with await _ws(server.ws_url) as ws:
                await ws.send(json.dumps({"method": "SUBSCRIPTION", "params": channels}))
                accepted = await _recv_json(ws)
                refused = await _recv_json(ws)
                assert len(accepted["msg"].split(",")) == 30
                assert refused["msg"].startswith("Not Subscribed successfully!")
                sims.advance(300)
                frame = await asyncio.wait_for(ws.recv(), 2)
                assert isinstance(frame, bytes)
                events = server.spec.decoder(server.symbol_map, FixedParser()).decode(frame, 0)
                assert events and not isinstance(events[0], BookSnapshot)

    run(scenario())
