"""Config → domain values: the one place that turns a validated :class:`~arb.config.ArbConf`
into what the decision path and the feeds take.

The schema holds what the user wrote (floats, ints) with every default and range check;
here each number becomes exact — the decimal the user wrote (``0.1`` → ``Decimal("0.1")``,
never the binary float), then a fixed-point int (:mod:`arb.core.numbers`) or int
nanoseconds. A value that cannot be held exactly (more than 18 decimal places, a duration
finer than 1 ns) is a :class:`~arb.core.errors.ConfigError` naming its key, never rounded.
Domain objects (:class:`~arb.scan.ScanConfig`, :class:`~arb.risk.RiskLimits`) have no
defaults of their own: every field comes from here. :func:`check` builds everything once,
so a conversion error fails at start.

Only the venues of :meth:`ArbConf.active_venues` get fees, latencies, balances and feeds.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from arb.config import ArbConf
from arb.core.errors import ConfigError
from arb.core.numbers import from_decimal
from arb.decision.trader import TraderConfig
from arb.exec.orders import OneLegged
from arb.io.connection import ConnectionOptions
from arb.io.feed import FeedOptions
from arb.risk.limits import RiskLimits
from arb.scan.costs import fee_rate
from arb.scan.opportunity import ScanConfig
from arb.venues.base import Credentials
from arb.venues.registry import get as venue_spec

_NS_PER_S = 1_000_000_000
_NS_PER_MS = 1_000_000


def exact(value: float | int | str | Decimal) -> Decimal:
    """The decimal the user wrote (``0.1`` → ``Decimal("0.1")``, not the binary float)."""
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def fixed(key: str, value: float | int | str | Decimal) -> int:
    """A config number as a fixed-point int, exactly; :class:`ConfigError` naming ``key``
    when it has more than 18 decimal places or is not a number."""
    try:
        return from_decimal(exact(value))
    except (ValueError, ArithmeticError) as exc:
        raise ConfigError(f"{key}: {exc}") from None


def duration_ns(key: str, value: float | int, unit_ns: int = _NS_PER_S) -> int:
    """``value`` seconds (or ``unit_ns`` units) as int nanoseconds; :class:`ConfigError`
    naming ``key`` when that is not a whole number of nanoseconds."""
    ns = exact(value) * unit_ns
    if ns != ns.to_integral_value():
        raise ConfigError(f"{key}: {value} is not a whole number of nanoseconds")
    return int(ns)


def max_age_ns(conf: ArbConf) -> int:
    """``strategy.max_age_s``: the one freshness rule (feeds, scanner and risk)."""
    return duration_ns("strategy.max_age_s", conf.strategy.max_age_s)


def taker_fees(conf: ArbConf) -> dict[str, Decimal]:
    """Taker fee rate per active venue: ``venues.<name>.taker_fee`` or the venue default."""
    fees = {}
    for name in conf.active_venues():
        override = conf.venue(name).taker_fee
        fees[name] = exact(override) if override is not None else venue_spec(name).fees.taker
    return fees


def taker_fee_rates(conf: ArbConf) -> dict[str, int]:
    """:func:`taker_fees` as fixed ints (``0.001`` → ``10**15``)."""
    return {name: fee_rate(rate, f"venues.{name}.taker_fee") for name, rate in sorted(taker_fees(conf).items())}


def latencies_ns(conf: ArbConf) -> dict[str, int]:
    """Decision → order-at-venue latency per active venue (``venues.<name>.latency_ms`` or
    ``executor.latency_ms``)."""
    out = {}
    for name in conf.active_venues():
        ms = conf.venue(name).latency_ms
        key = f"venues.{name}.latency_ms" if ms is not None else "executor.latency_ms"
        out[name] = duration_ns(key, ms if ms is not None else conf.executor.latency_ms, _NS_PER_MS)
    return out


def starting_balances(conf: ArbConf) -> dict[tuple[str, str], int]:
    """``executor.balances`` on every active venue."""
    return {
        (venue, asset): fixed(f"executor.balances.{asset}", amount)
        for venue in conf.active_venues()
        for asset, amount in sorted(conf.executor.balances.items())
    }


def base_value_quote(conf: ArbConf) -> int:
    """``executor.base_value_quote`` as a fixed int."""
    return fixed("executor.base_value_quote", conf.executor.base_value_quote)


def scan_config(conf: ArbConf) -> ScanConfig:
    """What the scanner obeys: ``strategy.*``, fees of the active venues, the freshness rule."""
    strategy = conf.strategy
    return ScanConfig(
        taker_fee_rates=taker_fee_rates(conf),
        min_profit_quote=fixed("strategy.min_profit_quote", strategy.min_profit_quote),
        max_notional_quote=fixed("strategy.max_notional_quote", strategy.max_notional_quote),
        max_age_ns=max_age_ns(conf),
        depth=strategy.depth_levels,
    )


def risk_limits(conf: ArbConf) -> RiskLimits:
    """Pre-trade limits: ``risk.*`` and the freshness rule (``strategy.max_age_s``)."""
    risk = conf.risk
    return RiskLimits(
        max_notional_quote=fixed("risk.max_notional_quote", risk.max_notional_quote),
        max_position={asset: fixed(f"risk.max_position.{asset}", cap) for asset, cap in sorted(risk.max_position.items())},
        default_max_position=None,
        max_open_legs=risk.max_open_legs,
        max_data_age_ns=max_age_ns(conf),
        error_rate_limit=fixed("risk.error_rate_limit", risk.error_rate_limit),
        error_window_orders=risk.error_window,
        max_daily_notional_quote=(None if risk.max_daily_notional_quote is None
                                  else fixed("risk.max_daily_notional_quote", risk.max_daily_notional_quote)),
        inventory_floor={(venue, asset): fixed(f"risk.inventory_floor.{venue}.{asset}", amount)
                         for venue, floors in sorted(risk.inventory_floor.items()) for asset, amount in sorted(floors.items())},
    )


def trader_config(conf: ArbConf) -> TraderConfig:
    """The trader: fees, assumed latencies, the one-legged policy, paper inventory (``executor.*``)."""
    executor = conf.executor
    return TraderConfig(
        taker_fee_rates=taker_fee_rates(conf),
        latency_ns=latencies_ns(conf),
        default_latency_ns=duration_ns("executor.latency_ms", executor.latency_ms, _NS_PER_MS),
        one_legged=OneLegged(executor.one_legged_policy),
        market_slippage_bps=executor.market_slippage_bps,
        # Live, the venues' accounts hold the inventory (the simulators fund theirs with it).
        base_value_quote=0 if executor.mode == "live" else base_value_quote(conf),
        fresh_balances=executor.mode == "live",
    )


def feed_options(conf: ArbConf, venue: str, urls: Mapping[str, str] | None = None) -> FeedOptions:
    """A venue's feed settings: ``live.feed`` policy, the freshness rule
    (``strategy.max_age_s``), the venue's URL/depth overrides, and (when given) the
    simulator's URLs, which win."""
    feed, venue_conf = conf.live.feed, conf.venue(venue)
    urls = urls or {}
    return FeedOptions(
        ws_url=urls.get("ws_url") or venue_conf.ws_url,
        rest_url=urls.get("rest_url") or venue_conf.rest_url,
        depth=venue_conf.depth,
        stale_after_s=conf.strategy.max_age_s,
        backoff_base_s=feed.backoff_base_s,
        backoff_cap_s=feed.backoff_cap_s,
        breaker_threshold=feed.breaker_threshold,
        breaker_cooldown_s=feed.breaker_cooldown_s,
        connection=ConnectionOptions(idle_timeout_s=feed.idle_timeout_s, compression="deflate" if feed.compression else None),
    )


