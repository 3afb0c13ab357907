"""Operator controls: the settings that are safe to change while trading, validated like the config.

An operator (the dashboard or its HTTP API) may change three things in a running engine —
the minimum net profit of an opportunity, the max notional of a trade and which venues
trade — and may kill, halt and resume trading. Everything else (fees, balances, limits on
positions, the universe) needs a restart.

A change is a new :class:`Settings` value, built by :func:`change` from what the operator
typed (decimal text, checked by the rules the config obeys, naming the config key), then
applied by the host to the decider(s) — :meth:`~arb.decision.decider.Decider.apply_settings`:
the scan's minimum profit, sizing cap and the venues it pairs — and to the trader —
:meth:`~arb.decision.trader.Trader.apply_settings`: the risk gate's notional limit, the
venues it accepts, and the journal (a :class:`~arb.exec.orders.Control` record, so
recovery restores it). Nothing here reads a clock or does I/O.

    settings = change(current, venues, min_profit_quote="2.5")      # ConfigError naming the key
    decider.apply_settings(settings)
    trader.apply_settings(settings, "operator: wider margin", now_ns)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec

from arb.core.errors import ConfigError
from arb.core.numbers import from_decimal, to_plain

#: A plain decimal as an operator types it (a sign only to be refused with a clear reason).
_DECIMAL = re.compile(r"-?\d{1,30}(\.\d{1,18})?")

#: The operator's actions on the trading state (see :meth:`~arb.decision.desk.Desk.control`).
ACTIONS = ("kill", "release", "halt", "resume")

#: The config keys a setting corresponds to (error messages and the page name them).
MIN_PROFIT_KEY = "strategy.min_profit_quote"
MAX_NOTIONAL_KEY = "strategy.max_notional_quote"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """The runtime settings an operator may change. Money is fixed ints (:mod:`arb.core.numbers`).

    - ``min_profit_quote``: an opportunity must net at least this after both taker fees.
    - ``max_notional_quote``: the scanner sizes trades up to it (either leg's quote amount)
      and the risk gate refuses anything above it (None: no cap; the config always sets one).
    - ``disabled_venues``: venues that take part in no new trade (sorted). Orders already
      in flight there finish, and a one-legged follow-up may still use the venue that
      filled (unwinding is reducing risk, not taking it).
    """

    min_profit_quote: int
    max_notional_quote: int | None
    disabled_venues: tuple[str, ...] = ()

    def enabled(self, venue: str) -> bool:
        return venue not in self.disabled_venues

    def to_plain(self) -> dict[str, object]:
        """As exact decimal strings (JSON, the page)."""
        return {
            "min_profit_quote": to_plain(self.min_profit_quote),
            "max_notional_quote": None if self.max_notional_quote is None else to_plain(self.max_notional_quote),
            "disabled_venues": list(self.disabled_venues),
        }


def parse_amount(key: str, value: object) -> int:
    """An amount as an operator gives it — decimal text (``"0.5"``), an int, or a JSON number
    read as the decimal it was written as (``0.1`` → ``0.1``) — as a fixed int. Raises
    :class:`ConfigError` naming ``key`` for anything else (exponents, signs other than a
    minus, more than 18 decimal places, booleans, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"{key} must be a decimal number (got {type(value).__name__})")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    if not _DECIMAL.fullmatch(text):
        raise ConfigError(f"{key} must be a plain decimal number like 0.5 (got {text[:40]!r})")
    return from_decimal(text)


def change(
    current: Settings,
    venues: Sequence[str],
    *,
    min_profit_quote: object = None,
    max_notional_quote: object = None,
    venue: str | None = None,
    enabled: object = None,
) -> Settings:
    """``current`` with the given changes (None: unchanged), validated as the config is.

    ``venues``: the universe's venues; ``venue`` + ``enabled`` turns one of them on or off.
    Raises :class:`ConfigError` naming the key: a negative minimum profit, a notional that
    is not positive, an unknown venue, fewer than two venues left enabled (arbitrage needs
    two; halt trading instead), or nothing to change.
    """
    if enabled is not None and venue is None:
        raise ConfigError("enabled needs a venue")
    if min_profit_quote is None and max_notional_quote is None and venue is None:
        raise ConfigError("nothing to change: give min_profit_quote, max_notional_quote or venue + enabled")
    min_profit = current.min_profit_quote
    if min_profit_quote is not None:
        min_profit = parse_amount(MIN_PROFIT_KEY, min_profit_quote)
        if min_profit < 0:
            raise ConfigError(f"{MIN_PROFIT_KEY} must not be negative (got {to_plain(min_profit)})")
    notional = current.max_notional_quote
    if max_notional_quote is not None:
        notional = parse_amount(MAX_NOTIONAL_KEY, max_notional_quote)
        if notional <= 0:
            raise ConfigError(f"{MAX_NOTIONAL_KEY} must be positive (got {to_plain(notional)})")
    disabled = set(current.disabled_venues)
    if venue is not None:
        if venue not in venues:
            raise ConfigError(f"venue {venue!r} is not in universe.venues ({', '.join(venues)})")
        if not isinstance(enabled, bool):
            raise ConfigError(f"venue {venue}: say enabled true or false")
        if enabled:
            disabled.discard(venue)
        else:
            disabled.add(venue)
        if len([v for v in venues if v not in disabled]) < 2:
            raise ConfigError(
                f"venue {venue}: at least two venues must stay enabled (arbitrage needs two); halt trading instead"
            )
    return Settings(min_profit_quote=min_profit, max_notional_quote=notional, disabled_venues=tuple(sorted(disabled)))


__all__ = ["ACTIONS", "MAX_NOTIONAL_KEY", "MIN_PROFIT_KEY", "Settings", "change", "parse_amount"]
