"""What the scanner decides: an :class:`Opportunity` and the :class:`ScanConfig` it obeys."""

from __future__ import annotations

from typing import Protocol

import msgspec

from arb.core.errors import ConfigError
from arb.core.numbers import ONE, to_plain
from arb.core.symbols import split
from arb.scan.costs import reserve_quote


class Balances(Protocol):
    """Anything that says how much of an asset is free to trade on a venue (fixed int)."""

    def available(self, venue: str, asset: str) -> int: ...


class ScanConfig(msgspec.Struct, frozen=True, kw_only=True):
    """What the scanner needs besides the books: exact values, every one given (built from
    config by :func:`arb.runtime.settings.scan_config`, where the defaults live).

    - ``taker_fee_rates``: venue → taker fee rate as a fixed int (``0.001`` → ``10**15``); a
      venue without a rate is never traded (it would be a guess).
    - ``min_profit_quote``: an opportunity must net at least this (fixed) after both fees.
    - ``max_notional_quote``: cap (fixed) on either leg's quote amount (``None``: no cap).
    - ``max_age_ns``: views whose ``ts_recv_ns`` is older than this are skipped.
    - ``depth``: levels per side walked (top-K).

    Construction refuses values no scanner can work with (a guard against programming
    errors: the config schema refuses them first, naming the config key).
    """

    taker_fee_rates: dict[str, int]
    min_profit_quote: int
    max_notional_quote: int | None
    max_age_ns: int
    depth: int

    def __post_init__(self) -> None:
        for venue, rate in self.taker_fee_rates.items():
            if not 0 <= rate < ONE:
                raise ConfigError(f"taker_fee_rates.{venue}: must be in [0, 1) (fixed), got {rate}")
        if self.min_profit_quote < 0:
            raise ConfigError(f"min_profit_quote: must be ≥ 0, got {to_plain(self.min_profit_quote)}")
        if self.max_notional_quote is not None and self.max_notional_quote <= 0:
            raise ConfigError(f"max_notional_quote: must be > 0, got {to_plain(self.max_notional_quote)}")
        if self.max_age_ns <= 0:
            raise ConfigError(f"max_age_ns: must be > 0, got {self.max_age_ns}")
        if self.depth <= 0:
            raise ConfigError(f"depth: must be > 0, got {self.depth}")


class Opportunity(msgspec.Struct, frozen=True, kw_only=True):
    """Buy ``qty`` base on ``buy_venue``'s asks, sell it into ``sell_venue``'s bids.

    ``buy_limit``/``sell_limit``: worst price touched on each side (the limit prices that
    fill it all when the books have not moved). ``buy_quote`` is the quote paid (rounded
    up), ``sell_quote`` the quote received (rounded down), fees are in quote on both legs
    (:mod:`arb.scan.costs`); ``gross_profit = sell_quote − buy_quote``, ``net_profit =
    gross_profit − buy_fee − sell_fee``. All money values are fixed ints; fee rates too.
    ``id`` is deterministic: decision time, symbol, pair and both views' receive times.
    """

    id: str
    symbol: str
    buy_venue: str
    sell_venue: str
    qty: int
    buy_limit: int
    sell_limit: int
    buy_quote: int
    sell_quote: int
    buy_fee: int
    sell_fee: int
    gross_profit: int
    net_profit: int
    buy_fee_rate: int
    sell_fee_rate: int
    buy_ts_event_ns: int
    buy_ts_recv_ns: int
    sell_ts_event_ns: int
    sell_ts_recv_ns: int
    ts_decision_ns: int

    @property
    def base(self) -> str:
        return split(self.symbol)[0]

    @property
    def quote(self) -> str:
        return split(self.symbol)[1]

    @property
    def notional_quote(self) -> int:
        """The larger leg's quote amount: what ``max_notional_quote`` limits."""
        return max(self.buy_quote, self.sell_quote)

    @property
    def buy_reserve_quote(self) -> int:
        """Quote the buy order locks on ``buy_venue`` (limit × qty plus its fee)."""
        return reserve_quote(self.buy_limit, self.qty, self.buy_fee_rate)

    @property
    def data_ts_recv_ns(self) -> int:
        """Receive time of the older of the two views (what a stale-data guard checks)."""
        return min(self.buy_ts_recv_ns, self.sell_ts_recv_ns)


def opportunity_id(ts_decision_ns: int, symbol: str, buy_venue: str, sell_venue: str, buy_recv_ns: int, sell_recv_ns: int) -> str:
    """``"<ts>:<symbol>:<buy>><sell>:<buy recv>:<sell recv>"`` — unique per decision, readable."""
    return f"{ts_decision_ns}:{symbol}:{buy_venue}>{sell_venue}:{buy_recv_ns}:{sell_recv_ns}"
