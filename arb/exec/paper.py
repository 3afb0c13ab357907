"""Paper execution: both legs against the book as it is when each order would arrive.

:class:`PaperExecutor` implements :class:`~arb.exec.orders.Executor`. ``submit`` places the
two legs of an opportunity at once as immediate-or-cancel limit orders, each due at
``now + latency(venue)``, locking what it may spend in the :class:`Portfolio`. ``advance``
fills every order that is due against the venue's book view *then* (read through the
``market(venue, symbol)`` callable), walking depth up to the limit price and skipping depth
our earlier paper orders took (:class:`~arb.exec.liquidity.LiquidityMemory`): fills may be
partial, taker fees are charged in quote (:mod:`arb.scan.costs`).

When both legs are done and one filled more than the other, the configured policy acts on
the difference (:class:`~arb.exec.orders.OneLegged`): ``unwind`` trades it back on the
venue whose leg filled more, ``hedge`` offsets it on the best other venue (the one that
would fill most of it, then at the best fee-adjusted price, with the balance for it),
``hold`` keeps it.
A follow-up is one immediate-or-cancel order at the best price ± ``market_slippage_bps``
(a protected market order), rounded down to the venue's lot; what it leaves is held, and
the trade outcome says so. Orders of the same due time run in submission order, so the
same inputs always give the same fills.

Call ``advance(t)`` for ``t`` at or after :meth:`PaperExecutor.next_due_ns` and before the
market moves past ``t``: "the book then" is whatever ``market`` returns during the call.

Recovery: with a durable journal (:class:`~arb.exec.journal_sqlite.SqliteJournal`), fund
through :meth:`PaperExecutor.fund`/:meth:`~PaperExecutor.deposit` (journalled), and after a
crash build a fresh executor on the same journal, :meth:`~PaperExecutor.restore` (state
exactly as journalled), :meth:`~PaperExecutor.fund` again (a no-op for journalled ids) and
:meth:`~PaperExecutor.resume` (finishes the call the crash interrupted). Ids make every
step idempotent: a decision, order or deposit is never placed or journalled twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from heapq import heapify, heappop, heappush

import msgspec

from arb.book.view import BookView
from arb.core.errors import ConfigError
from arb.core.instruments import Instruments
from arb.core.numbers import ONE, mul
from arb.core.symbols import split
from arb.exec.journal import Journal, JournalError, MemoryJournal
from arb.exec.liquidity import LiquidityMemory
from arb.exec.orders import Deposit, Fill, FillStatus, Intent, JournalRecord, OneLegged, Order, Role, Side, TradeResult
from arb.exec.portfolio import Portfolio, PriceFn
from arb.risk.engine import RiskEngine
from arb.scan.costs import fee_rate, pay_quote, receive_quote, reserve_quote, taker_fee
from arb.scan.opportunity import Opportunity

#: ``market(venue, symbol) → the venue's current view of the symbol`` (None: no book).
Market = Callable[[str, str], "BookView | None"]

_BPS = 10_000


class PaperConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Paper execution settings. Fee rates are fixed ints (``0.001`` → ``10**15``).

    ``latency_ns``: per venue, from decision to the order reaching the venue;
    ``default_latency_ns`` for venues not listed. ``one_legged``: the policy.
    ``market_slippage_bps``: how far past the best price a follow-up may fill.
    """

    taker_fee_rates: dict[str, int]
    latency_ns: dict[str, int] = msgspec.field(default_factory=dict)
    default_latency_ns: int = 0
    one_legged: OneLegged = OneLegged.UNWIND
    market_slippage_bps: int = 100

    def __post_init__(self) -> None:
        for venue, rate in self.taker_fee_rates.items():
            if not 0 <= rate < ONE:
                raise ConfigError(f"taker_fee_rates.{venue}: must be in [0, 1) (fixed), got {rate}")
        for venue, latency in self.latency_ns.items():
            if latency < 0:
                raise ConfigError(f"latency_ns.{venue}: must be ≥ 0, got {latency}")
        if self.default_latency_ns < 0:
            raise ConfigError(f"default_latency_ns: must be ≥ 0, got {self.default_latency_ns}")
        if not 0 <= self.market_slippage_bps < _BPS:
            raise ConfigError(f"market_slippage_bps: must be in [0, 10000), got {self.market_slippage_bps}")

    @classmethod
    def from_decimals(
        cls,
        taker_fee_rates: Mapping[str, Decimal | str],
        latency_ns: Mapping[str, int] | None = None,
        default_latency_ns: int = 0,
        one_legged: str = "unwind",
        market_slippage_bps: int = 100,
    ) -> PaperConfig:
        """Build from exact decimal fee rates (``Decimal`` or text), e.g. from config."""
        try:
            policy = OneLegged(one_legged)
        except ValueError:
            raise ConfigError(f"one_legged: must be one of unwind, hedge, hold; got {one_legged!r}") from None
        return cls(
            taker_fee_rates={v: fee_rate(r, f"taker_fee_rates.{v}") for v, r in sorted(taker_fee_rates.items())},
            latency_ns=dict(sorted((latency_ns or {}).items())),
            default_latency_ns=default_latency_ns,
            one_legged=policy,
            market_slippage_bps=market_slippage_bps,
        )

    def latency(self, venue: str) -> int:
        return self.latency_ns.get(venue, self.default_latency_ns)


