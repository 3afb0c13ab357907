"""Risk limits, trading states and decisions: plain values."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

import msgspec

from arb.core.errors import ConfigError
from arb.core.numbers import ONE


class TradingState(StrEnum):
    """``ACTIVE``: trade. ``REDUCING``: only orders that shrink an exposure. ``HALTED``: nothing."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class RiskDecision(msgspec.Struct, frozen=True, gc=False):
    """Approved or not, with a short machine ``code`` (for counters) and a human ``reason``."""

    approved: bool
    code: str
    reason: str


APPROVED = RiskDecision(True, "ok", "ok")


class RiskLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Pre-trade limits: exact values, every one given (built from config by
    :func:`arb.runtime.settings.risk_limits`, where the defaults live). Amounts are fixed
    ints (:mod:`arb.core.numbers`).

    - ``max_notional_quote``: cap on an opportunity's larger leg (``None``: no cap).
    - ``max_position``: asset → cap on the absolute net exposure of that asset across all
      venues (the change since the start, e.g. left by one-legged fills), in the asset's
      own units; ``default_max_position`` applies to assets not listed (``None``: no cap).
      A trade is checked as if only one of its legs filled, with every open order filling
      in the worst direction too, so the cap holds whatever happens to the legs.
    - ``max_open_legs``: orders in flight, including the two a new trade would add.
    - ``max_data_age_ns``: the older view behind an opportunity may be at most this old.
    - ``error_rate_limit``: fixed fraction (``0.01`` → ``10**16``). The circuit breaker
      halts trading when more than ``error_rate_limit × error_window_orders`` of the last
      ``error_window_orders`` orders failed (a count-based window: with 200 and 1 %, the
      third failure among the last 200 orders halts).
    - ``max_daily_notional_quote``: cap on the notional placed per UTC day (``None``: none).
    - ``inventory_floor``: ``(venue, asset)`` → the least arb keeps there: a trade whose buy
      would spend the quote, or whose sell the base, below it is refused (that direction pauses
      until inventory is moved back).

    Construction refuses limits that cannot work (a guard against programming errors: the
    config schema refuses them first, naming the config key).
    """

    max_notional_quote: int | None
    max_position: dict[str, int]
    default_max_position: int | None
    max_open_legs: int
    max_data_age_ns: int
    error_rate_limit: int
    error_window_orders: int
    max_daily_notional_quote: int | None = None
    inventory_floor: dict[tuple[str, str], int] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_notional_quote is not None and self.max_notional_quote <= 0:
            raise ConfigError(f"max_notional_quote: must be > 0, got {self.max_notional_quote}")
        for asset, cap in self.max_position.items():
            if cap < 0:
                raise ConfigError(f"max_position.{asset}: must be ≥ 0, got {cap}")
        if self.default_max_position is not None and self.default_max_position < 0:
            raise ConfigError(f"default_max_position: must be ≥ 0, got {self.default_max_position}")
        if self.max_open_legs < 2:
            raise ConfigError(f"max_open_legs: must be ≥ 2 (a trade has two legs), got {self.max_open_legs}")
        if self.max_data_age_ns <= 0:
            raise ConfigError(f"max_data_age_ns: must be > 0, got {self.max_data_age_ns}")
        if not 0 <= self.error_rate_limit <= ONE:
            raise ConfigError(f"error_rate_limit: must be in [0, 1] (fixed), got {self.error_rate_limit}")
        if self.error_window_orders <= 0:
            raise ConfigError(f"error_window_orders: must be > 0, got {self.error_window_orders}")

    def position_cap(self, asset: str) -> int | None:
        """The exposure cap for ``asset`` (None: none)."""
        return self.max_position.get(asset, self.default_max_position)


class PortfolioView(Protocol):
    """What risk reads from the portfolio (fresh, never cached): see :class:`arb.exec.Portfolio`."""

    def available(self, venue: str, asset: str) -> int:
        """Free balance (not locked by open orders)."""
        ...

    def exposure(self, asset: str) -> int:
        """Net change of the asset across venues since the start."""
        ...

    def pending(self, asset: str) -> tuple[int, int]:
        """``(open sells, open buys)`` base quantities still in flight."""
        ...
