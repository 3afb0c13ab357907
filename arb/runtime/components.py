"""Build the decision core from a validated :class:`~arb.config.ArbConf`.

Every setting comes from :mod:`arb.runtime.settings` (config → exact domain values), so
backtests, ``arb live`` and the Ray actors all decide with the same settings:

- :func:`build_decider` — what a Ray scanner shard hosts;
- :func:`build_desk` — what the Ray executor actor hosts (trader + paper venue);
- :func:`build` — both in one process (backtests, the local runtime).
"""

from __future__ import annotations

from collections.abc import Mapping
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
from arb.core.errors import ConfigError
from arb.exec.live import LiveVenues, VenueAccount
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
    accounts: Mapping[str, VenueAccount] | None = None,
) -> Desk:
    """A trader over a fresh portfolio (no balances yet: :func:`start` it), trading through
    a paper venue that fills against ``market`` or — ``executor.mode=live`` — through the
    venues' accounts (:class:`~arb.exec.live.LiveVenues`; its I/O shell is the host's)."""
    config = trader_config(conf)
    if conf.executor.mode == "live":
        if not accounts:
            raise ConfigError("executor.mode=live: no venue account to trade with")
        port: PaperVenue | LiveVenues = LiveVenues(accounts, instruments if instruments is not None else Instruments(), dry_run=conf.executor.dry_run)
        sweep = None
    else:
        port = PaperVenue(config.taker_fee_rates, market)
        sweep = port.sweep
    trader = Trader(
        config, Portfolio({}), market, build_risk(conf), journal=journal if journal is not None else MemoryJournal(),
        instruments=instruments, reporting_price=price, sweep=sweep,
    )
    return Desk(trader, port)


@dataclass(frozen=True)
class Started:
    """What :func:`start` found: records and completed trades restored from the journal, and
    the trades it finished (a crash had interrupted them)."""

    records: int
    trades: int
    resumed: list[TradeResult]


def start(desk: Desk, conf: ArbConf, now_ns: int, balances: Mapping[tuple[str, str], int] | None = None) -> Started:
    """Bring a desk over a journal to where its last life stopped, then fund it: restore the
    trader from its journal, ask the port about orders in flight, journal the starting
    balances the journal lacks (``balances``: what the venues reported, live; else
    ``executor.balances``), finish what a crash interrupted — as one durable unit."""
    trader = desk.trader
    with trader.journal.batch():
        records = desk.restore(now_ns=now_ns)
        trades = len(trader.results())
        trader.fund(balances if balances is not None else starting_balances(conf), now_ns)
        resumed = desk.resume(now_ns)
    return Started(records, trades, resumed)


@dataclass
class Components:
    """The decision core for one process, and its parts by name."""

    core: DecisionCore
    decider: Decider
    desk: Desk
    trader: Trader
    #: The paper venue (None when trading live).
    paper: PaperVenue | None
    risk: RiskEngine
    portfolio: Portfolio
    journal: Journal
    started: Started
    #: The one instruments object the scanner, the trader and the port read (changed in place
    #: when a listing is refreshed).
    instruments: Instruments


def build(
    conf: ArbConf, instruments: Instruments | None = None, journal: Journal | None = None, now_ns: int = 0,
    accounts: Mapping[str, VenueAccount] | None = None, balances: Mapping[tuple[str, str], int] | None = None,
) -> Components:
    """Decider, trader and execution port wired into a :class:`DecisionCore`, started on
    ``journal`` (a fresh :class:`MemoryJournal` by default; see :func:`start`). Live
    (``executor.mode=live``): ``accounts`` to trade with and the ``balances`` they reported."""
    instruments = instruments if instruments is not None else Instruments()  # one, shared: a refresh reaches all
    decider = build_decider(conf, instruments)
    desk = build_desk(conf, decider.view, decider.price, instruments, journal, accounts)
    started = start(desk, conf, now_ns, balances)
    if desk.trader.settings is not None:  # the operator's settings, restored from the journal
        decider.apply_settings(desk.trader.settings)
    core = DecisionCore(decider, desk)
    core.trades += desk.trader.results()
    trader = desk.trader
    paper = desk.port if isinstance(desk.port, PaperVenue) else None
    return Components(core, decider, desk, trader, paper, trader.risk, trader.portfolio, trader.journal, started, instruments)
