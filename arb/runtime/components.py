"""Build the decision core from a validated :class:`~arb.config.ArbConf`.

Every setting comes from :mod:`arb.runtime.settings` (config → exact domain values), so
backtests, ``arb live`` and the Ray actors all decide with the same settings:

- :func:`build_decider` — what a Ray scanner shard hosts;
- :func:`build_desk` — what the Ray executor actor hosts (trader + paper venue);
- :func:`build` — both in one process (backtests, the local runtime).
"""

from __future__ import annotations

from dataclasses import dataclass

from arb.book.view import Market
from arb.config import ArbConf
from arb.core.instruments import Instruments
from arb.decision.core import DecisionCore
from arb.decision.decider import Decider
from arb.decision.desk import Desk
from arb.decision.trader import Trader
from arb.exec.journal import Journal, MemoryJournal
from arb.exec.orders import TradeResult
from arb.exec.paper import PaperVenue
from arb.exec.portfolio import Portfolio, PriceFn
from arb.risk.engine import RiskEngine
from arb.runtime.settings import risk_limits, scan_config, starting_balances, trader_config
from arb.scan.scanner import Scanner

def build_decider(conf: ArbConf, instruments: Instruments | None = None) -> Decider:
    """The scanner over the universe's venues, in a :class:`Decider`."""
    return Decider(Scanner(scan_config(conf), instruments), depth=conf.strategy.depth_levels)


def build_risk(conf: ArbConf) -> RiskEngine:
    """The risk gate (``risk.kill_switch`` engages the kill switch at start)."""
    risk = RiskEngine(risk_limits(conf))
    if conf.risk.kill_switch:
        risk.kill("kill switch set in config")
    return risk


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
    core = DecisionCore(decider, desk)
    core.trades += desk.trader.results()
    trader = desk.trader
    assert isinstance(desk.port, PaperVenue)
    return Components(core, decider, desk, trader, desk.port, trader.risk, trader.portfolio, trader.journal, started)
