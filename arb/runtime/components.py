"""Build the decision components from a validated :class:`~arb.config.ArbConf`.

Every setting comes from :mod:`arb.runtime.settings` (config → exact domain values), so
backtests, ``arb live`` and the Ray actors all decide with the same settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from arb.config import ArbConf
from arb.core.instruments import Instruments
from arb.exec.journal import Journal, MemoryJournal
from arb.exec.paper import PaperExecutor
from arb.exec.portfolio import Portfolio
from arb.risk.engine import RiskEngine
from arb.runtime.engine import Engine
from arb.runtime.settings import (  # noqa: F401  (latencies_ns, taker_fees: moved; imported from here too)
    base_value_quote,
    latencies_ns,
    paper_config,
    risk_limits,
    scan_config,
    starting_balances,
    taker_fees,
)
from arb.scan.scanner import Scanner


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
    scanner = Scanner(scan_config(conf), instruments)
    risk = RiskEngine(risk_limits(conf))
    if conf.risk.kill_switch:
        risk.kill("kill switch set in config")
    portfolio = Portfolio(starting_balances(conf))
    journal = journal if journal is not None else MemoryJournal()
    engine_ref: list[Engine] = []
    executor = PaperExecutor(
        paper_config(conf),
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
        depth=conf.strategy.depth_levels,
        base_value_quote=base_value_quote(conf),
    )
    engine_ref.append(engine)
    return Components(engine, scanner, risk, executor, portfolio, journal)
