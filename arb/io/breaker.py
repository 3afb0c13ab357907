"""A per-venue circuit breaker: stop hammering a venue that keeps failing, then probe.

::

    CLOSED ──10 consecutive failures──► OPEN ──5 min──► HALF_OPEN ──probe ok──► CLOSED
                                          ▲                 │
                                          └──probe failed───┘

While OPEN nobody connects; HALF_OPEN lets exactly one attempt (the probe) through and holds
the others until it is decided. Any success closes the breaker and resets the count. The
breaker is plain state on an injected monotonic clock: callers ask :meth:`wait_s` before an
attempt and report :meth:`success` / :meth:`failure` after it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """``threshold`` consecutive failures open the breaker for ``cooldown_s`` seconds."""

    def __init__(
        self,
        monotonic: Callable[[], float],
        threshold: int = 10,
        cooldown_s: float = 300.0,
        probe_poll_s: float = 1.0,
    ) -> None:
        if threshold < 1 or cooldown_s <= 0:
            raise ValueError("circuit breaker needs threshold >= 1 and cooldown_s > 0")
        self.monotonic = monotonic
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        #: How long attempts wait while another one probes.
        self.probe_poll_s = probe_poll_s
        self.state = BreakerState.CLOSED
        #: Consecutive failures since the last success.
        self.failures = 0
        #: How many times the breaker opened.
        self.opened = 0
        self._open_until = 0.0
        self._probing = False

    def wait_s(self) -> float:
        """Seconds to wait before the next attempt may start (0: go ahead, then call
        :meth:`attempt`)."""
        if self.state is BreakerState.OPEN:
            left = self._open_until - self.monotonic()
            if left > 0:
                return left
            self.state = BreakerState.HALF_OPEN
            self._probing = False
        if self.state is BreakerState.HALF_OPEN and self._probing:
            return self.probe_poll_s
        return 0.0

    def attempt(self) -> None:
        """An attempt starts now (in HALF_OPEN: it is the probe)."""
        if self.state is BreakerState.HALF_OPEN:
            self._probing = True

    def success(self) -> None:
        self.failures = 0
        self.state = BreakerState.CLOSED
        self._probing = False

    def failure(self) -> None:
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or (self.state is BreakerState.CLOSED and self.failures >= self.threshold):
            self.state = BreakerState.OPEN
            self._open_until = self.monotonic() + self.cooldown_s
            self._probing = False
            self.opened += 1