class _Trade:
    __slots__ = ("opp", "ts_submit_ns", "fills", "pending", "action", "action_venue", "action_role", "reason")

    def __init__(self, opp: Opportunity, ts_submit_ns: int) -> None:
        self.opp = opp
        self.ts_submit_ns = ts_submit_ns
        self.fills: dict[str, Fill] = {}
        self.pending = 0
        self.action = "none"
        self.action_venue = ""
        self.action_role = ""
        self.reason = ""


class PaperExecutor:
    """Simulated execution with latency, depth, partial fills, fees and one-legged policy.

    ``journal`` receives every intent, order, fill and trade outcome (a
    :class:`MemoryJournal` by default). With ``risk``, every order's outcome is reported to
    its circuit breaker (``ok`` unless rejected) and follow-ups pass
    :meth:`RiskEngine.check_order` first. ``reporting_price(asset)`` converts realized P&L
    into the reporting currency. ``instruments`` give follow-ups their lot, tick and minimums.
    """

    def __init__(
        self,
        config: PaperConfig,
        portfolio: Portfolio,
        market: Market,
        journal: Journal | None = None,
        instruments: Instruments | None = None,
        risk: RiskEngine | None = None,
        reporting_price: PriceFn | None = None,
    ) -> None:
        self.config = config
        self.portfolio = portfolio
        self.market = market
        self.journal: Journal = journal if journal is not None else MemoryJournal()
        self.instruments = instruments if instruments is not None else Instruments()
        self.risk = risk
        self.reporting_price = reporting_price
        self.liquidity = LiquidityMemory()
        self._heap: list[tuple[int, int, Order]] = []
        self._seq = 0
        self._trades: dict[str, _Trade] = {}
        self._ids: set[str] = set()
        self._deposits: set[str] = set()
        #: Journalled orders rejected on placement whose outcome a crash kept from the journal.
        self._unsettled: dict[str, Order] = {}
        self._results: list[TradeResult] = []
        self._completed: list[TradeResult] = []

    # -- Executor ------------------------------------------------------------------------
    def submit(self, opportunity: Opportunity, now_ns: int) -> list[Order]:
        """Place both legs now (due after each venue's latency). An id already submitted
        is ignored (returns ``[]``). A leg the portfolio cannot cover is rejected at once;
        the other still goes (they are concurrent), and the one-legged policy follows."""
        if opportunity.id in self._ids:
            return []
        self._ids.add(opportunity.id)
        intent = Intent(id=opportunity.id, ts_ns=now_ns, opportunity=opportunity)
        stored = self.journal.append(intent)
        if stored is not None and stored is not intent:
            return []  # an earlier life journalled this decision: never place it twice
        trade = self._trades[opportunity.id] = _Trade(opportunity, now_ns)
        orders = [
            self._place(trade, Role.BUY, opportunity.buy_venue, Side.BUY, opportunity.qty, opportunity.buy_limit, now_ns),
            self._place(trade, Role.SELL, opportunity.sell_venue, Side.SELL, opportunity.qty, opportunity.sell_limit, now_ns),
        ]
        if not trade.pending:
            self._legs_done(trade, now_ns)
        return orders

    def advance(self, now_ns: int) -> list[TradeResult]:
        """Fill every order due by ``now_ns`` (in due-time order); returns completed trades."""
        heap = self._heap
        while heap and heap[0][0] <= now_ns:
            due_ns, _, order = heappop(heap)
            fill = self._execute(order, due_ns)
            trade = self._trades[order.trade_id]
            trade.fills[order.role] = fill
            trade.pending -= 1
            if not trade.pending:
                self._legs_done(trade, due_ns)
        done, self._completed = self._completed, []
        return done

    def next_due_ns(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def open_legs(self) -> int:
        return len(self._heap)

    def results(self) -> list[TradeResult]:
        return list(self._results)

    def open_orders(self) -> list[Order]:
        """Orders placed and not yet done, in the order they will be processed."""
        return [order for _, _, order in sorted(self._heap)]

    # -- capital and recovery ------------------------------------------------------------
    def deposit(self, venue: str, asset: str, amount: int, ts_ns: int, deposit_id: str | None = None) -> bool:
        """Fund ``venue`` with ``amount`` of ``asset`` (starting capital, not P&L), journalled
        as a :class:`~arb.exec.orders.Deposit` so recovery rebuilds it. An id already
        deposited (by this executor or, after :meth:`restore`, an earlier life) changes
        nothing: returns False. Default id:
        ``deposit/<n>``, n counting this executor's deposits (restored ones included)."""
        if amount < 0:
            raise ValueError(f"deposit of {asset} on {venue} is negative")
        deposit_id = deposit_id if deposit_id is not None else f"deposit/{len(self._deposits)}"
        if deposit_id in self._deposits:
            return False
        self._deposits.add(deposit_id)
        # Like orders and fills: the in-memory effect, then the journal (a crash between
        # the two loses only memory; nothing outside the process happened yet).
        self.portfolio.deposit(venue, asset, amount)
        self.journal.append(Deposit(id=deposit_id, venue=venue, asset=asset, amount=amount, ts_ns=ts_ns))
        return True

    def fund(self, balances: Mapping[tuple[str, str], int], ts_ns: int) -> int:
        """Starting balances ``{(venue, asset): amount}``, journalled once each (ids
        ``start/<venue>/<asset>``): call it at every start, after :meth:`restore`; only what
        the journal lacks is deposited. Returns how many deposits were new."""
        return sum(
            self.deposit(venue, asset, amount, ts_ns, f"start/{venue}/{asset}")
            for (venue, asset), amount in sorted(balances.items())
        )

    def restore(self, records: Iterable[JournalRecord] | None = None) -> int:
        """Rebuild the executor from a journal alone (default: its own ``journal``).

        Afterwards balances (from the deposits), the locks and remaining size of open
        orders, fees, refused fills, realized P&L, completed trades, trades in flight and
        their open orders (same due times, same processing order) are exactly what the
        executor that wrote the journal had after its last record; with ``risk``, every
        order outcome is replayed into its circuit breaker. Needs a fresh executor (empty
        portfolio, nothing submitted). The paper-only liquidity memory starts empty. Then
        call :meth:`resume` to finish what a crash interrupted. Returns the records read.
        """
        if self._ids or self._deposits or self._heap or self._results or self.portfolio.balances():
            raise ValueError("restore() needs a fresh executor with an empty portfolio")
        portfolio = self.portfolio
        open_orders: dict[str, tuple[int, int, Order]] = {}
        n = 0
        for record in self.journal if records is None else records:
            n += 1
            if isinstance(record, Deposit):
                self._deposits.add(record.id)
                portfolio.deposit(record.venue, record.asset, record.amount)
            elif isinstance(record, Intent):
                self._ids.add(record.id)
                self._trades[record.id] = _Trade(record.opportunity, record.ts_ns)
            elif isinstance(record, Order):
                trade = self._journalled_trade(record.trade_id, record)
                if record.role in (Role.UNWIND, Role.HEDGE):
                    trade.action, trade.action_role, trade.action_venue = record.role, record.role, record.venue
                if record.status == "open":
                    refused = portfolio.open_order(record.id, record.venue, record.symbol, record.side, record.qty, record.lock)
                    if refused is not None:
                        raise JournalError(f"journal does not replay: order {record.id}: {refused}")
                    self._seq += 1
                    open_orders[record.id] = (record.due_ns, self._seq, record)
                    trade.pending += 1
                else:
                    self._unsettled[record.id] = record
            elif isinstance(record, Fill):
                trade = self._journalled_trade(record.trade_id, record)
                self._unsettled.pop(record.id, None)
                if open_orders.pop(record.id, None) is not None:
                    if record.qty:
                        refused = portfolio.fill(record.id, record.qty, record.quote, record.fee)
                        if refused is not None:
                            raise JournalError(f"journal does not replay: fill {record.id}: {refused}")
                    elif record.status == FillStatus.REJECTED:
                        portfolio.refused_fills += 1  # the live fill was refused by the portfolio
                    portfolio.close_order(record.id)
                    trade.pending -= 1
                elif record.role == trade.action_role:  # a follow-up rejected on placement
                    trade.reason = record.reason
                trade.fills[record.role] = record
                if self.risk is not None:
                    self.risk.record_order(record.status != FillStatus.REJECTED, record.ts_ns)
            elif isinstance(record, TradeResult):
                trade = self._trades.pop(record.id, None)
                if trade is None:
                    raise JournalError(f"journal does not replay: outcome of unknown trade {record.id}")
                portfolio.realize(trade.opp.quote, record.realized_pnl_quote, record.realized_pnl_reporting)
                self._results.append(record)
        self._heap = list(open_orders.values())
        heapify(self._heap)
        return n

    def _journalled_trade(self, trade_id: str, record: JournalRecord) -> _Trade:
        trade = self._trades.get(trade_id)
        if trade is None:
            raise JournalError(f"journal does not replay: {type(record).__name__} {record.id} of unknown trade {trade_id}")
        return trade

    def resume(self) -> list[TradeResult]:
        """Finish what a crash interrupted, as the interrupted call would have: place the
        missing legs of a journalled intent (at the intent's time; the journal never holds
        an order twice) and settle trades whose orders are all done (follow-up or outcome,
        against the market now). Idempotent. Returns the trades it completed."""
        for order in self._unsettled.values():
            trade = self._trades[order.trade_id]
            trade.fills[order.role] = self._outcome(order, 0, 0, 0, 0, 0, order.ts_submit_ns, FillStatus.REJECTED, order.reason)
            if order.role == trade.action_role:
                trade.reason = order.reason
        self._unsettled.clear()
        open_roles = {(o.trade_id, o.role) for _, _, o in self._heap}
        for trade in list(self._trades.values()):
            opp = trade.opp
            placed = {role for role in (Role.BUY, Role.SELL) if role in trade.fills or (opp.id, role) in open_roles}
            if len(placed) < 2:
                if Role.BUY not in placed:
                    self._place(trade, Role.BUY, opp.buy_venue, Side.BUY, opp.qty, opp.buy_limit, trade.ts_submit_ns)
                if Role.SELL not in placed:
                    self._place(trade, Role.SELL, opp.sell_venue, Side.SELL, opp.qty, opp.sell_limit, trade.ts_submit_ns)
                if not trade.pending:
                    self._legs_done(trade, trade.ts_submit_ns)
            elif not trade.pending:
                self._legs_done(trade, max(f.ts_ns for f in trade.fills.values()))
        done, self._completed = self._completed, []
        return done

    # -- orders --------------------------------------------------------------------------
    def _place(self, trade: _Trade, role: str, venue: str, side: str, qty: int, limit: int, now_ns: int) -> Order:
        symbol = trade.opp.symbol
        order_id = f"{trade.opp.id}/{role}"
        rate = self.config.taker_fee_rates.get(venue)
        lock = 0
        if rate is None:
            reason = f"no taker fee rate for {venue}"
        else:
            lock = reserve_quote(limit, qty, rate) if side == Side.BUY else qty
            reason = self.portfolio.open_order(order_id, venue, symbol, side, qty, lock)
        order = Order(
            id=order_id, trade_id=trade.opp.id, role=str(role), venue=venue, symbol=symbol, side=str(side),
            qty=qty, limit_price=limit, lock=lock, ts_submit_ns=now_ns, due_ns=now_ns + self.config.latency(venue),
            status="open" if reason is None else "rejected", reason=reason or "",
        )
        stored = self.journal.append(order)
        if stored is not None and stored is not order:  # journalled by an earlier life: never twice
            if reason is None:
                self.portfolio.close_order(order_id)
            return stored
        if reason is None:
            self._seq += 1
            heappush(self._heap, (order.due_ns, self._seq, order))
            trade.pending += 1
        else:
            trade.fills[order.role] = self._outcome(order, 0, 0, 0, 0, 0, now_ns, FillStatus.REJECTED, reason)
        return order

    def _execute(self, order: Order, ts_ns: int) -> Fill:
        """Fill one due order against the book now; always closes the order."""
        buy = order.side == Side.BUY
        view = self.market(order.venue, order.symbol)
        status, reason = FillStatus.EXPIRED, ""
        filled = quote = fee = levels = worst = 0
        if view is None or view.state != "live":
            reason = "no live book"
        else:
            book_side = view.asks if buy else view.bids
            sweep = self.liquidity.sweep(order.venue, order.symbol, buy, book_side, order.qty, order.limit_price)
            if not sweep.filled:
                reason = "no liquidity within the limit price"
            else:
                quote = pay_quote(sweep.raw) if buy else receive_quote(sweep.raw)
                fee = taker_fee(quote, self.config.taker_fee_rates[order.venue])
                refused = self.portfolio.fill(order.id, sweep.filled, quote, fee)
                if refused is not None:
                    status, reason, quote, fee = FillStatus.REJECTED, refused, 0, 0
                else:
                    self.liquidity.commit(order.venue, order.symbol, buy, book_side, sweep)
                    filled, levels, worst = sweep.filled, len(sweep.parts), sweep.worst_price
                    status = FillStatus.FILLED if filled == order.qty else FillStatus.PARTIAL
        self.portfolio.close_order(order.id)
        return self._outcome(order, filled, quote, fee, levels, worst, ts_ns, status, reason)

    def _outcome(
        self, order: Order, filled: int, quote: int, fee: int, levels: int, worst: int,
        ts_ns: int, status: FillStatus, reason: str,
    ) -> Fill:
        fill = Fill(
            id=order.id, trade_id=order.trade_id, role=order.role, venue=order.venue, symbol=order.symbol,
            side=order.side, qty_ordered=order.qty, qty=filled, quote=quote, fee=fee,
            avg_price=quote * ONE // filled if filled else 0, worst_price=worst, levels=levels, ts_ns=ts_ns,
            status=str(status),
            reason=reason,
        )
        self.journal.append(fill)
        if self.risk is not None:
            self.risk.record_order(status is not FillStatus.REJECTED, ts_ns)
        return fill

    # -- one-legged fills ----------------------------------------------------------------
    def _legs_done(self, trade: _Trade, ts_ns: int) -> None:
        if trade.action_role:  # the follow-up is done too
            self._finish(trade, ts_ns)
            return
        diff = trade.fills[Role.BUY].qty - trade.fills[Role.SELL].qty
        if not diff:
            self._finish(trade, ts_ns)
            return
        trade.action = str(self.config.one_legged)
        reason = self._follow_up(trade, diff, ts_ns)
        if reason is not None:
            trade.action = str(OneLegged.HOLD)
            trade.reason = reason
            self._finish(trade, ts_ns)
        elif not trade.pending:  # the follow-up was rejected on placement
            trade.reason = trade.fills[trade.action_role].reason
            self._finish(trade, ts_ns)

    def _follow_up(self, trade: _Trade, diff: int, ts_ns: int) -> str | None:
        """Place the unwind/hedge order for ``diff`` (+: sell it, −: buy it); a hold reason if not."""
        policy = self.config.one_legged
        if policy is OneLegged.HOLD:
            return "policy: hold"
        opp = trade.opp
        side = Side.SELL if diff > 0 else Side.BUY
        qty = abs(diff)
        if self.risk is not None:
            decision = self.risk.check_order(opp.symbol, str(side), qty, self.portfolio)
            if not decision.approved:
                return f"risk: {decision.reason}"
        if policy is OneLegged.UNWIND:
            role = Role.UNWIND
            venue = opp.buy_venue if side == Side.SELL else opp.sell_venue
        else:
            role = Role.HEDGE
            venue = self._hedge_venue(opp, side, qty)
            if venue is None:
                return "no venue to hedge on"
        view = self.market(venue, opp.symbol)
        if view is None or view.state != "live" or not (view.bids if side == Side.SELL else view.asks):
            return f"no live book on {venue}"
        limit = self._protective_limit(view, side, venue, opp.symbol)
        instrument = self.instruments.get(venue, opp.symbol)
        if instrument is not None:
            qty = instrument.round_qty_down(qty)
            if not instrument.accepts(limit, qty):
                return f"{qty} below {venue}'s minimum size or notional"
        if qty <= 0 or limit <= 0:
            return "nothing to trade"
        trade.action_role = str(role)
        trade.action_venue = venue
        self._place(trade, role, venue, side, qty, limit, ts_ns)
        return None

    def _protective_limit(self, view: BookView, side: str, venue: str, symbol: str) -> int:
        slip = self.config.market_slippage_bps
        instrument = self.instruments.get(venue, symbol)
        if side == Side.SELL:
            limit = view.bids[0][0] * (_BPS - slip) // _BPS
            return instrument.round_price_up(limit) if instrument is not None else limit
        limit = -((-view.asks[0][0] * (_BPS + slip)) // _BPS)
        return instrument.round_price_down(limit) if instrument is not None else limit

    def _hedge_venue(self, opp: Opportunity, side: str, qty: int) -> str | None:
        """The other venue (not the leg that filled) that would fill most of ``qty`` now, at
        the best fee-adjusted average price, among live venues with the balance for it;
        ties go to the first venue by name. Depth our own fills took does not count."""
        base, quote = split(opp.symbol)
        buy = side == Side.BUY
        exclude = opp.sell_venue if buy else opp.buy_venue
        best_venue, best_key = None, None
        for venue, rate in sorted(self.config.taker_fee_rates.items()):
            if venue == exclude:
                continue
            view = self.market(venue, opp.symbol)
            if view is None or view.state != "live" or not (view.asks if buy else view.bids):
                continue
            limit = self._protective_limit(view, side, venue, opp.symbol)
            if buy:
                if self.portfolio.available(venue, quote) < reserve_quote(limit, qty, rate):
                    continue
            elif self.portfolio.available(venue, base) < qty:
                continue
            sweep = self.liquidity.sweep(venue, opp.symbol, buy, view.asks if buy else view.bids, qty, limit)
            if not sweep.filled:
                continue
            # Average price after the fee, as a cost to minimize (a sell's proceeds negated).
            unit = sweep.raw * ((ONE + rate) if buy else -(ONE - rate)) // sweep.filled
            key = (-sweep.filled, unit)
            if best_key is None or key < best_key:
                best_venue, best_key = venue, key
        return best_venue

    # -- outcome -------------------------------------------------------------------------
    def _finish(self, trade: _Trade, ts_ns: int) -> None:
        opp = trade.opp
        buy, sell = trade.fills[Role.BUY], trade.fills[Role.SELL]
        action = trade.fills.get(trade.action_role) if trade.action_role else None
        bought, cost = buy.qty, buy.quote
        sold, proceeds = sell.qty, sell.quote
        fees = buy.fee + sell.fee
        if action is not None:
            fees += action.fee
            if action.side == Side.BUY:
                bought, cost = bought + action.qty, cost + action.quote
            else:
                sold, proceeds = sold + action.qty, proceeds + action.quote
        matched = min(bought, sold)
        realized = (proceeds * matched // sold if sold else 0) - (-(-cost * matched // bought) if bought else 0) - fees
        reporting = None
        if self.reporting_price is not None:
            price = self.reporting_price(opp.quote)
            reporting = None if price is None else mul(realized, price)
        self.portfolio.realize(opp.quote, realized, reporting)
        reason = trade.reason
        if action is not None and not reason and action.qty < action.qty_ordered:
            reason = f"{trade.action} filled {action.qty} of {action.qty_ordered}: {action.reason or 'partial'}"
        result = TradeResult(
            id=opp.id, symbol=opp.symbol, buy_venue=opp.buy_venue, sell_venue=opp.sell_venue,
            intended_qty=opp.qty, buy_filled=buy.qty, sell_filled=sell.qty,
            buy_avg_price=buy.avg_price, sell_avg_price=sell.avg_price, buy_quote=buy.quote, sell_quote=sell.quote,
            buy_fee=buy.fee, sell_fee=sell.fee, one_legged=buy.qty != sell.qty, action=trade.action,
            action_venue=trade.action_venue, action_side=action.side if action is not None else "",
            action_filled=action.qty if action is not None else 0,
            action_quote=action.quote if action is not None else 0,
            action_fee=action.fee if action is not None else 0,
            residual_base=bought - sold, fees_quote=fees, realized_pnl_quote=realized,
            realized_pnl_reporting=reporting, expected_net_profit=opp.net_profit,
            ts_decision_ns=opp.ts_decision_ns, ts_submit_ns=trade.ts_submit_ns, ts_done_ns=ts_ns, reason=reason,
        )
        self.journal.append(result)
        self._results.append(result)
        self._completed.append(result)
        del self._trades[opp.id]
