"""Build the decision components from a validated :class:`~arb.config.ArbConf`.

One place turns config floats into exact fixed-point settings (``exact``: the decimal the
user wrote), picks each venue's fee (config override, else the venue module's default) and
latency, so backtests, ``arb live`` and the Ray actors all decide with the same settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from arb.config import ArbConf, exact
from arb.core.instruments import Instruments
from arb.core.numbers import from_decimal
from arb.exec.journal import Journal, MemoryJournal
from arb.exec.paper import PaperConfig, PaperExecutor
from arb.exec.portfolio import Portfolio
from arb.risk.engine import RiskEngine
from arb.risk.limits import RiskLimits
from arb.runtime.engine import Engine
from arb.scan.opportunity import ScanConfig
from arb.scan.scanner import Scanner
from arb.venues.registry import get as venue_spec

_NS_PER_MS = 1_000_000


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


@dataclass
class Components:
    engine: Engine
    scanner: Scanner
    risk: RiskEngine
    executor: PaperExecutor
    portfolio: Portfolio
    journal: Journal


def build(conf: ArbConf, instruments: Instruments | None = None, journal: Journal | None = None) -> Components:
    """Scanner, risk engine, paper executor and portfolio, wired into an :class:`Engine`."""
    instruments = instruments if instruments is not None else Instruments()
    fees = taker_fees(conf)
    strategy, risk_conf = conf.strategy, conf.risk
    max_age_ns = round(exact(strategy.max_age_s) * 1_000_000_000)
    scan_config = ScanConfig.from_decimals(
        taker_fee_rates=fees,
        min_profit_quote=exact(strategy.min_profit_quote),
        max_notional_quote=exact(strategy.max_notional_quote),
        max_age_ns=max_age_ns,
        depth=strategy.depth_levels,
    )
    scanner = Scanner(scan_config, instruments)
    limits = RiskLimits.from_decimals(
        max_notional_quote=exact(risk_conf.max_notional_quote),
        max_position={asset: exact(v) for asset, v in risk_conf.max_position.items()},
        max_open_legs=risk_conf.max_open_legs,
        max_data_age_ns=max_age_ns,
        error_rate_limit=exact(risk_conf.error_rate_limit),
        error_window_orders=risk_conf.error_window,
    )
    risk = RiskEngine(limits)
    if risk_conf.kill_switch:
        risk.kill("kill switch set in config")
    portfolio = Portfolio(starting_balances(conf))
    journal = journal if journal is not None else MemoryJournal()
    engine_ref: list[Engine] = []
    paper = PaperConfig.from_decimals(
        taker_fee_rates=fees,
        latency_ns=latencies_ns(conf),
        default_latency_ns=round(exact(conf.executor.latency_ms) * _NS_PER_MS),
        one_legged=conf.executor.one_legged_policy,
    )
    executor = PaperExecutor(
        paper,
        portfolio,
        market=lambda venue, symbol: engine_ref[0].market(venue, symbol),
        journal=journal,
        instruments=instruments,
        risk=risk,
        reporting_price=lambda asset: engine_ref[0].price(asset),
    )
    engine = Engine(
        scanner,
        risk,
        executor,
        portfolio,
        depth=strategy.depth_levels,
        base_value_quote=from_decimal(exact(conf.executor.base_value_quote)),
    )
    engine_ref.append(engine)
    return Components(engine, scanner, risk, executor, portfolio, journal)
