"""Live execution: the port that trades on real venues, sans-I/O.

:class:`LiveVenues` implements the :class:`~arb.exec.port.ExecutionPort` for every venue with
credentials. It turns commands into signed REST requests (each venue's
:class:`~arb.venues.trading.TradingSpec`), hands them to an I/O shell
(:class:`arb.io.trading.TradingShell`) through :meth:`LiveVenues.take_requests`, and turns
the answers the shell feeds back (:meth:`~LiveVenues.on_response`,
:meth:`~LiveVenues.on_failure`) into order events. It reads no clock and opens no socket.

- **Placing.** An order is rounded to the venue's lot and tick (never worse than its limit)
  and refused before sending when it falls below the venue's minimums. Its client order id is
  the trader's order id mapped to the venue's rules (``TradingSpec.client_id``), journalled by
  the trader before the command reached here, so a crash at any point is reconciled by
  asking the venue about that id.
- **Following an order.** Immediate-or-cancel orders are done at the venue as soon as it
  answers; an answer that does not say so yet, and every resting order, is queried by client
  id (``poll_ns``, backing off to ``max_poll_ns``) until it is done. Cumulative states become
  incremental events (``PartiallyFilled``/``Filled`` carry each new execution's quantity, quote
  and fee in the venue's fee asset). A venue that finds an order by client id only in two
  requests (Kraken: open orders, then closed ones) is asked by its own order id once the
  venue named it (``TradingSpec.query_by_venue_id``), and in two steps before that
  (``TradingSpec.query_done``); a venue with no lookup by client id (Coinbase) lists the
  symbol's orders and the port picks its own (``TradingSpec.decode_found``). Fees (and the
  exact quote) an order answer lacks come from the order's trades, asked again while they
  lag the order.
- **Nonces.** Each venue's requests are signed at strictly increasing milliseconds, so a
  venue that refuses a repeated nonce (Kraken) never sees one from arb.
- **Failures.** An error answer is classified once per venue (``TradingSpec.classify``): a
  rejection ends the order (``Rejected`` with its reason); a rate limit or 5xx before the
  venue acted is retried after the venue's ``Retry-After`` (or ``retry_ns``), at most
  ``max_retries`` times, with the same client id (a venue refuses a duplicate, so a retry can
  never place twice); a request that may have reached the venue (a timeout after sending)
  makes the order ``Unknown`` and is followed by queries. A query answered "not found" right
  after such a timeout is asked again once before the order counts as never placed.
- **Venues that cancel by their own id only** (``TradingSpec.cancel_by_id``, Coinbase): a cancel
  waits until the order is named (by the place answer, or a query that finds it).
- **Private streams.** Where a venue pushes order updates on its private websocket
  (``TradingSpec.stream``, performed by :mod:`arb.io.private_stream`), the shell hands the
  decoded states to :meth:`LiveVenues.on_stream`: the order is found by client id and the state
  applied exactly as a query's answer is (the same events whichever path brought them; a
  state older than one applied never takes a fill back; updates of orders arb does not follow
  are counted and ignored). While a venue's stream is up (:meth:`~LiveVenues.on_stream_up`),
  its open orders are still queried, slowly (every ``max_poll_ns``), as a backup; each time it
  comes up — after every reconnect — every open order of the venue is queried once, so a
  fill pushed while it was down is never lost; when it drops
  (:meth:`~LiveVenues.on_stream_down`) polling returns to its usual pace.
- **Dry run.** Requests are built and signed, then logged by the shell (secrets masked) and
  never sent; orders end ``Cancelled("dry run: not sent")``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import msgspec

from arb.core.instruments import Instruments
from arb.exec.orders import Order
from arb.exec.port import (
    Accepted, BalancesFetched, Cancelled, CancelOrder, Command, FetchBalances, Filled, OrderEvent, PartiallyFilled,
    PlaceOrder, QueryOrder, Rejected, Unknown,
)
from arb.venues.base import Credentials, RestRequest
from arb.venues.trading import OrderRequest, OrderState, OrderStatus, RejectReason, TradingSpec, VenueError, order_texts

_MS = 1_000_000
#: Requests that only ask about an order (dropped once the order is done).
_FOLLOW_UPS = ("query", "query-done", "find")


@dataclass(frozen=True)
class VenueAccount:
    """Where and as whom to trade on one venue."""

    spec: TradingSpec
    credentials: Credentials
    rest_url: str
    #: The venue's websocket base (its market-data URL; the private stream is on the same
    #: host). Empty: no private stream is opened, orders are followed by polling.
    ws_url: str = ""

    @property
    def streams(self) -> bool:
        """Whether this account's order updates come over the venue's private stream."""
        return self.spec.stream is not None and bool(self.ws_url)

    def __repr__(self) -> str:  # never a credential in a log line
        return f"VenueAccount({self.spec.venue}, {self.rest_url})"


@dataclass
class Outgoing:
    """A request for the shell to perform, not earlier than ``not_before_ns``. ``build(now_ms)``
    signs it; :meth:`LiveVenues.take_requests` does so at the time it hands it over (a retry is
    signed again: a venue refuses a stale timestamp), into ``request``."""

    id: int
    venue: str
    kind: str  # place | cancel | query | query-done | find (a query listing orders) | trades | balances
    build: Callable[[int], RestRequest]
    order_id: str = ""
    token: str = ""
    not_before_ns: int = 0
    attempt: int = 0
    request: RestRequest | None = None

    def __repr__(self) -> str:  # signed requests carry keys and signatures in their headers
        method = "unsigned" if self.request is None else self.request.method
        return f"Outgoing({self.id}, {self.venue} {self.kind} {method} {self.order_id or self.token})"


@dataclass
class _Tracked:
    order: Order
    client_id: str
    request: OrderRequest | None
    #: What the venue reported so far (cumulative): qty, quote (exact Σ price × qty, 10**-18), fee.
    filled: int = 0
    quote: int = 0
    fee: int = 0
    accepted: bool = False
    done: bool = False
    polls: int = 0
    not_found: int = 0
    uncertain: bool = False
    venue_order_id: str = ""
    #: A state whose fees the venue did not say: waiting for the order's trades.
    pending: OrderState | None = None
    waiting: set[int] = field(default_factory=set)
    #: A cancel asked for before the venue named the order (venues cancelling by their own id).
    cancel_wanted: bool = False
    #: A request for the order's trades is out (its answer settles ``pending``).
    asking_trades: bool = False


class LiveVenues:
    """The live execution port over ``accounts`` (venue → :class:`VenueAccount`)."""

    def __init__(
        self,
        accounts: Mapping[str, VenueAccount],
        instruments: Instruments,
        *,
        dry_run: bool = False,
        poll_ns: int = 50 * _MS,
        max_poll_ns: int = 1_000 * _MS,
        retry_ns: int = 500 * _MS,
        max_retries: int = 5,
    ) -> None:
        self.accounts = dict(accounts)
        self.instruments = instruments
        self.dry_run = dry_run
        self.poll_ns = poll_ns
        self.max_poll_ns = max_poll_ns
        self.retry_ns = retry_ns
        self.max_retries = max_retries
        self._ids = itertools.count(1)
        self._outbox: list[Outgoing] = []
        self._events: list[OrderEvent] = []
        self._orders: dict[str, _Tracked] = {}
        #: Requests sent and not answered, by id.
        self.in_flight: dict[int, Outgoing] = {}
        self.requests_sent = 0
        #: The last ms each venue's requests were signed at (see :meth:`take_requests`).
        self._signed_ms: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        #: Called when a request is queued (the I/O shell's ``kick``).
        self.notify: Callable[[], None] | None = None
        #: (venue, client order id) → arb's order id, for updates pushed by a private stream.
        self._by_client: dict[tuple[str, str], str] = {}
        #: Venues whose private stream is up (their orders are polled slowly, as a backup).
        self.streaming: set[str] = set()
        #: Private stream updates: ``applied``, ``untracked`` (an order arb does not follow),
        #: ``ups`` and ``downs`` of the streams.
        self.stream_counts: dict[str, int] = {}

    # -- ExecutionPort ---------------------------------------------------------------------
    def submit(self, commands: Sequence[Command], now_ns: int) -> None:
        for command in commands:
            if isinstance(command, PlaceOrder):
                self._place(command.order, now_ns)
            elif isinstance(command, QueryOrder):
                tracked = self._orders.get(command.order.id)
                if tracked is None:  # after a restart: an order the journal says is in flight
                    tracked = self._track(command.order)
                    tracked.uncertain = True
                self._query(tracked, now_ns)
            elif isinstance(command, CancelOrder):
                tracked = self._orders.get(command.order_id)
                if tracked is not None and not tracked.done:
                    self._cancel(tracked, now_ns)
            elif isinstance(command, FetchBalances):
                for venue in command.venues:
                    account = self.accounts.get(venue)
                    if account is None:
                        self._events.append(BalancesFetched(venue, now_ns, command.token, {}, "no credentials for this venue"))
                        continue
                    build = _bind(account.spec.balances, account.rest_url, account.credentials)
                    self._send(Outgoing(next(self._ids), venue, "balances", build, token=command.token), now_ns)

    def next_event_ns(self) -> int | None:
        return self._events[0].ts_ns if self._events else None

    def events(self, now_ns: int) -> list[OrderEvent]:
        events, self._events = self._events, []
        return events

    # -- the shell's side ------------------------------------------------------------------
    def take_requests(self, now_ns: int) -> list[Outgoing]:
        """Requests to perform now (the rest wait for their ``not_before_ns``)."""
        due = [out for out in self._outbox if out.not_before_ns <= now_ns]
        if due:
            self._outbox = [out for out in self._outbox if out.not_before_ns > now_ns]
            due = [out for out in due if not self._settled(out)]
            for out in due:
                out.request = out.build(self.sign_ms(out.venue, now_ns))
                self.in_flight[out.id] = out
            self.requests_sent += len(due)
        return due

    def _settled(self, out: Outgoing) -> bool:
        """A queued query of an order that is done meanwhile (a stream update said so): it
        would ask nothing new, so it is dropped."""
        if out.kind not in _FOLLOW_UPS or not out.order_id:
            return False
        tracked = self._orders.get(out.order_id)
        if tracked is None or not tracked.done:
            return False
        tracked.waiting.discard(out.id)
        return True

    # -- the private streams' side -------------------------------------------------------
    def on_stream(self, venue: str, states: Sequence[OrderState], now_ns: int) -> None:
        """Order states ``venue``'s private stream pushed: each applied to the order with that
        client id as a query's answer would be (orders arb does not follow are counted)."""
        counts = self.stream_counts
        for state in states:
            order_id = self._by_client.get((venue, state.client_id))
            tracked = self._orders.get(order_id) if order_id is not None else None
            if tracked is None:
                counts["untracked"] = counts.get("untracked", 0) + 1
                continue
            counts["applied"] = counts.get("applied", 0) + 1
            self._apply(tracked, state, now_ns)

    def on_stream_up(self, venue: str, now_ns: int) -> None:
        """``venue``'s private stream (re)connected and carries updates: every open order of
        the venue is queried once now (what happened while it was down), then only slowly."""
        self.streaming.add(venue)
        self.stream_counts["ups"] = self.stream_counts.get("ups", 0) + 1
        self._hurry(venue, now_ns)

    def on_stream_down(self, venue: str, now_ns: int) -> None:
        """``venue``'s private stream dropped: its open orders are polled at the usual pace."""
        if venue in self.streaming:
            self.streaming.discard(venue)
            self.stream_counts["downs"] = self.stream_counts.get("downs", 0) + 1
            self._hurry(venue, now_ns + self.poll_ns)

    def _hurry(self, venue: str, due_ns: int) -> None:
        """Every open order of ``venue`` queried by ``due_ns``: its queued query brought
        forward, or a new one."""
        for out in self._outbox:
            if out.venue == venue and out.kind in _FOLLOW_UPS:
                out.not_before_ns = min(out.not_before_ns, due_ns)
        for tracked in self._orders.values():
            if tracked.order.venue == venue and not tracked.done and not tracked.waiting:
                tracked.polls = 0
                self._query(tracked, due_ns)
        if self.notify is not None:
            self.notify()

    def sign_ms(self, venue: str, now_ns: int) -> int:
        """The ms to sign ``venue``'s next request at: ``now_ns`` in ms, or one more than the
        last one when that was as late. Venues that number requests by a nonce (Kraken)
        refuse a repeated one; anything else signing with the same key signs through here."""
        now_ms = max(now_ns // _MS, self._signed_ms.get(venue, 0) + 1)
        self._signed_ms[venue] = now_ms
        return now_ms

    def next_request_ns(self) -> int | None:
        """When the next queued request is due (None: none queued)."""
        return min((out.not_before_ns for out in self._outbox), default=None)

    def on_response(self, out: Outgoing, status: int, body: str, headers: Mapping[str, str], now_ns: int) -> None:
        """The venue's answer to ``out`` (any status)."""
        self.in_flight.pop(out.id, None)
        account = self.accounts[out.venue]
        tracked = self._orders.get(out.order_id) if out.order_id else None
        if tracked is not None:
            tracked.waiting.discard(out.id)
        if not 200 <= status < 300:
            self._on_error(out, account.spec.classify(status, body, dict(headers)), tracked, now_ns)
            return
        try:
            if out.kind == "balances":
                self._events.append(BalancesFetched(out.venue, now_ns, out.token, account.spec.decode_balances(status, body)))
                return
            if tracked is None:
                return
            if out.kind == "trades":
                assert account.spec.decode_trades is not None and tracked.pending is not None
                executions = account.spec.decode_trades(status, body)
                pending = tracked.pending
                if executions.qty != pending.filled_qty and out.attempt < self.max_retries:
                    # The venue's trade list lags its order: ask again rather than report
                    # fees (and quote) of some of the fills only.
                    self._send(_again(out, now_ns + self.retry_ns), now_ns)
                    return
                if executions.qty != pending.filled_qty:
                    self.errors["trades-incomplete"] = self.errors.get("trades-incomplete", 0) + 1
                state = msgspec.structs.replace(
                    pending, fee=executions.fee, fee_asset=executions.fee_asset, fee_known=True,
                    # The trades' Σ price × qty is exact where an order's average price may not be (OKX).
                    quote=executions.quote if executions.qty == pending.filled_qty else pending.quote,
                )
                tracked.pending = None
                tracked.asking_trades = False
                self._apply(tracked, state, now_ns)
                return
            if out.kind == "cancel" and account.spec.decode_cancel is not None:
                account.spec.decode_cancel(status, body)
                self._query(tracked, now_ns)  # the cancel's answer does not carry the fills: ask
                return
            if out.kind == "place":
                state = account.spec.decode_place(status, body)
            elif out.kind == "find":
                assert account.spec.decode_found is not None
                state = account.spec.decode_found(status, body, tracked.client_id)
            else:
                state = account.spec.decode_order(status, body)
        except VenueError as exc:
            self._on_error(out, exc, tracked, now_ns)
            return
        if out.kind == "cancel":
            self._query(tracked, now_ns)  # the cancel's answer may not carry the fills: ask
            return
        self._apply(tracked, state, now_ns)

    def on_failure(self, out: Outgoing, reason: str, maybe_sent: bool, now_ns: int) -> None:
        """``out`` got no answer: it failed before it left (``maybe_sent`` False: safe to retry)
        or after (a timeout: the venue may have acted on it)."""
        self.in_flight.pop(out.id, None)
        tracked = self._orders.get(out.order_id) if out.order_id else None
        if tracked is not None:
            tracked.waiting.discard(out.id)
        self.errors["transport"] = self.errors.get("transport", 0) + 1
        if out.kind == "balances":
            self._events.append(BalancesFetched(out.venue, now_ns, out.token, {}, reason))
            return
        if tracked is None or tracked.done:
            return
        if not maybe_sent and out.attempt < self.max_retries:
            self._send(_again(out, now_ns + self.retry_ns), now_ns)
            return
        if out.kind == "place":
            tracked.uncertain = True
            self._events.append(Unknown(tracked.order.id, now_ns, reason))
        else:
            if out.kind == "trades":  # the next state still owing fees asks again
                tracked.asking_trades = False
            self._query(tracked, now_ns, delay_ns=self.retry_ns)

    # -- internals -------------------------------------------------------------------------
    def _track(self, order: Order) -> _Tracked:
        account = self.accounts.get(order.venue)
        client_id = account.spec.client_id(order.id) if account is not None else order.id
        tracked = self._orders[order.id] = _Tracked(order, client_id, None)
        self._by_client[(order.venue, client_id)] = order.id
        return tracked

    def _place(self, order: Order, now_ns: int) -> None:
        tracked = self._track(order)
        account = self.accounts.get(order.venue)
        if account is None:
            self._reject(tracked, now_ns, RejectReason.AUTH, f"no credentials for {order.venue}")
            return
        instrument = self.instruments.get(order.venue, order.symbol)
        if instrument is None:
            self._reject(tracked, now_ns, RejectReason.OTHER, f"no instrument for {order.symbol} on {order.venue}: refusing to guess its rules")
            return
        qty, price, qty_text, price_text = order_texts(instrument, order.qty, order.limit_price, order.side)
        if not instrument.accepts(price, qty):
            reason = RejectReason.MIN_NOTIONAL if qty >= instrument.min_qty and qty > 0 else RejectReason.LOT
            self._reject(tracked, now_ns, reason, f"{qty_text} at {price_text} is below {order.venue}'s minimum size or notional")
            return
        venue_symbol = instrument.venue_symbol
        tracked.request = OrderRequest(tracked.client_id, order.symbol, venue_symbol, order.side, qty, price, qty_text, price_text, order.tif)
        build = _bind(account.spec.place, account.rest_url, account.credentials, tracked.request)
        self._send(Outgoing(next(self._ids), order.venue, "place", build, order.id), now_ns)
        if self.dry_run:  # the shell logs it (secrets masked) and sends nothing
            tracked.done = True
            self._events.append(Cancelled(order.id, now_ns, "dry run: not sent"))

    def _query(self, tracked: _Tracked, now_ns: int, delay_ns: int = 0, kind: str = "query") -> None:
        """Ask the venue about ``tracked``: by its venue id where the venue needs that
        (``query_by_venue_id``) and it is known, else by client id (``kind`` "query-done":
        the second half of a split lookup, ``query_done``; sent as "find" where the answer
        lists orders, ``decode_found``)."""
        account = self.accounts.get(tracked.order.venue)
        if account is None or tracked.waiting:
            return
        spec, venue_symbol = account.spec, self._venue_symbol(tracked.order)
        if kind == "query" and tracked.venue_order_id and spec.query_by_venue_id is not None:
            build = _bind(spec.query_by_venue_id, account.rest_url, account.credentials, tracked.venue_order_id, venue_symbol)
        else:
            fn = spec.query_done if kind == "query-done" and spec.query_done is not None else spec.query
            build = _bind(fn, account.rest_url, account.credentials, tracked.client_id, venue_symbol)
            if kind == "query" and spec.decode_found is not None:  # the answer lists orders: ours is picked by client id
                kind = "find"
        self._send(Outgoing(next(self._ids), tracked.order.venue, kind, build, tracked.order.id, not_before_ns=now_ns + delay_ns), now_ns)

    def _cancel(self, tracked: _Tracked, now_ns: int) -> None:
        account = self.accounts[tracked.order.venue]
        spec, symbol = account.spec, self._venue_symbol(tracked.order)
        if tracked.venue_order_id and spec.cancel_by_id is not None:
            build = _bind(spec.cancel_by_id, account.rest_url, account.credentials, tracked.venue_order_id, symbol)
        elif spec.cancel is not None:
            build = _bind(spec.cancel, account.rest_url, account.credentials, tracked.client_id, symbol)
        else:  # the venue cancels by its own id only: find the order, cancel once it is named (_apply)
            tracked.cancel_wanted = True
            self._query(tracked, now_ns)
            return
        self._send(Outgoing(next(self._ids), tracked.order.venue, "cancel", build, tracked.order.id), now_ns)

    def _venue_symbol(self, order: Order) -> str:
        instrument = self.instruments.get(order.venue, order.symbol)
        if instrument is None:
            raise LookupError(f"no instrument for {order.venue} {order.symbol}: its venue symbol is unknown")
        return instrument.venue_symbol

    def _send(self, out: Outgoing, now_ns: int) -> None:
        if out.order_id:
            tracked = self._orders.get(out.order_id)
            if tracked is not None:
                tracked.waiting.add(out.id)
        self._outbox.append(out)
        if self.notify is not None:
            self.notify()

    def _reject(self, tracked: _Tracked, now_ns: int, reason: RejectReason, message: str) -> None:
        tracked.done = True
        self._events.append(Rejected(tracked.order.id, now_ns, reason, message))

    def _apply(self, tracked: _Tracked, state: OrderState, now_ns: int) -> None:
        """A cumulative state → the events it adds to what was reported before."""
        if tracked.done:
            return
        if state.venue_order_id:
            tracked.venue_order_id = state.venue_order_id
        account = self.accounts[tracked.order.venue]
        if not state.fee_known and state.filled_qty > tracked.filled and account.spec.trades is not None:
            tracked.pending = state  # the fills' fees come with the order's trades: ask for them
            if tracked.asking_trades:  # asked already: its answer is checked against this state
                return
            tracked.asking_trades = True
            build = _bind(account.spec.trades, account.rest_url, account.credentials, self._venue_symbol(tracked.order),
                          state.venue_order_id)
            self._send(Outgoing(next(self._ids), tracked.order.venue, "trades", build, tracked.order.id), now_ns)
            return
        if not state.fee_known and state.filled_qty <= tracked.filled:
            # Nothing new filled: the state's fee (and a quote from a rounded average price)
            # say nothing the reported figures do not already.
            state = msgspec.structs.replace(state, quote=tracked.quote, fee=tracked.fee)
        order_id = tracked.order.id
        if not tracked.accepted and state.status is not OrderStatus.REJECTED:
            tracked.accepted = True
            self._events.append(Accepted(order_id, now_ns, state.venue_order_id))
        tracked.not_found = 0
        qty, quote, fee = state.filled_qty - tracked.filled, state.quote - tracked.quote, state.fee - tracked.fee
        if qty < 0 or quote < 0 or fee < 0:  # a venue never un-fills: keep what we had, note it
            self.errors["went-back"] = self.errors.get("went-back", 0) + 1
            qty = quote = fee = 0
        tracked.filled, tracked.quote, tracked.fee = tracked.filled + qty, tracked.quote + quote, tracked.fee + fee
        if state.status is OrderStatus.FILLED:
            tracked.done = True
            self._events.append(Filled(order_id, now_ns, qty, quote, fee, fee_asset=state.fee_asset))
            return
        if qty:
            self._events.append(PartiallyFilled(order_id, now_ns, qty, quote, fee, fee_asset=state.fee_asset))
        if state.status is OrderStatus.CANCELLED:
            tracked.done = True
            self._events.append(Cancelled(order_id, now_ns, state.reason or "cancelled"))
        elif state.status is OrderStatus.REJECTED:
            tracked.done = True
            self._events.append(Rejected(order_id, now_ns, RejectReason.OTHER, state.reason or "rejected by the venue"))
        elif tracked.cancel_wanted and tracked.venue_order_id:  # named now: the cancel asked for earlier
            tracked.cancel_wanted = False
            self._cancel(tracked, now_ns)
        else:  # still open: follow it (slowly while the venue's stream pushes its updates)
            tracked.polls += 1
            # An IOC is settled by the time the venue answers its placement: the first question
            # goes at once (it waited poll_ns: 50 ms added to every fill learned by polling).
            # A venue whose private stream is up tells us itself: polling is only the backup.
            n = tracked.polls - (2 if tracked.order.tif == "ioc" else 1)
            delay = 0 if n < 0 else min(self.max_poll_ns, self.poll_ns * 2 ** min(n, 10))
            if tracked.order.venue in self.streaming:
                delay = self.max_poll_ns
            self._query(tracked, now_ns, delay_ns=delay)

    def _on_error(self, out: Outgoing, error: VenueError, tracked: _Tracked | None, now_ns: int) -> None:
        reason = error.reason
        self.errors[str(reason)] = self.errors.get(str(reason), 0) + 1
        if out.kind == "balances":
            if reason.retryable and out.attempt < self.max_retries:
                # Backing off: a venue whose limit is a decaying counter (Kraken: 0.33 a second)
                # refuses every retry at a fixed short interval (0.5, 1, 2, 4, 8 s: 15.5 s in all).
                wait = (round(error.retry_after_s * 1e9) if error.retry_after_s is not None
                        else self.retry_ns * 2 ** out.attempt)
                self._send(_again(out, now_ns + wait), now_ns)
            else:
                self._events.append(BalancesFetched(out.venue, now_ns, out.token, {}, str(error)))
            return
        if tracked is None or tracked.done:
            return
        if reason.retryable and out.attempt < self.max_retries:
            wait = round(error.retry_after_s * 1e9) if error.retry_after_s is not None else self.retry_ns
            self._send(_again(out, now_ns + wait), now_ns)
            return
        if out.kind == "place":
            if reason is RejectReason.DUPLICATE:  # sent before (a retry, a restart): find out what it became
                self._query(tracked, now_ns)
            elif reason is RejectReason.UNKNOWN_STATE:
                tracked.uncertain = True
                self._events.append(Unknown(tracked.order.id, now_ns, str(error)))
            else:
                self._reject(tracked, now_ns, reason, error.message)
        elif out.kind in ("query", "query-done", "find"):
            spec = self.accounts[out.venue].spec
            if reason is RejectReason.NOT_FOUND and out.kind == "query" and spec.query_done is not None \
                    and not (tracked.venue_order_id and spec.query_by_venue_id is not None):
                self._query(tracked, now_ns, kind="query-done")  # not open: maybe done
                return
            if reason is RejectReason.NOT_FOUND:
                tracked.not_found += 1
                if tracked.uncertain and tracked.not_found < 2:  # a timed-out place may show up late
                    self._query(tracked, now_ns, delay_ns=self.retry_ns)
                elif not tracked.accepted:
                    self._reject(tracked, now_ns, RejectReason.NOT_FOUND, "the venue has no order with this id: never placed")
                else:
                    self._query(tracked, now_ns, delay_ns=self.retry_ns)
            else:
                self._query(tracked, now_ns, delay_ns=max(self.retry_ns, round((error.retry_after_s or 0) * 1e9)))
        elif out.kind == "cancel":
            self._query(tracked, now_ns)  # done already, or not: the query says
        elif out.kind == "trades":  # the fills' fees are still owed: ask again, never drop the fills
            self._send(_again(out, now_ns + max(self.retry_ns, round((error.retry_after_s or 0) * 1e9))), now_ns)


def _again(out: Outgoing, not_before_ns: int) -> Outgoing:
    return Outgoing(out.id, out.venue, out.kind, out.build, out.order_id, out.token, not_before_ns, out.attempt + 1)


def _bind(fn: Callable[..., RestRequest], *args: object) -> Callable[[int], RestRequest]:
    """``fn(*args, now_ms)`` as a one-argument builder."""

    def build(now_ms: int) -> RestRequest:
        return fn(*args, now_ms)

    return build


__all__ = ["LiveVenues", "Outgoing", "VenueAccount"]
