"""The execution port: shaped like a venue — commands out, order events in.

Everything above the port (the trader: risk, portfolio, journal, one-legged policy) speaks
only these values; below it, paper execution (:class:`~arb.exec.paper.PaperVenue`) and live
venue clients turn commands into events. Nothing above the port knows which it is.

::

    trader ──PlaceOrder / CancelOrder / QueryOrder──► port ──► paper model | venue REST + private stream
    trader ◄──Accepted / Rejected / PartiallyFilled / Filled / Cancelled / Unknown── port

- **Commands** name an order by its *client order id* (``Order.id``: ``"<trade id>/<role>"``),
  chosen and journalled by the trader before the command leaves, so a crash at any point can
  be reconciled by asking the venue about that id (:class:`QueryOrder`).
- **Events** are what a venue says about an order, in the order it said it. ``PartiallyFilled``
  and ``Filled`` carry one execution each (the quantity, quote and fee of *that* fill, not a
  running total); ``Filled`` also says the order is complete. ``Rejected``, ``Filled`` and
  ``Cancelled`` are terminal; ``Unknown`` (a request whose outcome is not known, e.g. a timeout
  after sending) is not: the trader asks again with :class:`QueryOrder`.
- **Time.** A port reads no clock: ``submit`` and ``events`` take ``now_ns``. A port that knows
  when its next event is due (paper) says so in :meth:`ExecutionPort.next_event_ns`; a live port
  returns the receive time of the oldest event it holds, if any.

Hosts drive a port through :class:`~arb.decision.desk.Desk`, one loop for every host.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeAlias

import msgspec

from arb.exec.orders import Order
from arb.venues.trading import Balance, RejectReason


# -- commands --------------------------------------------------------------------------------
class PlaceOrder(msgspec.Struct, frozen=True, tag="place"):
    """Send ``order`` (an immediate-or-cancel limit order at ``order.limit_price``)."""

    order: Order


class CancelOrder(msgspec.Struct, frozen=True, tag="cancel"):
    """Cancel the rest of an open order."""

    order_id: str
    venue: str
    symbol: str


class QueryOrder(msgspec.Struct, frozen=True, tag="query"):
    """Ask the venue what became of ``order`` (after a restart or an ``Unknown``): the port
    answers with the events the trader has not seen, or ``Rejected(NOT_FOUND)``."""

    order: Order


class FetchBalances(msgspec.Struct, frozen=True, tag="fetch-balances"):
    """Fetch the balances of ``venues`` now (before a live decision: never decide on cached
    balances); ``token`` comes back on each :class:`BalancesFetched`."""

    venues: tuple[str, ...]
    token: str


Command: TypeAlias = PlaceOrder | CancelOrder | QueryOrder | FetchBalances


# -- events ----------------------------------------------------------------------------------
class Accepted(msgspec.Struct, frozen=True, tag="accepted"):
    """The venue took the order (``venue_order_id``: its own id, when it has one)."""

    order_id: str
    ts_ns: int
    venue_order_id: str = ""


class Rejected(msgspec.Struct, frozen=True, tag="rejected"):
    """The venue (or arb before sending) refused the order: terminal, nothing filled."""

    order_id: str
    ts_ns: int
    reason_class: RejectReason
    reason: str


class PartiallyFilled(msgspec.Struct, frozen=True, tag="partially-filled"):
    """One execution of an order that stays open: ``qty`` base for ``quote`` (paid on a buy,
    rounded up; received on a sell, rounded down) and ``fee`` in ``fee_asset`` (empty: the
    quote asset; venues that take a buy's fee from what it bought name the base). ``worst_price``
    is the last price touched, ``levels`` how many book levels the execution took."""

    order_id: str
    ts_ns: int
    qty: int
    quote: int
    fee: int
    worst_price: int = 0
    levels: int = 0
    fee_asset: str = ""


class Filled(msgspec.Struct, frozen=True, tag="filled"):
    """The execution that completes the order (same fields as :class:`PartiallyFilled`)."""

    order_id: str
    ts_ns: int
    qty: int
    quote: int
    fee: int
    worst_price: int = 0
    levels: int = 0
    fee_asset: str = ""


class Cancelled(msgspec.Struct, frozen=True, tag="cancelled"):
    """The order is done and the rest will never fill: an immediate-or-cancel order found no
    more liquidity within its limit (``reason``), or a cancel was acknowledged."""

    order_id: str
    ts_ns: int
    reason: str


class Unknown(msgspec.Struct, frozen=True, tag="unknown"):
    """What happened to the order is not known (e.g. a timeout after the request left)."""

    order_id: str
    ts_ns: int
    reason: str


class BalancesFetched(msgspec.Struct, frozen=True, tag="balances"):
    """A venue's balances as it reported them at ``ts_ns`` (asset → :class:`Balance`), for the
    :class:`FetchBalances` with ``token``; ``error`` says why there are none."""

    venue: str
    ts_ns: int
    token: str
    balances: dict[str, Balance]
    error: str = ""

    @property
    def order_id(self) -> str:
        return ""


OrderEvent: TypeAlias = Accepted | Rejected | PartiallyFilled | Filled | Cancelled | Unknown | BalancesFetched
#: Events after which the order is done.
TERMINAL = (Rejected, Filled, Cancelled)


class ExecutionPort(Protocol):
    """Where orders go: commands in, order events out (see the module docstring)."""

    def submit(self, commands: Sequence[Command], now_ns: int) -> None:
        """Take commands issued at ``now_ns`` (sent by the port; never blocks). A port that
        cannot fetch balances answers :class:`FetchBalances` with an error."""
        ...

    def next_event_ns(self) -> int | None:
        """When the port next has an event to hand over (None: nothing known yet)."""
        ...

    def events(self, now_ns: int) -> list[OrderEvent]:
        """Events due by ``now_ns``, oldest first. May return only part of them (paper: one
        order's events at a time, so the trader reacts before the next order executes):
        call again while :meth:`next_event_ns` ≤ ``now_ns``."""
        ...
