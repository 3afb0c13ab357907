"""The trader: opportunities, order events and market views in; order commands out.

:class:`Trader` is the half of the decision core that owns money: the risk gate, the
portfolio (balances, locks, P&L), funding, pricing for reports, the journal and the life of
every trade — intent, both legs, the one-legged policy, the outcome. It reads no clock and
does no I/O: hosts pass the time in and hand the commands it returns to an
:class:`~arb.exec.port.ExecutionPort` (paper or live — it cannot tell which), then feed the
port's events back (:class:`~arb.decision.desk.Desk` does exactly that, for every host).

A trade, from the trader's side::

    on_opportunities: risk check → Intent (journal) → per leg: lock, Order (journal) → PlaceOrder
    on_events:        fills → portfolio; each leg's end → Fill (journal); both legs done →
                      one-legged policy (a follow-up PlaceOrder) or the TradeResult (journal)

**Client order ids are journalled before a command leaves** (``"<trade id>/<role>"``), so
whatever a crash interrupts, :meth:`Trader.restore` rebuilds the state from the journal
alone and :meth:`Trader.reconcile` asks the venues about every order in flight
(:class:`~arb.exec.port.QueryOrder`); :meth:`Trader.resume` then finishes what the crash
interrupted. Ids make every step idempotent: a decision, order or deposit is never placed
or journalled twice.

**One-legged fills** (:class:`~arb.exec.orders.OneLegged`): ``unwind`` trades the difference
back on the venue whose leg filled more, ``hedge`` offsets it on the best other venue (the
one that would fill most of it, then at the best fee-adjusted price, with the balance for
it), ``hold`` keeps it. A follow-up is one immediate-or-cancel order at the best price ±
``market_slippage_bps`` (a protected market order), rounded to the venue's lot and tick;
what it leaves is held, and the trade outcome says so.

**Operator controls** (:mod:`arb.decision.controls`): :meth:`Trader.kill`,
:meth:`~Trader.release_kill`, :meth:`~Trader.halt`, :meth:`~Trader.resume_trading` and
:meth:`~Trader.apply_settings` act on the risk gate and the venues the trader accepts, and
each is journalled as a :class:`~arb.exec.orders.Control` record, which :meth:`Trader.restore`
replays: a killed engine that restarts from its journal is still killed.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence

import msgspec

from arb.book.view import BookView, Market
from arb.core.errors import ConfigError
from arb.core.instruments import Instruments
from arb.core.numbers import ONE, mul
from arb.core.symbols import split
from arb.exec.journal import Journal, JournalError, MemoryJournal
from arb.exec.liquidity import Sweep, walk
from arb.decision.controls import Settings
from arb.exec.orders import (
    Control, Deposit, Fill, FillStatus, Intent, JournalRecord, OneLegged, Order, Role, Side, TradeResult,
)
from arb.exec.port import (
    BalancesFetched, Cancelled, CancelOrder, Command, FetchBalances, Filled, OrderEvent, PartiallyFilled, PlaceOrder,
    QueryOrder, Rejected, Unknown,
)
from arb.exec.portfolio import Portfolio, PriceFn
from arb.risk.engine import RiskEngine
from arb.risk.limits import APPROVED, RiskDecision, TradingState
from arb.scan.costs import reserve_quote
from arb.scan.opportunity import Opportunity
from arb.venues.trading import Balance

#: ``sweep(venue, symbol, buy, levels, qty, limit) → Sweep``: how much of ``qty`` the venue
#: would fill now within ``limit`` (paper: depth our own fills took is not there any more).
SweepFn = Callable[[str, str, bool, tuple[tuple[int, int], ...], int, int], Sweep]

_BPS = 10_000


class TraderConfig(msgspec.Struct, frozen=True, kw_only=True):
    """What the trader decides with. Fee rates and money are fixed ints (``0.001`` → ``10**15``).

    - ``taker_fee_rates``: per venue; a venue without a rate is never traded (its orders are
      refused before sending: a fee would be a guess).
    - ``latency_ns`` / ``default_latency_ns``: assumed decision → venue latency, stamped on every
      order as ``due_ns`` (paper execution delivers the order then).
    - ``one_legged``: the policy; ``market_slippage_bps``: how far past the best price a
      follow-up may fill.
    - ``base_value_quote``: paper research inventory — the first live view of a (venue, symbol)
      deposits this much quote worth of the base asset there (0: none).
    - ``fresh_balances``: before placing a trade, re-check risk against both venues' own
      balances — live trading never decides on arb's own cached balances. A venue's snapshot
      serves a decision only when the venue reported it for a request sent *after* arb's last
      order activity there (so it includes every order and fill of ours) and at most
      ``balances_max_age_ns`` ago; otherwise a :class:`~arb.exec.port.FetchBalances` is sent
      (one in flight per venue: decisions arriving meanwhile wait for the same answer).
      ``balances_timeout_ns``: a decision whose balances have not all arrived by then is dropped.
    """

    taker_fee_rates: dict[str, int]
    latency_ns: dict[str, int]
    default_latency_ns: int
    one_legged: OneLegged
    market_slippage_bps: int
    base_value_quote: int
    fresh_balances: bool = False
    balances_timeout_ns: int = 2_000_000_000
    balances_max_age_ns: int = 1_000_000_000

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
        if self.base_value_quote < 0:
            raise ConfigError(f"base_value_quote: must be ≥ 0, got {self.base_value_quote}")

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


class _Waiting:
    """A decision waiting for its venues' fresh balances."""

    __slots__ = ("opp", "since_ns")

    def __init__(self, opp: Opportunity, since_ns: int) -> None:
        self.opp = opp
        self.since_ns = since_ns


