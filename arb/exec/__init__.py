"""Execution: paper fills (latency, depth, partial fills, fees), portfolio and P&L, journal.

Public API::

    from arb.exec import PaperConfig, PaperExecutor, Portfolio, MemoryJournal, summarize

    portfolio = Portfolio({("binance", "USDT"): 10_000 * ONE, ("okx", "BTC"): ONE, ...})
    executor = PaperExecutor(PaperConfig.from_decimals({"binance": "0.001", ...},
                             latency_ns={"binance": 5_000_000}, one_legged="unwind"),
                             portfolio, market=lambda venue, symbol: views.get((venue, symbol)),
                             risk=risk, reporting_price=lambda asset: prices.get(asset))
    executor.submit(opportunity, now_ns)          # both legs, due at now + latency
    for trade in executor.advance(now_ns): ...    # fills what is due; completed trades
    summarize(executor.results())

Durable journal and recovery (:mod:`arb.exec.journal_sqlite`)::

    journal = SqliteJournal("state/journal.db")     # WAL, fsync per commit, one writer
    executor = PaperExecutor(config, Portfolio({}), market, journal)
    executor.restore()                             # balances, open legs, P&L from the journal
    executor.fund(starting_balances, now_ns)       # journalled once (idempotent ids)
    executor.resume()                              # finish what a crash interrupted
"""

from arb.exec.journal import Journal, JournalError, MemoryJournal, decode, encode
from arb.exec.journal_sqlite import JournalCorruptError, JournalLockedError, SqliteJournal
from arb.exec.liquidity import LiquidityMemory, Sweep
from arb.exec.orders import (
    Deposit,
    Executor,
    Fill,
    FillStatus,
    Intent,
    JournalRecord,
    OneLegged,
    Order,
    Role,
    Side,
    TradeResult,
)
from arb.exec.paper import Market, PaperConfig, PaperExecutor
from arb.exec.portfolio import Portfolio, PriceFn
from arb.exec.report import TradeSummary, summarize

__all__ = [
    "Deposit",
    "Executor",
    "Fill",
    "FillStatus",
    "Intent",
    "Journal",
    "JournalCorruptError",
    "JournalError",
    "JournalLockedError",
    "JournalRecord",
    "LiquidityMemory",
    "Market",
    "MemoryJournal",
    "OneLegged",
    "Order",
    "PaperConfig",
    "PaperExecutor",
    "Portfolio",
    "PriceFn",
    "Role",
    "Side",
    "SqliteJournal",
    "Sweep",
    "TradeResult",
    "TradeSummary",
    "decode",
    "encode",
    "summarize",
]
