"""REST client: Retry-After (seconds and HTTP dates), bounded retries, fatal statuses, no secrets in errors."""

from __future__ import annotations

import asyncio
import random
from email.utils import formatdate

import pytest

from arb.io.backoff import Backoff
from arb.io.errors import HttpError, RateLimited, RequestFailed
from arb.io.ratelimit import RateBudget
from arb.io.rest import RestClient, parse_retry_after
from arb.venues.binance import market_data as binance
from tests.io.loopback import FakeClock, LoopbackVenue

NOW = 1_700_000_000.0


def test_retry_after_reads_seconds_and_http_dates():
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(" 1.5 ", NOW) == 1.5
    assert parse_retry_after(formatdate(NOW + 30, usegmt=True), NOW) == pytest.approx(30.0)
    assert parse_retry_after(formatdate(NOW - 30, usegmt=True), NOW) == 0.0  # already past
    for bad in (None, "", "soon", "-5x", "nan", "inf", "Wed, 99 Foo 2015", "Wed, 21 Oct 2015 07:28:00"):
        assert parse_retry_after(bad, NOW) is None, bad
    assert parse_retry_after("-5", NOW) == 0.0


def client(clock: FakeClock, budget: RateBudget | None = None, retries: int = 3) -> RestClient:
    return RestClient("binance", clock, Backoff(rng=random.Random(3)), budget, timeout_s=2.0, retries=retries)


def run(test) -> None:
    async def main() -> None:
        venue = await LoopbackVenue(binance.SPEC, ["BTC/USDT"]).start()
        try:
            await asyncio.wait_for(test(venue), 10)
        finally:
            await venue.stop()

    asyncio.run(main())


def request(venue: LoopbackVenue):
    return binance.snapshot_request(venue.rest_url, "BTCUSDT", 100)


def test_429_with_retry_after_seconds_pauses_the_venue_that_long():
    async def test(venue: LoopbackVenue) -> None:
        clock = FakeClock()
        budget = RateBudget(1200, 60.0, clock)
        rest = client(clock, budget)
        venue.rest_faults.append((429, {"Retry-After": "2"}))
        try:
            response = await rest.fetch(request(venue))
        finally:
            await rest.close()
        assert response.status == 200 and '"lastUpdateId"' in response.body
        assert clock.sleeps == [pytest.approx(2.0)] and rest.rate_limited == 1
        assert len(venue.rest_requests) == 2

    run(test)


def test_429_with_an_http_date_and_418_are_honoured_without_a_budget_too():
    async def test(venue: LoopbackVenue) -> None:
        clock = FakeClock(start=NOW)
        rest = client(clock)
        venue.rest_faults.append((418, {"Retry-After": formatdate(NOW + 120, usegmt=True)}))
        venue.rest_faults.append((429, {"Retry-After": "3"}))
        try:
            await rest.fetch(request(venue))
        finally:
            await rest.close()
        assert clock.sleeps[0] == pytest.approx(120.0, abs=1.0) and clock.sleeps[1] == pytest.approx(3.0)

    run(test)


def test_server_errors_retry_with_backoff_and_give_up_after_the_bound():
    async def test(venue: LoopbackVenue) -> None:
        clock = FakeClock()
        rest = client(clock, retries=2)
        venue.rest_faults.extend([(503, {})] * 5)
        try:
            with pytest.raises(HttpError) as info:
                await rest.fetch(request(venue))
        finally:
            await rest.close()
        assert info.value.status == 503 and info.value.retryable
        assert len(venue.rest_requests) == 3  # one try + two retries
        backoff = Backoff()
        assert [backoff.bounds(n)[0] <= s <= backoff.bounds(n)[1] for n, s in enumerate(clock.sleeps)] == [True, True]
        assert "?" not in str(info.value) and "symbol=" not in str(info.value)

    run(test)


def test_client_errors_are_fatal_at_once():
    async def test(venue: LoopbackVenue) -> None:
        clock = FakeClock()
        rest = client(clock)
        venue.rest_faults.append((400, {}))
        try:
            with pytest.raises(HttpError) as info:
                await rest.fetch(request(venue))
        finally:
            await rest.close()
        assert not info.value.retryable and not isinstance(info.value, RateLimited)
        assert len(venue.rest_requests) == 1 and clock.sleeps == []

    run(test)


def test_no_answer_is_a_retryable_request_failure():
    async def main() -> None:
        clock = FakeClock()
        rest = client(clock, retries=1)
        accepted: list[asyncio.StreamWriter] = []
        server = await asyncio.start_server(lambda r, w: accepted.append(w), "127.0.0.1", 0)  # never answers
        port = server.sockets[0].getsockname()[1]
        rest.timeout_s = 0.2
        try:
            with pytest.raises(RequestFailed) as info:
                await rest.fetch(binance.snapshot_request(f"http://127.0.0.1:{port}", "BTCUSDT", 100))
        finally:
            await rest.close()
            for writer in accepted:
                writer.close()
            server.close()
            await server.wait_closed()
        assert info.value.retryable and rest.failures == 2

    asyncio.run(asyncio.wait_for(main(), 10))
