"""Paper execution: a venue simulated against the book as it is when each order arrives.

:class:`PaperVenue` implements the :class:`~arb.exec.port.ExecutionPort`. An order
(:class:`~arb.exec.port.PlaceOrder`) arrives at its ``due_ns`` (the trader stamps it: submit
time + the venue's assumed latency) and executes then as an immediate-or-cancel limit order
against the venue's book view *at that moment* (read through ``market(venue, symbol)``):
it walks depth up to the limit price, skipping depth earlier paper orders took
(:class:`~arb.exec.liquidity.LiquidityMemory`), and charges the taker fee in quote
(:mod:`arb.scan.costs`). Its events are ``Accepted`` then ``Filled`` (all of it),
``PartiallyFilled`` + ``Cancelled`` (some; the rest expired) or ``Cancelled`` (nothing within
the limit, or no live book).

Orders are delivered one at a time in (due time, arrival) order — :meth:`PaperVenue.events`
hands over one order's events per call — so the trader reacts to each (say, with an unwind)
before the next executes, and the same inputs always give the same fills. Call
``events(t)`` for ``t`` at or after :meth:`~PaperVenue.next_event_ns` and before the market
moves past ``t``: "the book then" is whatever ``market`` returns during the call.

A paper venue lives in memory. After a restart the trader asks about the orders its journal
holds in flight (:class:`~arb.exec.port.QueryOrder`); an order the venue does not know is
one that was in flight when the process died, and it is delivered at its due time, as it
would have been.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from heapq import heappop, heappush

from arb.book.view import Market
from arb.exec.liquidity import LiquidityMemory, Sweep
from arb.exec.orders import Order, Side
from arb.exec.port import (
    Accepted, BalancesFetched, Cancelled, CancelOrder, Command, FetchBalances, Filled, OrderEvent, PartiallyFilled, PlaceOrder,
    QueryOrder, Rejected,
)
from arb.venues.trading import RejectReason
from arb.scan.costs import pay_quote, receive_quote, taker_fee


class PaperVenue:
    """Simulated execution with latency, depth, partial fills and taker fees (every venue).

    ``taker_fee_rates``: fixed rates per venue (what each venue charges). ``market``: the
    latest view of a book. ``liquidity``: depth our paper fills took (shared with whoever
    estimates fills for hedging: :meth:`sweep`).
    """

    def __init__(self, taker_fee_rates: Mapping[str, int], market: Market, liquidity: LiquidityMemory | None = None) -> None:
        self.taker_fee_rates = dict(taker_fee_rates)
        self.market = market
        self.liquidity = liquidity if liquidity is not None else LiquidityMemory()
        self._heap: list[tuple[int, int, Order]] = []
        self._seq = 0
        #: Orders sent and not executed yet, by client id.
        self._waiting: dict[str, Order] = {}
        #: Events not tied to an execution (cancel acks, unknown ids), handed over first.
        self._replies: list[OrderEvent] = []

    # -- ExecutionPort ---------------------------------------------------------------------
    def submit(self, commands: Sequence[Command], now_ns: int) -> None:
        for command in commands:
            if isinstance(command, PlaceOrder):
                self._enqueue(command.order, now_ns)
            elif isinstance(command, QueryOrder):
                order = command.order
                if order.id not in self._waiting:
                    self._enqueue(order, now_ns)  # in flight when the process died: deliver it
            elif isinstance(command, FetchBalances):
                # Paper trading has no venue accounts: the trader's portfolio is the truth.
                self._replies += [BalancesFetched(v, now_ns, command.token, {}, "paper trading has no venue balances")
                                  for v in command.venues]
            elif isinstance(command, CancelOrder):
                waiting = self._waiting.pop(command.order_id, None)
                if waiting is None:
                    self._replies.append(Rejected(command.order_id, now_ns, RejectReason.NOT_FOUND, "no open order with that id"))
                else:
                    self._heap = [entry for entry in self._heap if entry[2].id != waiting.id]
                    self._replies.append(Cancelled(waiting.id, now_ns, "cancelled before it reached the venue"))

    def next_event_ns(self) -> int | None:
        if self._replies:
            return self._replies[0].ts_ns
        return self._heap[0][0] if self._heap else None

    def events(self, now_ns: int) -> list[OrderEvent]:
        """Pending replies, else the events of the next order due by ``now_ns`` (one order)."""
        if self._replies:
            replies, self._replies = self._replies, []
            return replies
        if not self._heap or self._heap[0][0] > now_ns:
            return []
        due_ns, _, order = heappop(self._heap)
        del self._waiting[order.id]
        return self._execute(order, due_ns)

    # -- reading ---------------------------------------------------------------------------
    def open_orders(self) -> list[Order]:
        """Orders not executed yet, in the order they will be."""
        return [order for _, _, order in sorted(self._heap)]

    def sweep(self, venue: str, symbol: str, buy: bool, levels: tuple[tuple[int, int], ...], qty: int, limit: int) -> Sweep:
        """What an order for ``qty`` within ``limit`` would take now from ``levels``, depth
        our earlier fills took excluded (the trader's fill estimate when hedging)."""
        return self.liquidity.sweep(venue, symbol, buy, levels, qty, limit)

    # -- execution -------------------------------------------------------------------------
    def _enqueue(self, order: Order, now_ns: int) -> None:
        if order.id in self._waiting:
            self._replies.append(Rejected(order.id, now_ns, RejectReason.DUPLICATE, "client order id already in use"))
            return
        self._seq += 1
        self._waiting[order.id] = order
        heappush(self._heap, (order.due_ns, self._seq, order))

    def _execute(self, order: Order, ts_ns: int) -> list[OrderEvent]:
        """Fill one due order against the book now, as immediate-or-cancel."""
        accepted = Accepted(order.id, ts_ns)
        buy = order.side == Side.BUY
        rate = self.taker_fee_rates.get(order.venue)
        if rate is None:
            return [Rejected(order.id, ts_ns, RejectReason.UNKNOWN_FEE, f"no taker fee rate for {order.venue}")]
        view = self.market(order.venue, order.symbol)
        if view is None or view.state != "live":
            return [accepted, Cancelled(order.id, ts_ns, "no live book")]
        book_side = view.asks if buy else view.bids
        sweep = self.liquidity.sweep(order.venue, order.symbol, buy, book_side, order.qty, order.limit_price)
        if not sweep.filled:
            return [accepted, Cancelled(order.id, ts_ns, "no liquidity within the limit price")]
        self.liquidity.commit(order.venue, order.symbol, buy, book_side, sweep)
        quote = pay_quote(sweep.raw) if buy else receive_quote(sweep.raw)
        fee = taker_fee(quote, rate)
        if sweep.filled == order.qty:
            return [accepted, Filled(order.id, ts_ns, sweep.filled, quote, fee, sweep.worst_price, len(sweep.parts))]
        return [
            accepted,
            PartiallyFilled(order.id, ts_ns, sweep.filled, quote, fee, sweep.worst_price, len(sweep.parts)),
            Cancelled(order.id, ts_ns, "no more liquidity within the limit price"),
        ]
