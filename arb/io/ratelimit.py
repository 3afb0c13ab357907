"""A venue's REST budget: a token bucket of request weight, plus Retry-After pauses; and its
connection rate (:class:`ConnectGate`).

The bucket holds up to ``weight`` units and refills at ``weight / window_s`` per second, so
over any window the spend stays within the venue's limit while a burst (a reconnect asking
for many snapshots) goes out as fast as the limit allows. A 429/418 answer pauses the whole
venue until its Retry-After has passed (:meth:`RateBudget.pause`). Callers queue in
arrival order.
"""

from __future__ import annotations

import asyncio

from arb.io.clock import Clock


class RateBudget:
    """Weight per window for one venue's REST calls, on an injected clock."""

    def __init__(self, weight: int, window_s: float, clock: Clock) -> None:
        if weight <= 0 or window_s <= 0:
            raise ValueError(f"rate budget must be positive, got {weight} per {window_s} s")
        self.capacity = float(weight)
        self.rate = weight / window_s
        self.clock = clock
        self.tokens = float(weight)
        self._updated = clock.monotonic()
        self._paused_until = 0.0
        self._lock: asyncio.Lock | None = None
        #: Total weight spent and seconds spent waiting (for health and tests).
        self.spent = 0
        self.waited_s = 0.0

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self._updated) * self.rate)
        self._updated = now

    def delay_s(self, weight: int) -> float:
        """Seconds until ``weight`` may be spent (0: now)."""
        now = self.clock.monotonic()
        self._refill(now)
        if now < self._paused_until:
            return self._paused_until - now
        need = min(float(weight), self.capacity)
        return 0.0 if self.tokens >= need else (need - self.tokens) / self.rate

    def pause(self, seconds: float) -> None:
        """The venue said "not before ``seconds`` from now": hold every request until then."""
        self._paused_until = max(self._paused_until, self.clock.monotonic() + max(0.0, seconds))

    async def acquire(self, weight: int) -> None:
        """Wait until ``weight`` fits the budget, then spend it (FIFO among callers)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while (wait := self.delay_s(weight)) > 0:
                self.waited_s += wait
                await self.clock.sleep(wait)
            self.tokens -= min(float(weight), self.capacity)
            self.spent += weight


class ConnectGate:
    """At most one connection attempt per ``spacing_s`` for one venue's connections, on an
    injected clock: each attempt waits until ``spacing_s`` after the previous one actually
    went (a loop that wakes late delays the next attempt, never bunches two together).
    Callers queue in arrival order."""

    def __init__(self, spacing_s: float, clock: Clock) -> None:
        if spacing_s <= 0:
            raise ValueError(f"connection spacing must be positive, got {spacing_s}")
        self.spacing_s = spacing_s
        self.clock = clock
        self._last = -float("inf")
        self._lock: asyncio.Lock | None = None
        #: Attempts let through, and seconds they waited in all.
        self.attempts = 0
        self.waited_s = 0.0

    async def wait(self) -> None:
        """Until this attempt may go (call right before connecting)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            delay = self._last + self.spacing_s - self.clock.monotonic()
            if delay > 0:
                self.waited_s += delay
                await self.clock.sleep(delay)
            self._last = self.clock.monotonic()
            self.attempts += 1
