"""Time for the transport, injected: wall-clock stamps, monotonic timers and sleeping.

The asyncio shells of :mod:`arb.io` read time through a :class:`Clock`, so tests can run
backoff, circuit-breaker and rate-budget logic on a fake one; the sans-I/O
:class:`~arb.io.feed_state.FeedState` reads none — its shell passes both times in. Wall
time (``now_ns``) stamps frames (``ts_recv_ns``) and measures book freshness; monotonic
time (``monotonic``) drives timers (pings, idle detection, backoff, resyncs, rate budgets),
which must not jump with the wall clock.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """The three time sources the transport uses."""

    def now_ns(self) -> int:
        """Wall-clock time, integer ns since the Unix epoch (``ts_recv_ns`` of frames)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (timers and deadlines)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of :meth:`monotonic` time."""
        ...


class SystemClock:
    """The real clocks: ``time.time_ns``, ``time.monotonic`` and ``asyncio.sleep``."""

    __slots__ = ()

    def now_ns(self) -> int:
        return time.time_ns()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


SYSTEM_CLOCK = SystemClock()
