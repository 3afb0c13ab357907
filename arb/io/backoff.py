"""Reconnect delays: exponential backoff with jitter, from 1 s to 30 s.

Retry ``n`` (``n ≥ 1``) waits :meth:`Backoff.delay` ``(n - 1)``: the ceiling doubles from
``base_s`` up to ``cap_s``, and the delay is drawn uniformly from the upper half of it
(never below ``base_s``):

====  ========  ===============
n     ceiling   delay (s)
====  ========  ===============
1     1         1
2     2         1 – 2
3     4         2 – 4
4     8         4 – 8
5     16        8 – 16
≥ 6   30        15 – 30
====  ========  ===============

Half the ceiling is random so that many connections dropped at once (a venue restart) do
not come back in lock-step; half is kept so the delay still grows. The randomness comes from
an injected, seeded :class:`random.Random`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delay policy; ``rng`` is the only source of jitter (seed it in tests)."""

    base_s: float = 1.0
    cap_s: float = 30.0
    #: Fraction of the ceiling that is random (0: no jitter, 1: anywhere below the ceiling).
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if not 0 < self.base_s <= self.cap_s:
            raise ValueError(f"backoff needs 0 < base_s <= cap_s, got {self.base_s}, {self.cap_s}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"backoff jitter is a fraction, got {self.jitter}")

    def ceiling(self, attempt: int) -> float:
        """The largest delay of the ``attempt``-th retry (0-based)."""
        return min(self.cap_s, self.base_s * 2.0 ** min(attempt, 64))

    def bounds(self, attempt: int) -> tuple[float, float]:
        """``(lowest, highest)`` delay of the ``attempt``-th retry (0-based)."""
        top = self.ceiling(attempt)
        return max(self.base_s, top * (1 - self.jitter)), top

    def delay(self, attempt: int) -> float:
        """A jittered delay (seconds) for the ``attempt``-th retry (0-based)."""
        low, high = self.bounds(attempt)
        return low + (high - low) * self.rng.random()
