"""The decision core in one process: a decider and a desk (trader + execution port).

Backtests and the local runtime host a :class:`DecisionCore`; Ray hosts its two halves in
different actors (the decider in each scanner shard, the desk in the executor) and only
moves messages between them. A pass over changed books is::

    core.refresh(books, now)    # every view current (decider), funding and marks (trader)
    core.advance(now)           # order events due by now → trader (follow-ups see current views)
    core.decide(now)            # scan, then trade, one changed symbol at a time

so no decision — a new trade or an unwind — reads a view older than a book of the same
batch, and each scan sizes with the balances every earlier decision of the batch left.
:meth:`DecisionCore.on_books` is ``refresh`` + ``decide`` (a backtest advances to a record's
time before applying the record: an order due at ``t`` meets the books as they were at ``t``).
"""

from __future__ import annotations

from collections.abc import Iterable

from arb.book.book import OrderBook
from arb.book.view import BookView
from arb.decision.decider import Decider
from arb.decision.desk import Desk
from arb.decision.trader import Trader
from arb.exec.orders import TradeResult
from arb.scan.opportunity import Opportunity


class DecisionCore:
    """Decider + desk, for hosts that run both in one process."""

    def __init__(self, decider: Decider, desk: Desk) -> None:
        self.decider = decider
        self.desk = desk
        self.trader: Trader = desk.trader
        #: Every completed trade, in completion order.
        self.trades: list[TradeResult] = []

    def on_books(self, books: Iterable[OrderBook], now_ns: int) -> list[Opportunity]:
        """Books changed: refresh, decide and trade (:meth:`refresh` written out: a backtest
        calls this once per record). Returns the opportunities found."""
        changed = self.decider.on_books(books, now_ns)
        if changed:
            self.trader.on_views(changed, now_ns)
        return self.decide(now_ns)

    def on_views(self, views: Iterable[BookView], now_ns: int) -> list[Opportunity]:
        """Views changed (as a remote feed would send them): decide and trade."""
        changed = self.decider.on_views(views, now_ns)
        if changed:
            self.trader.on_views(changed, now_ns)
        return self.decide(now_ns)

    def refresh(self, books: Iterable[OrderBook], now_ns: int) -> None:
        """Pass 1: every changed book's view current; the trader sees the new views."""
        changed = self.decider.on_books(books, now_ns)
        if changed:
            self.trader.on_views(changed, now_ns)

    def decide(self, now_ns: int) -> list[Opportunity]:
        """Pass 2: scan every changed (symbol, venue) in order and trade what passes risk.
        Returns the opportunities the decider found."""
        decider = self.decider
        pending = decider.pending()
        if not pending:
            return []
        desk, portfolio = self.desk, self.trader.portfolio
        found: list[Opportunity] = []
        for symbol, venue in pending:
            opportunities = decider.scan(symbol, venue, now_ns, portfolio)
            if opportunities:
                found += opportunities
                desk.on_opportunities(opportunities, now_ns)
        return found

    def advance(self, now_ns: int) -> list[TradeResult]:
        """Execution events due by ``now_ns`` (see :meth:`Desk.advance`)."""
        done = self.desk.advance(now_ns)
        self.trades += done
        return done

    def drain(self, now_ns: int) -> list[TradeResult]:
        """Finish every open order (end of a run)."""
        done = self.desk.drain(now_ns)
        self.trades += done
        return done

    def pnl(self) -> int | None:
        """Mark-to-market P&L in USD (None when an asset held has no price)."""
        return self.trader.pnl()
