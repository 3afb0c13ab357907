"""Subscription limits as the venues document them (``../shared/venues/<venue>/NOTES.md``), answered
in each venue's own words — and arb's feeds, planning connections by the venues' caps, staying
inside them with a few hundred symbols on every venue."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from arb.io.feed import FeedOptions, VenueFeed
from arb.io.options import ConnectionOptions
from arb.sim import presets
from arb.sim.presets import synthetic
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from arb.sim.server.protocol import Limits
from arb.sim.server.registry import get as get_protocol
from arb.venues.registry import get as get_spec

from tests.sim.server.conftest import simulator


async def _recv_json(ws, timeout: float = 5.0):
    while True:
        frame = await asyncio.wait_for(ws.recv(), timeout)
        if isinstance(frame, str) and frame.startswith("{"):
            return json.loads(frame)


def test_the_documented_limits_are_the_venues_own():
    limits = {name: get_protocol(name).limits for name in presets.VENUES}
    assert limits["binance"].streams == 1024 and limits["binance"].messages == (5, 1.0)
    assert limits["binance"].connections == (300, 300.0) and limits["binance"].excess == "close"
    assert limits["okx"].connections == (3, 1.0) and limits["okx"].messages == (480, 3600.0) and not limits["okx"].count_pings
    assert limits["kucoin"].streams == 100 and limits["kucoin"].messages == (100, 10.0)
    assert limits["mexc"].messages == (100, 1.0)
    assert limits["coinbase"].messages == (8, 1.0) and limits["coinbase"].messages_per_ip
    assert limits["kraken"] == Limits() and limits["gateio"] == Limits()  # nothing documented


def test_kucoin_refuses_subscriptions_past_100_per_session_with_its_509():
    async def scenario():
        async with simulator(("kucoin",), n_symbols=2) as sims:
            server = sims["kucoin"]
            server.limits = Limits(streams=3, messages=(100, 10.0), error=get_protocol("kucoin").limits.error)  # 3 instead of 100
            spec = get_spec("kucoin")
            import aiohttp

            async with aiohttp.ClientSession() as http:
                request = spec.connect_request(server.rest_url)
                async with http.request(request.method, request.url) as response:
                    url, _, _ = spec.connect_url_from_response(await response.text(), "t")
            async with websockets.connect(url) as ws:
                assert (await _recv_json(ws))["type"] == "welcome"
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "topic": "/market/level2:BTC-USDT,ETH-USDT"}))
                assert (await _recv_json(ws)) == {"id": "1", "type": "ack"}
                await ws.send(json.dumps({"id": "2", "type": "subscribe", "topic": "/market/ticker:BTC-USDT,ETH-USDT"}))
                error = await _recv_json(ws)
                assert error == {"id": "2", "type": "error", "code": 509, "data": "too many streams: at most 3 per connection"}
            assert server.stats["limit-streams"] == 1

    asyncio.run(scenario())


def test_binance_cuts_a_connection_sending_more_than_5_messages_a_second():
    async def scenario():
        async with simulator(("binance",), n_symbols=1) as sims:
            server = sims["binance"]
            async with websockets.connect(server.ws_url + "/stream?streams=btcusdt@depth@100ms") as ws:
                for i in range(6):
                    await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
                replies = []
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        replies.append(await asyncio.wait_for(ws.recv(), 5))
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
                assert len(replies) == 5
            assert server.stats["limit-messages"] == 1

    asyncio.run(scenario())


def test_okx_answers_60014_past_its_request_rate_but_does_not_count_pings():
    async def scenario():
        async with simulator(("okx",), n_symbols=1) as sims:
            server = sims["okx"]
            server.limits = Limits(messages=(2, 3600.0), count_pings=False, error=get_protocol("okx").limits.error)
            async with websockets.connect(server.ws_url) as ws:
                for _ in range(5):
                    await ws.send("ping")
                    assert await asyncio.wait_for(ws.recv(), 5) == "pong"
                request = {"op": "subscribe", "args": [{"channel": "tickers", "instId": "BTC-USDT"}]}
                for _ in range(2):
                    await ws.send(json.dumps(request))
                    assert (await _recv_json(ws))["event"] == "subscribe"
                await ws.send(json.dumps(request))
                error = await _recv_json(ws)
                assert error["event"] == "error" and error["code"] == "60014" and error["connId"] == "00000001"
                assert error["msg"] == "too many requests: at most 2 messages per 3600 s"

    asyncio.run(scenario())


def test_okx_refuses_a_fourth_connection_within_a_second_with_http_429():
    async def scenario():
        async with simulator(("okx",), n_symbols=1) as sims:
            server = sims["okx"]
            statuses = []
            start = time.monotonic()
            for _ in range(4):
                try:
                    async with websockets.connect(server.ws_url):
                        statuses.append(101)
                except InvalidStatus as exc:
                    statuses.append(exc.response.status_code)
            if time.monotonic() - start < 0.9:  # all four in one window (a slow machine may straddle two)
                assert statuses.count(429) >= 1
            assert server.stats["limit-connections"] == statuses.count(429)

    asyncio.run(scenario())


def test_limits_can_be_switched_off():
    async def scenario():
        async with simulator(("okx",), n_symbols=1, enforce_limits=False) as sims:
            assert sims["okx"].limits is None
            for _ in range(5):
                async with websockets.connect(sims["okx"].ws_url):
                    pass
            assert sims["okx"].stats["limit-connections"] == 0

    asyncio.run(scenario())


@pytest.mark.slow
def test_arb_feeds_bring_300_symbols_live_on_every_venue_within_its_limits():
    """Every venue lists 300 symbols; arb's feeds split them over connections by each venue's
    cap (Binance 3, OKX 12, KuCoin 6, MEXC 20 …), open OKX's at most 3 a second, and every
    book that trades goes live (a halted one stays silent, so stale) with no limit error."""
    market = synthetic(300, full_overlap=True, seed=0)

    async def scenario():
        config = SimConfig(market=market, seed=1, speed=1.0, options=ServerOptions(ping_interval_s=None))
        async with SimulatedVenues(config) as sims:
            feeds = {}
            for venue in market.venue_names:
                server = sims[venue]
                # Binance and MEXC: 100-level snapshots (weight 5 and 1): 300 of them fit the budget in ~20 s.
                depth = 100 if venue in ("binance", "mexc") else None
                options = FeedOptions(ws_url=server.ws_url, rest_url=server.rest_url, depth=depth,
                                      connection=ConnectionOptions(compression=None))
                feeds[venue] = VenueFeed(get_spec(venue), server.symbols, options=options)
            tasks = [asyncio.ensure_future(f.run()) for f in feeds.values()]
            trading = {v.name: set(market.listed(v.name)) - set(v.halted) for v in market.venues}
            try:
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline:
                    await asyncio.sleep(1.0)
                    if all(trading[v] <= set(f.live_symbols()) for v, f in feeds.items()):
                        break
                for venue, feed in feeds.items():
                    assert trading[venue] <= set(feed.live_symbols()), venue
                    assert len(trading[venue]) >= 290
                    stats = sims[venue].stats
                    assert not {k: n for k, n in stats.items() if k.startswith("limit-")}, venue
                    assert stats["refused"] == 0 and stats["handler-errors"] == 0, venue
                    assert feed.health().last_error == "", venue
                sizes = {v: len(f.connection_sizes()) for v, f in feeds.items()}
                assert sizes == {"binance": 3, "okx": 12, "coinbase": 1, "kraken": 1, "kucoin": 6, "gateio": 1, "mexc": 20}
            finally:
                for feed in feeds.values():
                    await feed.close()
                for task in tasks:
                    task.cancel()

    asyncio.run(scenario())
