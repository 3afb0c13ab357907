"""Connection supervision on a fake clock: backoff between attempts, circuit breaker, fatal failures."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest

from arb.io.backoff import Backoff
from arb.io.breaker import CircuitBreaker
from arb.io.connection import Connection, ConnState
from arb.io.rest import RestClient
from arb.venues import binance
from tests.io.loopback import FakeClock, LoopbackVenue, until


class Recorder:
    """A connection's ``report`` that only remembers what happened."""

    def __init__(self) -> None:
        self.events: list = []

    def __call__(self, event) -> None:
        self.events.append(event)


def connection(clock: FakeClock, ws_url: str, seed: int) -> tuple[Connection, Backoff, CircuitBreaker]:
    rng = random.Random(seed)
    backoff = Backoff(rng=rng)
    breaker = CircuitBreaker(clock.monotonic)
    rest = RestClient("binance", clock, backoff)
    link = Connection(
        binance.SPEC, ["BTCUSDT"], Recorder(), index=0, ws_url=ws_url, rest_url="http://127.0.0.1:1", depth=None,
        rest=rest, breaker=breaker, backoff=backoff, clock=clock, rng=rng, session_ids=itertools.count(1).__next__,
    )
    return link, backoff, breaker


def test_reconnect_delays_follow_the_backoff_then_the_breaker_opens_and_probes_every_5_minutes():
    seed = 424242
    print("seed", seed)

    async def main() -> None:
        venue = await LoopbackVenue(binance.SPEC, ["BTC/USDT"]).start()
        clock = FakeClock()
        venue.handshake_clock = clock.monotonic
        venue.refuse_next = 10**6  # every handshake answered 503
        link, backoff, breaker = connection(clock, venue.ws_url, seed)
        task = asyncio.ensure_future(link.run())
        try:
            # the breaker opens after failure 10, and again after each failed probe (11, 12)
            await until(lambda: breaker.opened >= 3, what="12 failed attempts")
        finally:
            await link.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await venue.stop()

        expected = Backoff(rng=random.Random(seed))
        delays = clock.sleeps[:9]
        assert delays == [expected.delay(n) for n in range(9)]  # reproducible from the seed
        assert all(expected.bounds(n)[0] <= d <= expected.bounds(n)[1] for n, d in enumerate(delays))
        assert clock.sleeps[9:11] == [pytest.approx(300.0), pytest.approx(300.0)]
        t = venue.handshake_times
        gaps = [b - a for a, b in zip(t, t[1:])]
        assert gaps[:9] == pytest.approx(delays)  # attempts 2..10 after each delay
        assert gaps[9:11] == [pytest.approx(300.0), pytest.approx(300.0)]  # one probe per 5 minutes
        assert link.failures >= 12 and "HTTP 503" in link.last_error

    asyncio.run(asyncio.wait_for(main(), 20))


def test_a_bad_url_is_fatal_and_stops_retrying():
    async def main() -> None:
        clock = FakeClock()
        link, _, breaker = connection(clock, "not-a-websocket-url", 1)
        await asyncio.wait_for(link.run(), 5)
        assert link.state is ConnState.FAILED and clock.sleeps == [] and "bad URL" in link.last_error

    asyncio.run(main())


def test_a_refused_port_is_retried():
    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        clock = FakeClock()
        link, _, breaker = connection(clock, f"ws://127.0.0.1:{port}", 2)
        task = asyncio.ensure_future(link.run())
        try:
            await until(lambda: breaker.failures >= 3, what="three failures")
        finally:
            await link.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert "cannot connect" in link.last_error or "ConnectionRefused" in link.last_error

    asyncio.run(asyncio.wait_for(main(), 10))
