"""What execution produces: orders, fills and trade outcomes — journal records all.

Every record is a frozen, tagged ``msgspec.Struct`` with a deterministic id, so a journal
can store any of them as JSON or msgpack and decode them back as :data:`JournalRecord`
(``msgspec.json.decode(data, type=JournalRecord)``). Money values are fixed ints
(:mod:`arb.core.numbers`), times int ns.

Ids: an intent and its trade carry the opportunity's id; an order (and its fill) is
``"<trade id>/<role>"`` with role ``buy``, ``sell``, ``unwind`` or ``hedge``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeAlias, TypeVar

import msgspec

from arb.scan.opportunity import Opportunity


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class Role(StrEnum):
    """Why an order exists: the arbitrage's two legs, or a one-legged follow-up."""

    BUY = "buy"
    SELL = "sell"
    UNWIND = "unwind"
    HEDGE = "hedge"


class OneLegged(StrEnum):
    """What to do when one leg filled more than the other.

    - ``UNWIND``: trade the difference back at market on the venue whose leg filled more.
    - ``HEDGE``: offset the difference at market on the best other venue.
    - ``HOLD``: keep the exposure (recorded in the trade outcome).
    """

    UNWIND = "unwind"
    HEDGE = "hedge"
    HOLD = "hold"


class FillStatus(StrEnum):
    FILLED = "filled"  # the whole quantity
    PARTIAL = "partial"  # some; the rest was cancelled (orders are immediate-or-cancel)
    EXPIRED = "expired"  # nothing within the limit price, or no live book
    REJECTED = "rejected"  # an error: balance, unknown fee, a fill that would overdraw


class Intent(msgspec.Struct, frozen=True, tag="intent"):
    """The decision to trade an opportunity, as submitted."""

    id: str
    ts_ns: int
    opportunity: Opportunity


class Order(msgspec.Struct, frozen=True, tag="order"):
    """A limit order as placed: immediate-or-cancel (``tif="ioc"``, every arbitrage leg and
    follow-up) or resting (``"gtc"``).

    ``status`` is ``"open"`` or ``"rejected"`` (then ``reason`` says why). ``due_ns`` is when
    it reaches the venue (submit time + the venue's latency). ``lock`` is what it reserves
    on its venue: quote for a buy (limit × qty + fee), base for a sell.
    """

    id: str
    trade_id: str
    role: str
    venue: str
    symbol: str
    side: str
    qty: int
    limit_price: int
    lock: int
    ts_submit_ns: int
    due_ns: int
    status: str = "open"
    reason: str = ""
    tif: str = "ioc"


class Fill(msgspec.Struct, frozen=True, tag="fill"):
    """An order's outcome (one per order): what filled, at what cost, with which fee.

    ``quote`` is paid (buy, rounded up) or received (sell, rounded down); ``fee`` is in
    ``fee_asset`` (empty: the quote asset); ``avg_price`` rounded down; ``worst_price`` the
    last price touched; ``levels`` how many price levels it touched.
    """

    id: str
    trade_id: str
    role: str
    venue: str
    symbol: str
    side: str
    qty_ordered: int
    qty: int
    quote: int
    fee: int
    avg_price: int
    worst_price: int
    levels: int
    ts_ns: int
    status: str
    reason: str = ""
    fee_asset: str = ""


class TradeResult(msgspec.Struct, frozen=True, tag="trade"):
    """One arbitrage from intent to its final state — a row of the trade log.

    ``action``: ``"none"`` (legs matched), ``"unwind"``, ``"hedge"`` or ``"hold"`` — what was
    done about a one-legged fill; ``reason`` explains a hold or a follow-up that fell short.
    ``residual_base``: net base position the trade left (+ long, − short).
    ``realized_pnl_quote``: on the matched quantity ``m = min(bought, sold)`` over all legs:
    ``sold_quote·m/sold − bought_quote·m/bought − all fees`` (proceeds rounded down, cost
    up); the residual stays in inventory at cost. ``realized_pnl_reporting``: the same in
    the reporting currency (``None`` when no price was available).
    """

    id: str
    symbol: str
    buy_venue: str
    sell_venue: str
    intended_qty: int
    buy_filled: int
    sell_filled: int
    buy_avg_price: int
    sell_avg_price: int
    buy_quote: int
    sell_quote: int
    buy_fee: int
    sell_fee: int
    one_legged: bool
    action: str
    action_venue: str
    action_side: str
    action_filled: int
    action_quote: int
    action_fee: int
    residual_base: int
    fees_quote: int
    realized_pnl_quote: int
    realized_pnl_reporting: int | None
    expected_net_profit: int
    ts_decision_ns: int
    ts_submit_ns: int
    ts_done_ns: int
    reason: str = ""


class Deposit(msgspec.Struct, frozen=True, tag="deposit"):
    """Capital put on a venue: starting balances and top-ups (starting capital, not P&L).

    Journalled so that a journal alone rebuilds the portfolio. ``id`` is chosen by the
    caller and idempotent like every record id (``start/<venue>/<asset>`` for starting
    balances): depositing an id twice changes nothing the second time.
    """

    id: str
    venue: str
    asset: str
    amount: int
    ts_ns: int


class Control(msgspec.Struct, frozen=True, tag="control"):
    """An operator's action on the running engine (dashboard, API): journalled, so that
    recovery rebuilds the trading state and the runtime settings the engine had.

    ``action``: ``kill`` (the kill switch), ``release`` (disarm it; trading stays halted),
    ``halt``, ``resume`` (back to active), or ``settings`` — then the three settings fields
    hold every safe runtime setting *after* the change (fixed ints; ``disabled_venues``
    sorted). ``id`` is ``control/<n>``, n counting the journal's control records.
    """

    id: str
    ts_ns: int
    action: str
    reason: str
    min_profit_quote: int | None = None
    max_notional_quote: int | None = None
    disabled_venues: tuple[str, ...] = ()


JournalRecord: TypeAlias = Intent | Order | Fill | TradeResult | Deposit | Control
#: One kind of journal record (``of_kind(Fill)`` → ``list[Fill]``).
RecordT = TypeVar("RecordT", Intent, Order, Fill, TradeResult, Deposit, Control)
