"""Build the decision core from a validated :class:`~arb.config.ArbConf`.

One place turns config floats into exact fixed-point settings (``exact``: the decimal the
user wrote), picks each venue's fee (config override, else the venue module's default) and
latency, so backtests, ``arb live`` and the Ray actors all decide with the same settings:

- :func:`build_decider` — what a Ray scanner shard hosts;
- :func:`build_desk` — what the Ray executor actor hosts (trader + paper venue);
- :func:`build` — both in one process (backtests, the local runtime).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from arb.book.view import Market
from arb.config import ArbConf, exact
from arb.core.instruments import Instruments
from arb.core.numbers import from_decimal
from arb.decision.core import DecisionCore
from arb.decision.decider import Decider
from arb.decision.desk import Desk
from arb.decision.trader import Trader, TraderConfig
from arb.exec.journal import Journal, MemoryJournal
from arb.exec.orders import OneLegged, TradeResult
from arb.exec.paper import PaperVenue
from arb.exec.portfolio import Portfolio, PriceFn
from arb.risk.engine import RiskEngine
from arb.risk.limits import RiskLimits
from arb.scan.costs import fee_rate
from arb.scan.opportunity import ScanConfig
from arb.scan.scanner import Scanner
from arb.venues.registry import get as venue_spec

_NS_PER_MS = 1_000_000
#: How far past the best price a one-legged follow-up may fill (a protected market order).
MARKET_SLIPPAGE_BPS = 100


def taker_fees(conf: ArbConf) -> dict[str, Decimal]:
    """Taker fee rate per universe venue: ``venues.<name>.taker_fee`` or the venue default."""
    fees = {}
    for name in conf.universe.venues:
        override = conf.venue(name).taker_fee
        fees[name] = exact(override) if override is not None else venue_spec(name).fees.taker
    return fees


def latencies_ns(conf: ArbConf) -> dict[str, int]:
    """Decision → order-at-venue latency per venue (``venues.<name>.latency_ms`` or the default)."""
    out = {}
    for name in conf.universe.venues:
        ms = conf.venue(name).latency_ms
        out[name] = round(exact(ms if ms is not None else conf.executor.latency_ms) * _NS_PER_MS)
    return out


def starting_balances(conf: ArbConf) -> dict[tuple[str, str], int]:
    """``executor.balances`` on every universe venue."""
    return {
        (venue, asset): from_decimal(exact(amount))
        for venue in conf.universe.venues
        for asset, amount in sorted(conf.executor.balances.items())
    }


def fee_rates(conf: ArbConf) -> dict[str, int]:
    """:func:`taker_fees` as fixed ints."""
    return {venue: fee_rate(rate, f"venues.{venue}.taker_fee") for venue, rate in sorted(taker_fees(conf).items())}


def build_decider(conf: ArbConf, instruments: Instruments | None = None) -> Decider:
    """The scanner over the universe's venues, in a :class:`Decider`."""
    strategy = conf.strategy
    scan_config = ScanConfig.from_decimals(
        taker_fee_rates=taker_fees(conf),
        min_profit_quote=exact(strategy.min_profit_quote),
        max_notional_quote=exact(strategy.max_notional_quote),
        max_age_ns=round(exact(strategy.max_age_s) * 1_000_000_000),
        depth=strategy.depth_levels,
    )
    return Decider(Scanner(scan_config, instruments), depth=strategy.depth_levels)


def build_risk(conf: ArbConf) -> RiskEngine:
    """The risk gate (``risk.kill_switch`` engages the kill switch at start)."""
    risk_conf = conf.risk
    limits = RiskLimits.from_decimals(
        max_notional_quote=exact(risk_conf.max_notional_quote),
        max_position={asset: exact(v) for asset, v in risk_conf.max_position.items()},
        max_open_legs=risk_conf.max_open_legs,
        max_data_age_ns=round(exact(conf.strategy.max_age_s) * 1_000_000_000),
        error_rate_limit=exact(risk_conf.error_rate_limit),
        error_window_orders=risk_conf.error_window,
    )
    risk = RiskEngine(limits)
    if risk_conf.kill_switch:
        risk.kill("kill switch set in config")
    return risk


def trader_config(conf: ArbConf) -> TraderConfig:
    return TraderConfig(
        taker_fee_rates=fee_rates(conf),
        latency_ns=latencies_ns(conf),
        default_latency_ns=round(exact(conf.executor.latency_ms) * _NS_PER_MS),
        one_legged=OneLegged(conf.executor.one_legged_policy),
        market_slippage_bps=MARKET_SLIPPAGE_BPS,
        base_value_quote=from_decimal(exact(conf.executor.base_value_quote)),
    )


def build_desk(
    conf: ArbConf, market: Market, price: PriceFn, instruments: Instruments | None = None, journal: Journal | None = None,
) -> Desk:
    """A trader over a fresh portfolio (no balances yet: :meth:`Trader.restore` a journal, then
    :meth:`Trader.fund` the starting balances), trading through a paper venue that fills
    against ``market``."""
    config = trader_config(conf)
    paper = PaperVenue(config.taker_fee_rates, market)
    trader = Trader(
        config, Portfolio({}), market, build_risk(conf), journal=journal if journal is not None else MemoryJournal(),
        instruments=instruments, reporting_price=price, sweep=paper.sweep,
    )
    return Desk(trader, paper)


@dataclass(frozen=True)
class Started:
    """What :func:`start` found: records and completed trades restored from the journal, and
    the trades it finished (a crash had interrupted them)."""

    records: int
    trades: int
    resumed: list[TradeResult]


def start(desk: Desk, conf: ArbConf, now_ns: int) -> Started:
    """Bring a desk over a journal to where its last life stopped, then fund it: restore the
    trader from its journal, ask the port about orders in flight, journal the starting
    balances the journal lacks, finish what a crash interrupted — as one durable unit."""
    trader = desk.trader
    with trader.journal.batch():
        records = desk.restore(now_ns=now_ns)
        trades = len(trader.results())
        trader.fund(starting_balances(conf), now_ns)
        resumed = desk.resume(now_ns)
    return Started(records, trades, resumed)


@dataclass
class Components:
    """The decision core for one process, and its parts by name."""

    core: DecisionCore
    decider: Decider
    desk: Desk
    trader: Trader
    paper: PaperVenue
    risk: RiskEngine
    portfolio: Portfolio
    journal: Journal
    started: Started


def build(conf: ArbConf, instruments: Instruments | None = None, journal: Journal | None = None, now_ns: int = 0) -> Components:
    """Decider, trader and paper venue wired into a :class:`DecisionCore`, started on
    ``journal`` (a fresh :class:`MemoryJournal` by default; see :func:`start`)."""
    decider = build_decider(conf, instruments)
    desk = build_desk(conf, decider.view, decider.price, instruments, journal)
    started = start(desk, conf, now_ns)
    if desk.trader.settings is not None:  # the operator's settings, restored from the journal
        decider.apply_settings(desk.trader.settings)
    core = DecisionCore(decider, desk)
    core.trades += desk.trader.results()
    trader = desk.trader
    assert isinstance(desk.port, PaperVenue)
    return Components(core, decider, desk, trader, desk.port, trader.risk, trader.portfolio, trader.journal, started)
