"""Execution: the port orders go through, paper fills (latency, depth, partial fills, fees),
portfolio and P&L, the journal.

Public API::

    from arb.exec import PaperVenue, Portfolio, SqliteJournal, summarize
    from arb.exec.port import PlaceOrder, Filled, ...      # the execution port's commands and events

    paper = PaperVenue({"binance": 10**15, ...}, market=lambda venue, symbol: views.get((venue, symbol)))
    paper.submit([PlaceOrder(order)], now_ns)    # delivered at order.due_ns
    paper.events(now_ns)                         # Accepted, Filled / PartiallyFilled, Cancelled …

The trader that decides what to send, and the loop that connects it to a port, are in
:mod:`arb.decision`. Durable journal and recovery: :mod:`arb.exec.journal_sqlite` and
:meth:`arb.decision.trader.Trader.restore`.
"""

from arb.exec.journal import Journal, JournalError, MemoryJournal, decode, encode
from arb.exec.journal_sqlite import JournalCorruptError, JournalLockedError, SqliteJournal
from arb.exec.liquidity import LiquidityMemory, Sweep
from arb.exec.orders import (
    Deposit,
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
from arb.exec.paper import PaperVenue
from arb.exec.port import Command, ExecutionPort, OrderEvent
from arb.venues.trading import RejectReason
from arb.exec.portfolio import Portfolio, PriceFn
from arb.exec.report import TradeSummary, summarize

__all__ = [
    "Deposit",
    "Command",
    "ExecutionPort",
    "Fill",
    "FillStatus",
    "Intent",
    "Journal",
    "JournalCorruptError",
    "JournalError",
    "JournalLockedError",
    "JournalRecord",
    "LiquidityMemory",
    "MemoryJournal",
    "OneLegged",
    "Order",
    "OrderEvent",
    "PaperVenue",
    "Portfolio",
    "PriceFn",
    "RejectReason",
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
