"""Backoff, circuit breaker and rate budget: pure policies on fake clocks."""

from __future__ import annotations

import asyncio
import random

import pytest

from arb.io.backoff import Backoff
from arb.io.breaker import BreakerState, CircuitBreaker
from arb.io.ratelimit import RateBudget
from tests.io.loopback import FakeClock


def test_backoff_doubles_from_1s_to_30s_with_jitter_in_the_upper_half():
    seed = 20240607
    print("seed", seed)
    backoff = Backoff(rng=random.Random(seed))
    assert [backoff.bounds(n) for n in range(7)] == [
        (1.0, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, 16.0), (15.0, 30.0), (15.0, 30.0),
    ]
    for n in range(40):
        low, high = backoff.bounds(n)
        draws = [backoff.delay(n) for _ in range(200)]
        assert all(low <= d <= high for d in draws)
        if high > low:  # jitter really spreads the delays
            assert max(draws) - min(draws) > (high - low) / 2
    assert backoff.bounds(10_000) == (15.0, 30.0)


def test_backoff_is_reproducible_from_its_seed():
    a, b = Backoff(rng=random.Random(7)), Backoff(rng=random.Random(7))
    assert [a.delay(n) for n in range(10)] == [b.delay(n) for n in range(10)]
    with pytest.raises(ValueError):
        Backoff(base_s=0)
    with pytest.raises(ValueError):
        Backoff(jitter=2)


def test_breaker_opens_after_ten_failures_waits_five_minutes_then_lets_one_probe_through():
    clock = FakeClock()
    breaker = CircuitBreaker(clock.monotonic)
    for _ in range(9):
        assert breaker.wait_s() == 0
        breaker.attempt()
        breaker.failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.attempt()
    breaker.failure()
    assert breaker.state is BreakerState.OPEN and breaker.opened == 1
    assert breaker.wait_s() == pytest.approx(300.0)
    clock.t += 299.0
    assert breaker.wait_s() == pytest.approx(1.0)
    clock.t += 1.0
    assert breaker.wait_s() == 0 and breaker.state is BreakerState.HALF_OPEN
    breaker.attempt()  # the probe
    assert breaker.wait_s() == breaker.probe_poll_s  # everyone else waits for it
    breaker.failure()  # probe failed: another 5 minutes
    assert breaker.state is BreakerState.OPEN and breaker.wait_s() == pytest.approx(300.0) and breaker.opened == 2
    clock.t += 300.0
    assert breaker.wait_s() == 0
    breaker.attempt()
    breaker.success()
    assert breaker.state is BreakerState.CLOSED and breaker.failures == 0 and breaker.wait_s() == 0


def test_breaker_success_resets_the_count():
    breaker = CircuitBreaker(FakeClock().monotonic, threshold=3)
    breaker.failure()
    breaker.failure()
    breaker.success()
    breaker.failure()
    breaker.failure()
    assert breaker.state is BreakerState.CLOSED


def test_rate_budget_spends_weight_and_waits_for_refill():
    async def main() -> None:
        clock = FakeClock()
        budget = RateBudget(100, 10.0, clock)  # 10 weight / s
        for _ in range(4):
            await budget.acquire(25)
        assert clock.sleeps == [] and budget.spent == 100
        await budget.acquire(50)  # empty: 5 s until 50 more
        assert clock.sleeps == [pytest.approx(5.0)]
        budget.pause(7.5)  # a 429 said "Retry-After: 7.5"
        await budget.acquire(1)
        assert clock.sleeps[1] == pytest.approx(7.5)
        assert budget.delay_s(10_000) <= 10.0  # a request above capacity still fits an empty bucket

    asyncio.run(main())


def test_rate_budget_serves_waiters_in_order():
    async def main() -> None:
        clock = FakeClock()
        budget = RateBudget(10, 1.0, clock)
        order: list[int] = []

        async def take(i: int) -> None:
            await budget.acquire(10)
            order.append(i)

        await asyncio.gather(*(take(i) for i in range(5)))
        assert order == [0, 1, 2, 3, 4] and budget.spent == 50

    asyncio.run(main())


def test_connection_attempts_go_one_per_spacing_and_a_late_one_never_bunches_the_next():
    from arb.io.ratelimit import ConnectGate

    async def scenario():
        clock = FakeClock(start=100.0)
        gate = ConnectGate(0.5, clock)
        times = []

        async def attempt():
            await gate.wait()
            times.append(clock.monotonic())

        await asyncio.gather(*(attempt() for _ in range(4)))
        assert times == [100.0, 100.5, 101.0, 101.5]
        clock.t += 0.2  # the next caller comes late: it waits only what is left
        await attempt()
        assert times[-1] == 102.0 and gate.attempts == 5
        clock.t += 3.0
        await attempt()
        assert times[-1] == 105.0  # long after the last one: at once

    asyncio.run(scenario())