class _Fresh:
    """What risk reads when venues just reported their balances: the lower of the venue's free
    balance and arb's own (an order arb sent may not have reached the venue yet)."""

    __slots__ = ("portfolio", "fetched")

    def __init__(self, portfolio: Portfolio, fetched: dict[str, dict[str, Balance]]) -> None:
        self.portfolio = portfolio
        self.fetched = fetched

    def available(self, venue: str, asset: str) -> int:
        own = self.portfolio.available(venue, asset)
        reported = self.fetched.get(venue)
        if reported is None:
            return own
        balance = reported.get(asset)
        return min(own, balance.free if balance is not None else 0)

    def exposure(self, asset: str) -> int:
        return self.portfolio.exposure(asset)

    def pending(self, asset: str) -> tuple[int, int]:
        return self.portfolio.pending(asset)


class _Progress:
    """What an open order has filled so far (executions may come one by one)."""

    __slots__ = ("seq", "order", "qty", "quote", "fee", "fee_asset", "levels", "worst", "refused")

    def __init__(self, seq: int, order: Order) -> None:
        self.seq = seq
        self.order = order
        self.qty = self.quote = self.fee = self.levels = self.worst = 0
        self.fee_asset = ""
        self.refused = ""


class Trader:
    """Risk, portfolio, journal and trade lifecycle — the sans-I/O half that owns money.

    ``market`` gives the latest view of a book (follow-up prices, hedge venues, funding);
    ``reporting_price(asset)`` values P&L in the reporting currency (None: unknown);
    ``sweep`` estimates what a venue would fill now (default: a plain walk of the view);
    ``instruments`` give follow-ups their lot, tick and minimums. ``risk`` is the gate every
    opportunity passes and the breaker every order outcome feeds.
    """

    def __init__(
        self,
        config: TraderConfig,
        portfolio: Portfolio,
        market: Market,
        risk: RiskEngine,
        journal: Journal | None = None,
        instruments: Instruments | None = None,
        reporting_price: PriceFn | None = None,
        sweep: SweepFn | None = None,
    ) -> None:
        self.config = config
        self.portfolio = portfolio
        self.market = market
        self.risk = risk
        self.journal: Journal = journal if journal is not None else MemoryJournal()
        self.instruments = instruments if instruments is not None else Instruments()
        self.reporting_price = reporting_price
        self.sweep: SweepFn = sweep if sweep is not None else _plain_sweep
        self.opportunities_taken = 0
        #: Orders journalled (sent, or refused before sending), restored ones included.
        self.orders = 0
        #: Opportunities the risk gate refused, by its code.
        self.rejections: Counter[str] = Counter()
        #: The latest opportunities taken (for views of the running engine).
        self.recent: deque[Opportunity] = deque(maxlen=100)
        #: The latest opportunities decided, each with what became of it: ``ok`` (taken), the
        #: risk gate's code, ``venue-off``, ``repeat`` or why fresh balances did not come
        #: (for views of the running engine).
        self.offered: deque[tuple[Opportunity, str]] = deque(maxlen=100)
        #: Decisions waiting for fresh balances, by opportunity id (in arrival order).
        self._waiting: dict[str, _Waiting] = {}
        #: Per venue: the last snapshot it reported — (when the request for it was sent, the balances).
        self._snapshots: dict[str, tuple[int, dict[str, Balance]]] = {}
        #: Per venue: when a balance request was sent and is not answered yet.
        self._fetching: dict[str, int] = {}
        #: Per venue: arb's last order activity there (an order sent, an event about one).
        self._activity: dict[str, int] = {}
        #: Balances a venue reported that differ from arb's own books (venue, asset) → (venue's, arb's).
        self.discrepancies: dict[tuple[str, str], tuple[int, int]] = {}
        self._seq = 0
        self._trades: dict[str, _Trade] = {}
        self._open: dict[str, _Progress] = {}
        self._ids: set[str] = set()
        self._deposits: set[str] = set()
        self._funded: set[tuple[str, str]] = set()
        #: Journalled orders rejected on placement whose outcome a crash kept from the journal.
        self._unsettled: dict[str, Order] = {}
        self._results: list[TradeResult] = []
        self._completed: list[TradeResult] = []
        #: Orders done, by (venue, status) — ``filled``, ``partial``, ``expired``, ``rejected``.
        self.order_outcomes: Counter[tuple[str, str]] = Counter()
        #: The operator's last settings (None: as configured); see :meth:`apply_settings`.
        self.settings: Settings | None = None
        #: Venues the operator took out of trading: opportunities there are refused.
        self.disabled_venues: frozenset[str] = frozenset()
        #: Control records journalled (restored ones included): the next id.
        self._controls = 0

    # -- reading ---------------------------------------------------------------------------
    def open_legs(self) -> int:
        """Orders sent and not done yet."""
        return len(self._open)

    def open_orders(self) -> list[Order]:
        """Orders sent and not done, in the order they are due (then sent)."""
        return [p.order for p in sorted(self._open.values(), key=lambda p: (p.order.due_ns, p.seq))]

    def results(self) -> list[TradeResult]:
        """Every completed trade so far, in completion order."""
        return list(self._results)

    def take_completed(self) -> list[TradeResult]:
        """Trades completed since the last call."""
        done, self._completed = self._completed, []
        return done

    def balances(self) -> dict[tuple[str, str], int]:
        """Free balance per (venue, asset) now: what a remote decider sizes with."""
        portfolio = self.portfolio
        return {key: portfolio.available(*key) for key in portfolio.balances()}

    def pnl(self) -> int | None:
        """Mark-to-market P&L in the reporting currency; None when an asset held cannot be priced."""
        if self.reporting_price is None:
            return None
        return self.portfolio.mtm_pnl(self.reporting_price)

    # -- input: market ---------------------------------------------------------------------
    def on_views(self, views: Iterable[BookView], now_ns: int) -> int:
        """Views that changed. Funds (venue, base) the first time its book is live with both
        sides, when ``base_value_quote`` is set (journalled ``fund/<venue>/<symbol>``, once).
        Returns how many deposits were made."""
        if not self.config.base_value_quote:
            return 0
        made = 0
        for view in views:
            key = (view.venue, view.symbol)
            if key in self._funded or view.state != "live" or not (view.bids and view.asks):
                continue
            self._funded.add(key)
            mid = (view.bids[0][0] + view.asks[0][0]) // 2
            if mid > 0:
                base, _ = split(view.symbol)
                made += self.deposit(view.venue, base, self.config.base_value_quote * ONE // mid, now_ns,
                                     f"fund/{view.venue}/{view.symbol}")
        return made

    # -- input: decisions ------------------------------------------------------------------
    def on_opportunities(self, opportunities: Iterable[Opportunity], now_ns: int) -> list[Command]:
        """Risk-check each opportunity against the portfolio now and place the approved ones
        (both legs at once). Returns the commands to send."""
        commands: list[Command] = []
        disabled = self.disabled_venues
        for opp in opportunities:
            if disabled and (opp.buy_venue in disabled or opp.sell_venue in disabled):
                self.rejections["venue-off"] += 1
                self.offered.append((opp, "venue-off"))
                continue
            decision = self.risk.check(opp, self.portfolio, now_ns, len(self._open))
            if not decision.approved:
                self.rejections[decision.code] += 1
                self.offered.append((opp, decision.code))
                continue
            if self.config.fresh_balances:
                if opp.id not in self._waiting and opp.id not in self._ids:
                    self._waiting[opp.id] = _Waiting(opp, now_ns)
            else:
                placed = self._submit(opp, now_ns)
                if placed is not None:
                    self.opportunities_taken += 1
                    self.recent.append(opp)
                    commands += placed
                self.offered.append((opp, "ok" if placed is not None else "repeat"))
        if self._waiting:
            self._decide_waiting(now_ns, commands)
        return commands

    def _decide_waiting(self, now_ns: int, commands: list[Command]) -> None:
        """Decide every waiting opportunity whose venues have fresh snapshots; ask for the
        snapshots missing (one request in flight per venue)."""
        fresh = {venue: snap[1] for venue, snap in self._snapshots.items() if self._is_fresh(venue, snap[0], now_ns)}
        wanted: list[str] = []
        for key, waiting in list(self._waiting.items()):
            opp = waiting.opp
            venues = (opp.buy_venue, opp.sell_venue)
            missing = [v for v in venues if v not in fresh]
            if missing:
                wanted += [v for v in missing if v not in self._fetching and v not in wanted]
                continue
            del self._waiting[key]
            decision = self.risk.check(opp, _Fresh(self.portfolio, fresh), now_ns, len(self._open))
            if not decision.approved:
                self.rejections[decision.code] += 1
                self.offered.append((opp, decision.code))
                continue
            placed = self._submit(opp, now_ns)
            if placed is not None:
                self.opportunities_taken += 1
                self.recent.append(opp)
                commands += placed
                for venue in venues:  # these snapshots predate the orders just sent
                    fresh.pop(venue, None)
            self.offered.append((opp, "ok" if placed is not None else "repeat"))
        if wanted:
            for venue in wanted:
                self._fetching[venue] = now_ns
            commands.append(FetchBalances(tuple(wanted), "fresh"))

    def _is_fresh(self, venue: str, requested_ns: int, now_ns: int) -> bool:
        return requested_ns >= self._activity.get(venue, -1) and now_ns - requested_ns <= self.config.balances_max_age_ns

    def submit(self, opportunity: Opportunity, now_ns: int) -> list[Command] | None:
        """Place both legs of ``opportunity`` now, without the risk gate (the caller checked).
        None when the id was submitted before (by this trader or, per the journal, an earlier
        life); else the commands (possibly none: both legs refused before sending)."""
        return self._submit(opportunity, now_ns)

    def _submit(self, opportunity: Opportunity, now_ns: int) -> list[Command] | None:
        if opportunity.id in self._ids:
            return None
        self.risk.record_notional(opportunity.notional_quote, now_ns)
        self._ids.add(opportunity.id)
        intent = Intent(id=opportunity.id, ts_ns=now_ns, opportunity=opportunity)
        if self.journal.append(intent) is not intent:
            return None  # an earlier life journalled this decision: never place it twice
        trade = self._trades[opportunity.id] = _Trade(opportunity, now_ns)
        commands: list[Command] = []
        self._place(trade, Role.BUY, opportunity.buy_venue, Side.BUY, opportunity.qty, opportunity.buy_limit, now_ns, commands)
        self._place(trade, Role.SELL, opportunity.sell_venue, Side.SELL, opportunity.qty, opportunity.sell_limit, now_ns, commands)
        if not trade.pending:
            self._legs_done(trade, now_ns, commands)
        return commands

    # -- input: order events ---------------------------------------------------------------
    def on_events(self, events: Iterable[OrderEvent], now_ns: int) -> list[Command]:
        """What the venues said about our orders, in order. Returns follow-up commands."""
        commands: list[Command] = []
        for event in events:
            if isinstance(event, BalancesFetched):
                self._on_balances(event, now_ns, commands)
                continue
            progress = self._open.get(event.order_id)
            if progress is None:
                continue  # an order we already closed (a late or repeated event)
            self._activity[progress.order.venue] = now_ns
            if isinstance(event, (PartiallyFilled, Filled)):
                self._apply(progress, event)
                if isinstance(event, Filled):
                    self._close(progress, event.ts_ns, "", commands)
            elif isinstance(event, Cancelled):
                self._close(progress, event.ts_ns, event.reason, commands)
            elif isinstance(event, Rejected):
                progress.refused = f"{event.reason_class}: {event.reason}"
                self._close(progress, event.ts_ns, progress.refused, commands, rejected=True)
            elif isinstance(event, Unknown):  # a request that timed out after it left: an order error; ask again
                self.risk.record_order(False, event.ts_ns)
                commands.append(QueryOrder(progress.order))
            # Accepted changes nothing: the order stays open until it fills or ends.
        return commands

    def _on_balances(self, event: BalancesFetched, now_ns: int, commands: list[Command]) -> None:
        venue = event.venue
        requested = self._fetching.pop(venue, None)
        if event.error:
            self._snapshots.pop(venue, None)
            dropped = [k for k, w in self._waiting.items() if venue in (w.opp.buy_venue, w.opp.sell_venue)]
            for key in dropped:
                self.offered.append((self._waiting.pop(key).opp, "balances-unavailable"))
            self.rejections["balances-unavailable"] += len(dropped)
            return
        if requested is not None:
            self._snapshots[venue] = (requested, event.balances)
            self._compare(venue, event.balances)
        if self._waiting:
            self._decide_waiting(now_ns, commands)

    def _compare(self, venue: str, balances: Mapping[str, Balance]) -> None:
        """Note where a venue's total differs from arb's books (a fill arb missed, a transfer)."""
        portfolio = self.portfolio
        assets = {asset for v, asset in portfolio.balances() if v == venue} | set(balances)
        for asset in assets:
            reported = balances.get(asset)
            theirs = reported.free + reported.locked if reported is not None else 0
            ours = portfolio.balance(venue, asset)
            if theirs != ours:
                self.discrepancies[(venue, asset)] = (theirs, ours)
            else:
                self.discrepancies.pop((venue, asset), None)

    @property
    def waiting(self) -> bool:
        """Decisions wait for fresh balances, or balance requests are out (:meth:`expire`
        has something to time out)."""
        return bool(self._waiting or self._fetching)

    def expire(self, now_ns: int) -> int:
        """Drop decisions whose fresh balances did not all arrive in time (and forget balance
        requests never answered); returns how many decisions were dropped."""
        if not self._waiting and not self._fetching:
            return 0
        limit = self.config.balances_timeout_ns
        late = [k for k, w in self._waiting.items() if now_ns - w.since_ns > limit]
        for key in late:
            self.offered.append((self._waiting.pop(key).opp, "balances-timeout"))
            self.rejections["balances-timeout"] += 1
        for venue in [v for v, sent in self._fetching.items() if now_ns - sent > limit]:
            del self._fetching[venue]
        return len(late)

    def _apply(self, progress: _Progress, fill: PartiallyFilled | Filled) -> None:
        fee_asset = "" if fill.fee_asset in ("", split(progress.order.symbol)[1]) else fill.fee_asset
        if progress.fee and fee_asset != progress.fee_asset:
            # One fee asset per order (what the Fill record holds): a venue that switched
            # mid-order is a discrepancy to see, not to average away.
            progress.refused = f"fees in two assets ({progress.fee_asset or 'quote'}, {fee_asset or 'quote'})"
            return
        refused = self.portfolio.fill(progress.order.id, fill.qty, fill.quote, fill.fee, fee_asset)
        if refused is not None:
            progress.refused = refused
            return
        progress.qty += fill.qty
        progress.quote += fill.quote
        if fill.fee:
            progress.fee += fill.fee
            progress.fee_asset = fee_asset
        progress.levels += fill.levels
        if fill.qty:
            progress.worst = fill.worst_price

    def _close(self, progress: _Progress, ts_ns: int, reason: str, commands: list[Command], rejected: bool = False) -> None:
        order = progress.order
        del self._open[order.id]
        self.portfolio.close_order(order.id)
        if progress.qty:
            status = FillStatus.FILLED if progress.qty == order.qty else FillStatus.PARTIAL
            reason = progress.refused
        elif rejected or progress.refused:
            status, reason = FillStatus.REJECTED, progress.refused or reason
        else:
            status = FillStatus.EXPIRED
        fill = self._outcome(order, progress.qty, progress.quote, progress.fee, progress.levels, progress.worst, ts_ns, status, reason,
                             progress.fee_asset)
        trade = self._trades[order.trade_id]
        trade.fills[order.role] = fill
        trade.pending -= 1
        if not trade.pending:
            self._legs_done(trade, ts_ns, commands)

    # -- capital and recovery --------------------------------------------------------------
    def deposit(self, venue: str, asset: str, amount: int, ts_ns: int, deposit_id: str | None = None) -> bool:
        """Fund ``venue`` with ``amount`` of ``asset`` (starting capital, not P&L), journalled
        as a :class:`~arb.exec.orders.Deposit` so recovery rebuilds it. An id already
        deposited (by this trader or, after :meth:`restore`, an earlier life) changes
        nothing: returns False. Default id ``deposit/<n>``, n counting this trader's deposits
        (restored ones included)."""
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
        """Rebuild the trader from a journal alone (default: its own ``journal``).

        Afterwards balances (from the deposits), the locks and remaining size of open
        orders, fees, refused fills, realized P&L, completed trades, trades in flight and
        their open orders (same due times, same order) are exactly what the trader that
        wrote the journal had after its last record; every order outcome is replayed into the
        risk gate's breaker. Needs a fresh trader (empty portfolio, nothing submitted). Then
        send :meth:`reconcile`'s commands (ask the venues about the orders in flight) and call
        :meth:`resume` to finish what a crash interrupted. Returns the records read.
        """
        if self._ids or self._deposits or self._open or self._results or self.portfolio.balances():
            raise ValueError("restore() needs a fresh executor: this trader already holds balances, orders or trades")
        portfolio = self.portfolio
        n = 0
        for record in self.journal if records is None else records:
            n += 1
            if isinstance(record, Deposit):
                self._deposits.add(record.id)
                if record.id.startswith("fund/"):
                    venue, _, symbol = record.id[len("fund/"):].partition("/")
                    self._funded.add((venue, symbol))
                portfolio.deposit(record.venue, record.asset, record.amount)
            elif isinstance(record, Intent):
                self._ids.add(record.id)
                self._trades[record.id] = _Trade(record.opportunity, record.ts_ns)
            elif isinstance(record, Order):
                self.orders += 1
                trade = self._journalled_trade(record.trade_id, record)
                if record.role in (Role.UNWIND, Role.HEDGE):
                    trade.action, trade.action_role, trade.action_venue = record.role, record.role, record.venue
                if record.status == "open":
                    refused = portfolio.open_order(record.id, record.venue, record.symbol, record.side, record.qty, record.lock)
                    if refused is not None:
                        raise JournalError(f"journal does not replay: order {record.id}: {refused}")
                    self._seq += 1
                    self._open[record.id] = _Progress(self._seq, record)
                    trade.pending += 1
                else:
                    self._unsettled[record.id] = record
            elif isinstance(record, Fill):
                trade = self._journalled_trade(record.trade_id, record)
                self._unsettled.pop(record.id, None)
                if self._open.pop(record.id, None) is not None:
                    if record.qty:
                        refused = portfolio.fill(record.id, record.qty, record.quote, record.fee, record.fee_asset)
                        if refused is not None:
                            raise JournalError(f"journal does not replay: fill {record.id}: {refused}")
                    elif record.status == FillStatus.REJECTED:
                        portfolio.refused_fills += 1  # the live fill was refused by the portfolio
                    portfolio.close_order(record.id)
                    trade.pending -= 1
                elif record.role == trade.action_role:  # a follow-up rejected on placement
                    trade.reason = record.reason
                trade.fills[record.role] = record
                self.order_outcomes[(record.venue, record.status)] += 1
                self.risk.record_order(record.status != FillStatus.REJECTED, record.ts_ns)
            elif isinstance(record, Control):
                self._controls += 1
                self._control(record)
            elif isinstance(record, TradeResult):
                ended = self._trades.pop(record.id, None)
                if ended is None:
                    raise JournalError(f"journal does not replay: outcome of unknown trade {record.id}")
                portfolio.realize(ended.opp.quote, record.realized_pnl_quote, record.realized_pnl_reporting)
                self._results.append(record)
        return n

    def reconcile(self) -> list[Command]:
        """After :meth:`restore`: ask the venues about every order in flight (by client id)."""
        return [QueryOrder(order) for order in self.open_orders()]

    def _journalled_trade(self, trade_id: str, record: JournalRecord) -> _Trade:
        trade = self._trades.get(trade_id)
        if trade is None:
            raise JournalError(f"journal does not replay: {type(record).__name__} {record.id} of unknown trade {trade_id}")
        return trade

    def resume(self) -> list[Command]:
        """Finish what a crash interrupted, as the interrupted call would have: place the
        missing legs of a journalled intent (at the intent's time; the journal never holds
        an order twice) and settle trades whose orders are all done (follow-up or outcome,
        against the market now). Idempotent. Returns the commands to send; trades it
        completed are in :meth:`take_completed`."""
        commands: list[Command] = []
        for order in self._unsettled.values():
            trade = self._trades[order.trade_id]
            trade.fills[order.role] = self._outcome(order, 0, 0, 0, 0, 0, order.ts_submit_ns, FillStatus.REJECTED, order.reason)
            if order.role == trade.action_role:
                trade.reason = order.reason
        self._unsettled.clear()
        open_roles = {(p.order.trade_id, p.order.role) for p in self._open.values()}
        for trade in list(self._trades.values()):
            opp = trade.opp
            placed = {role for role in (Role.BUY, Role.SELL) if role in trade.fills or (opp.id, role) in open_roles}
            if len(placed) < 2:
                if Role.BUY not in placed:
                    self._place(trade, Role.BUY, opp.buy_venue, Side.BUY, opp.qty, opp.buy_limit, trade.ts_submit_ns, commands)
                if Role.SELL not in placed:
                    self._place(trade, Role.SELL, opp.sell_venue, Side.SELL, opp.qty, opp.sell_limit, trade.ts_submit_ns, commands)
                if not trade.pending:
                    self._legs_done(trade, trade.ts_submit_ns, commands)
            elif not trade.pending:
                self._legs_done(trade, max(f.ts_ns for f in trade.fills.values()), commands)
        return commands

    # -- operator controls -------------------------------------------------------------------
    def kill(self, reason: str, now_ns: int) -> list[Command]:
        """Kill switch: halt everything (see :meth:`RiskEngine.kill`) — nothing is placed, not
        even a follow-up — until :meth:`release_kill` and :meth:`resume_trading`; forget
        decisions waiting for balances, and cancel every open order. Journalled. Returns the
        cancels to send (:meth:`~arb.decision.desk.Desk.kill` sends them). Already engaged:
        nothing more is journalled (a recurring internal error must not flood the journal);
        the first reason stands."""
        if not self.risk.killed:
            self._operate("kill", reason, now_ns)
        self._waiting.clear()
        return [CancelOrder(p.order.id, p.order.venue, p.order.symbol) for p in self._open.values()]

    def release_kill(self, reason: str, now_ns: int) -> RiskDecision:
        """Disarm the kill switch; trading stays halted until :meth:`resume_trading`. Journalled."""
        return self._operate("release", reason, now_ns)

    def halt(self, reason: str, now_ns: int) -> RiskDecision:
        """Stop taking trades (follow-ups too) until :meth:`resume_trading`. Journalled."""
        return self._operate("halt", reason, now_ns)

    def resume_trading(self, reason: str, now_ns: int) -> RiskDecision:
        """Back to active trading (clears the circuit breaker's window). Refused — and not
        journalled — while the kill switch is engaged: the decision says why."""
        if self.risk.killed:
            return RiskDecision(False, "killed", f"kill switch engaged ({self.risk.reason}); release it first")
        return self._operate("resume", reason, now_ns)

    def apply_settings(self, settings: Settings, reason: str, now_ns: int) -> RiskDecision:
        """The operator's settings (built and validated by :func:`arb.decision.controls.change`):
        the risk gate's notional limit and the venues it accepts (hosts apply the same value
        to their deciders). Journalled."""
        record = Control(
            id=f"control/{self._controls}", ts_ns=now_ns, action="settings", reason=reason,
            min_profit_quote=settings.min_profit_quote, max_notional_quote=settings.max_notional_quote,
            disabled_venues=tuple(sorted(settings.disabled_venues)),
        )
        return self._journal_control(record)

    def _operate(self, action: str, reason: str, now_ns: int) -> RiskDecision:
        return self._journal_control(Control(id=f"control/{self._controls}", ts_ns=now_ns, action=action, reason=reason))

    def _journal_control(self, record: Control) -> RiskDecision:
        # Like deposits: the effect first (a kill must act even if the disk is full), then the journal.
        self._control(record)
        self._controls += 1
        self.journal.append(record)
        return APPROVED

    def _control(self, record: Control) -> None:
        """Apply one control record (live, or replayed from the journal)."""
        risk, action, ts = self.risk, record.action, record.ts_ns
        if action == "kill":
            risk.kill(record.reason, ts)
        elif action == "release":
            risk.release_kill(record.reason, ts)
        elif action == "halt":
            risk.set_state(TradingState.HALTED, f"halted by operator: {record.reason}", ts)
        elif action == "resume":
            risk.set_state(TradingState.ACTIVE, f"resumed by operator: {record.reason}", ts)
        elif action == "settings":
            if record.min_profit_quote is None:
                raise JournalError(f"control {record.id}: settings without min_profit_quote")
            settings = Settings(
                min_profit_quote=record.min_profit_quote, max_notional_quote=record.max_notional_quote,
                disabled_venues=record.disabled_venues,
            )
            self.settings = settings
            self.disabled_venues = frozenset(settings.disabled_venues)
            risk.limits = msgspec.structs.replace(risk.limits, max_notional_quote=settings.max_notional_quote)
        else:
            raise JournalError(f"control {record.id}: unknown action {action!r}")

    # -- orders ----------------------------------------------------------------------------
    def _place(
        self, trade: _Trade, role: str, venue: str, side: str, qty: int, limit: int, now_ns: int, commands: list[Command]
    ) -> Order:
        symbol = trade.opp.symbol
        order_id = f"{trade.opp.id}/{role}"
        rate = self.config.taker_fee_rates.get(venue)
        lock = 0
        if rate is None:
            reason: str | None = f"no taker fee rate for {venue}"
        else:
            lock = reserve_quote(limit, qty, rate) if side == Side.BUY else qty
            reason = self.portfolio.open_order(order_id, venue, symbol, side, qty, lock)
        order = Order(
            id=order_id, trade_id=trade.opp.id, role=str(role), venue=venue, symbol=symbol, side=str(side),
            qty=qty, limit_price=limit, lock=lock, ts_submit_ns=now_ns, due_ns=now_ns + self.config.latency(venue),
            status="open" if reason is None else "rejected", reason=reason or "",
        )
        stored = self.journal.append(order)
        if stored is not order:  # journalled by an earlier life: never twice
            if reason is None:
                self.portfolio.close_order(order_id)
            assert isinstance(stored, Order)
            return stored
        self.orders += 1
        if reason is None:
            self._seq += 1
            self._open[order_id] = _Progress(self._seq, order)
            trade.pending += 1
            self._activity[venue] = now_ns
            commands.append(PlaceOrder(order))
        else:
            trade.fills[order.role] = self._outcome(order, 0, 0, 0, 0, 0, now_ns, FillStatus.REJECTED, reason)
        return order

    def _outcome(
        self, order: Order, filled: int, quote: int, fee: int, levels: int, worst: int,
        ts_ns: int, status: FillStatus, reason: str, fee_asset: str = "",
    ) -> Fill:
        fill = Fill(
            id=order.id, trade_id=order.trade_id, role=order.role, venue=order.venue, symbol=order.symbol,
            side=order.side, qty_ordered=order.qty, qty=filled, quote=quote, fee=fee,
            avg_price=quote * ONE // filled if filled else 0, worst_price=worst, levels=levels, ts_ns=ts_ns,
            status=str(status), reason=reason, fee_asset=fee_asset,
        )
        self.journal.append(fill)
        self.order_outcomes[(order.venue, str(status))] += 1
        self.risk.record_order(status is not FillStatus.REJECTED, ts_ns)
        return fill

    # -- one-legged fills ------------------------------------------------------------------
    def _legs_done(self, trade: _Trade, ts_ns: int, commands: list[Command]) -> None:
        if trade.action_role:  # the follow-up is done too
            self._finish(trade, ts_ns)
            return
        diff = trade.fills[Role.BUY].qty - trade.fills[Role.SELL].qty
        if not diff:
            self._finish(trade, ts_ns)
            return
        trade.action = str(self.config.one_legged)
        reason = self._follow_up(trade, diff, ts_ns, commands)
        if reason is not None:
            trade.action = str(OneLegged.HOLD)
            trade.reason = reason
            self._finish(trade, ts_ns)
        elif not trade.pending:  # the follow-up was rejected on placement
            trade.reason = trade.fills[trade.action_role].reason
            self._finish(trade, ts_ns)

    def _follow_up(self, trade: _Trade, diff: int, ts_ns: int, commands: list[Command]) -> str | None:
        """Place the unwind/hedge order for ``diff`` (+: sell it, −: buy it); a hold reason if not."""
        policy = self.config.one_legged
        if policy is OneLegged.HOLD:
            return "policy: hold"
        opp = trade.opp
        side = Side.SELL if diff > 0 else Side.BUY
        qty = abs(diff)
        decision = self.risk.check_order(opp.symbol, str(side), qty, self.portfolio)
        if not decision.approved:
            return f"risk: {decision.reason}"
        if policy is OneLegged.UNWIND:
            role = Role.UNWIND
            venue: str | None = opp.buy_venue if side == Side.SELL else opp.sell_venue
        else:
            role = Role.HEDGE
            venue = self._hedge_venue(opp, side, qty)
            if venue is None:
                return "no venue to hedge on"
        assert venue is not None
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
        self._place(trade, role, venue, side, qty, limit, ts_ns, commands)
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
        ties go to the first venue by name."""
        base, quote = split(opp.symbol)
        buy = side == Side.BUY
        exclude = opp.sell_venue if buy else opp.buy_venue
        best_venue, best_key = None, None
        for venue, rate in sorted(self.config.taker_fee_rates.items()):
            if venue == exclude or venue in self.disabled_venues:
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
            sweep = self.sweep(venue, opp.symbol, buy, view.asks if buy else view.bids, qty, limit)
            if not sweep.filled:
                continue
            # Average price after the fee, as a cost to minimize (a sell's proceeds negated).
            unit = sweep.raw * ((ONE + rate) if buy else -(ONE - rate)) // sweep.filled
            key = (-sweep.filled, unit)
            if best_key is None or key < best_key:
                best_venue, best_key = venue, key
        return best_venue

    # -- outcome ---------------------------------------------------------------------------
    def _fee_value(self, fill: Fill, base: str) -> tuple[int, int]:
        """``(fee in quote, fee in base)`` of a fill: what realized P&L subtracts, and what it
        took from the base position (a fee in a third asset is valued through the reporting
        currency)."""
        asset = fill.fee_asset
        if not fill.fee or not asset:
            return fill.fee, 0
        if asset == base:
            return _fee_in_quote(fill.fee, fill.qty, fill.quote), fill.fee
        price, quote_price = (self.reporting_price(asset), self.reporting_price(split(fill.symbol)[1])) if self.reporting_price else (None, None)
        if not price or not quote_price:
            return 0, 0  # valued nowhere; the portfolio still holds the exact fee
        return -((-fill.fee * price) // quote_price), 0

    def _finish(self, trade: _Trade, ts_ns: int) -> None:
        opp = trade.opp
        buy, sell = trade.fills[Role.BUY], trade.fills[Role.SELL]
        action = trade.fills.get(trade.action_role) if trade.action_role else None
        bought, cost = buy.qty, buy.quote
        sold, proceeds = sell.qty, sell.quote
        base_fees = 0
        fees = 0
        for fill in (buy, sell, action):
            if fill is not None:
                in_quote, in_base = self._fee_value(fill, opp.base)
                fees += in_quote
                base_fees += in_base
        if action is not None:
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
            residual_base=bought - sold - base_fees, fees_quote=fees, realized_pnl_quote=realized,
            realized_pnl_reporting=reporting, expected_net_profit=opp.net_profit,
            ts_decision_ns=opp.ts_decision_ns, ts_submit_ns=trade.ts_submit_ns, ts_done_ns=ts_ns, reason=reason,
        )
        self.journal.append(result)
        self._results.append(result)
        self._completed.append(result)
        del self._trades[opp.id]


def _fee_in_quote(fee: int, qty: int, quote: int) -> int:
    """A fee of ``fee`` base on a fill of ``qty`` base for ``quote``, in quote (rounded up)."""
    return -((-fee * quote) // qty) if qty else 0


def _plain_sweep(venue: str, symbol: str, buy: bool, levels: tuple[tuple[int, int], ...], qty: int, limit: int) -> Sweep:
    return walk(levels, buy, qty, limit)


__all__: Sequence[str] = ("SweepFn", "Trader", "TraderConfig")