def credentials(conf: ArbConf, venue: str) -> Credentials | None:
    """The venue's API credentials from config (environment only), or None."""
    v = conf.venue(venue)
    if not v.api_key:
        return None
    return Credentials(v.api_key, v.api_secret or "", v.api_passphrase or "")


def check(conf: ArbConf) -> None:
    """Build every domain value once, so a value that cannot be held exactly fails at start
    (a :class:`ConfigError` naming its key) instead of deep inside a run."""
    scan_config(conf)
    risk_limits(conf)
    trader_config(conf)
    starting_balances(conf)
    base_value_quote(conf)
    for venue in conf.active_venues():
        feed_options(conf, venue)


def inventory_targets(conf: ArbConf) -> dict[str, dict[str, int]]:
    """``risk.inventory_target``: asset → venue → share (fixed ints)."""
    return {asset: {venue: fixed(f"risk.inventory_target.{asset}.{venue}", share) for venue, share in sorted(shares.items())}
            for asset, shares in sorted(conf.risk.inventory_target.items())}


def withdrawal_fees(conf: ArbConf) -> dict[tuple[str, str], int]:
    """``venues.<venue>.withdrawal_fee``: (venue, asset) → fee (fixed ints)."""
    return {(venue, asset): fixed(f"venues.{venue}.withdrawal_fee.{asset}", fee)
            for venue in conf.active_venues() for asset, fee in sorted(conf.venue(venue).withdrawal_fee.items())}
