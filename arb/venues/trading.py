"""Trading requests, venue-neutral: what every venue package's ``trading`` module speaks.

A venue's trading module is sans-I/O, like its market-data module: it *builds* signed
:class:`~arb.venues.base.RestRequest` values (the time is passed in) and *decodes* answers
into the plain values below, classifying every error of the venue once into a
:class:`RejectReason`. The transport (:mod:`arb.io`) performs the requests; the live
execution port (:mod:`arb.exec.live`) turns the values into order events.

Numbers are exact: quantities and prices are fixed ints (10**-18 units) on the way in and
out; an order's ``price_text``/``qty_text`` are the decimal strings sent to the venue, already
rounded to its tick and lot (:func:`order_texts`).

A venue with a private websocket that pushes order updates also describes it
(:class:`PrivateStreamSpec`): how to open it, the frames that log in and subscribe (signed the
venue's way, the time passed in), and a decoder of what it pushes into the same
:class:`OrderState` values the order queries give.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from enum import StrEnum
from urllib.parse import urlsplit

import msgspec

from arb.core.instruments import Instrument
from arb.core.numbers import DECIMALS, from_decimal, to_plain
from arb.venues.base import Credentials, RestBudget, RestRequest


class RejectReason(StrEnum):
    """Why a venue refused an order (or a request), classified once per venue.

    ``retryable`` reasons mean nothing happened and the same request may be sent again
    later; the others are final for that order.
    """

    BALANCE = "balance"  # insufficient funds
    PRICE = "price"  # price outside the venue's band, not a multiple of the tick
    LOT = "lot"  # quantity not a multiple of the lot, below the minimum size
    MIN_NOTIONAL = "min-notional"  # price × quantity below the venue's minimum
    DUPLICATE = "duplicate"  # the client order id was used before
    NOT_FOUND = "not-found"  # the venue knows no order with that id
    UNKNOWN_FEE = "unknown-fee"  # arb has no fee rate for the venue (refused before sending)
    RISK = "risk"  # refused by arb's own checks before sending (portfolio, limits)
    AUTH = "auth"  # bad key, signature, timestamp or permissions
    RATE_LIMIT = "rate-limit"  # retryable
    UNAVAILABLE = "unavailable"  # 5xx, maintenance: retryable
    UNKNOWN_STATE = "unknown-state"  # the request may or may not have taken effect (timeout after send)
    OTHER = "other"

    @property
    def retryable(self) -> bool:
        return self in (RejectReason.RATE_LIMIT, RejectReason.UNAVAILABLE)


class VenueError(Exception):
    """A venue's error answer, classified. ``code``: the venue's own code or status;
    ``retry_after_s``: how long the venue asked us to wait, when it said."""

    def __init__(self, venue: str, reason: RejectReason, code: str, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(f"{venue}: {reason}: {code} {message}"[:500])
        self.venue = venue
        self.reason = reason
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


class OrderStatus(StrEnum):
    NEW = "new"  # resting (or accepted and not matched yet)
    PARTIALLY_FILLED = "partially-filled"  # some filled, the rest resting
    FILLED = "filled"
    CANCELLED = "cancelled"  # done with the rest cancelled (by us, or an IOC's expiry)
    REJECTED = "rejected"

    @property
    def done(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED)


@dataclass(frozen=True)
class OrderRequest:
    """One limit order to place. ``tif``: ``"ioc"`` (immediate-or-cancel: what arbitrage legs
    use, never an unprotected market order) or ``"gtc"`` (rests until filled or cancelled)."""

    client_id: str
    symbol: str
    venue_symbol: str
    side: str
    qty: int
    price: int
    qty_text: str
    price_text: str
    tif: str = "ioc"


class OrderState(msgspec.Struct, frozen=True, kw_only=True):
    """What a venue says of one order: cumulative figures (the trades so far, summed).
    ``quote``: Σ price × qty of its fills (exact); ``fee`` in ``fee_asset``."""

    client_id: str
    venue_order_id: str
    status: OrderStatus
    filled_qty: int = 0
    quote: int = 0
    fee: int = 0
    fee_asset: str = ""
    reason: str = ""
    #: False when the venue's order answer does not carry fees (Binance's order query): the
    #: port then asks for the order's trades (``TradingSpec.trades``) before reporting fills.
    fee_known: bool = True


class Executions(msgspec.Struct, frozen=True):
    """An order's trades, summed: ``qty``, exact ``quote`` and ``fee`` in ``fee_asset``."""

    qty: int
    quote: int
    fee: int
    fee_asset: str


class Balance(msgspec.Struct, frozen=True):
    """One asset on a venue: ``free`` to trade and ``locked`` by open orders (fixed ints)."""

    asset: str
    free: int
    locked: int


@dataclass(frozen=True)
class StreamMessage:
    """What one frame of a private stream says: order ``states`` (cumulative, as an order
    query's answer), the login accepted (``logged_in``: send the subscribe frames), the
    subscription acknowledged (``subscribed``: updates flow from now on). A frame saying none
    of these (a pong, a balance push) is an empty message."""

    states: tuple[OrderState, ...] = ()
    logged_in: bool = False
    subscribed: bool = False


@dataclass(frozen=True)
class PrivateStreamSpec:
    """A venue's private websocket of order updates (every callable sans-I/O).

    Opening it: where the venue hands out a token first (Binance's ``listenKey``),
    ``token(rest_url, credentials, now_ms)`` builds that request and ``decode_token(status,
    body)`` reads the token from its 2xx answer (an error answer goes to
    ``TradingSpec.classify``); ``keepalive(rest_url, credentials, token, now_ms)`` keeps it
    valid, every ``keepalive_s``. ``url(ws_url, token)`` is the stream's URL from the account's
    websocket base (the venue's market-data URL: the private stream lives on the same host).

    Once open: ``login(credentials, now_ms)`` frames go first, and ``subscribe`` frames once
    a frame decodes as ``logged_in`` (straight away for a venue without a login). The stream
    carries updates once ``subscribed`` is decoded — or once logged in when there is nothing to
    subscribe, or at once when there is neither (Binance: the URL names the stream).
    ``ping`` is the venue's application ping, sent every ``ping_interval_s`` (None: the
    websocket's own pings do). ``subscribe_token(token)``: subscribe frames that carry the
    stream's token (Kraken v2: the token goes in the ``executions`` subscribe request), sent
    after ``subscribe``.

    ``decode(frame)`` returns a :class:`StreamMessage`, or raises the :class:`VenueError` an
    error frame carries (a refused login is an ``AUTH`` error naming the venue); a frame it
    cannot read raises a :class:`VenueError` with code ``"decode"`` (counted, skipped).
    Where what one order state says is spread over several frames (MEXC: an order's fees come
    with its deals, pushed apart from the order), ``decoder()`` makes a fresh ``decode`` for
    each connection, which may remember what the connection carried so far.
    """

    url: Callable[[str, str], str]
    decode: Callable[[str | bytes], StreamMessage]
    login: Callable[[Credentials, int], list[str]] | None = None
    subscribe: tuple[str, ...] = ()
    ping: str | None = None
    ping_interval_s: float = 20.0
    token: Callable[[str, Credentials, int], RestRequest] | None = None
    decode_token: Callable[[int, str], str] | None = None
    keepalive: Callable[[str, Credentials, str, int], RestRequest] | None = None
    keepalive_s: float = 1800.0
    subscribe_token: Callable[[str], list[str]] | None = None
    decoder: Callable[[], Callable[[str | bytes], StreamMessage]] | None = None


def ws_origin(ws_url: str) -> str:
    """``scheme://host:port`` of a websocket URL (its path and query dropped)."""
    parts = urlsplit(ws_url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not a websocket URL: {ws_url[:100]!r}")
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class TradingSpec:
    """A venue's trading requests and decoders (every callable sans-I/O; ``now_ms`` passed in).

    Builders return signed requests; decoders take ``(status, body)`` of a 2xx answer and
    return values — any error answer goes to ``classify(status, body, headers)`` instead,
    which returns the :class:`VenueError` to raise. Venues that carry errors in a 2xx answer
    (Kraken always, OKX for refused orders) have decoders that raise that same classified
    :class:`VenueError`. ``client_id`` rules differ per venue
    (allowed characters, length): ``client_id(order_id)`` maps arb's order id to one the venue
    accepts, deterministically.
    """

    venue: str
    place: Callable[[str, Credentials, OrderRequest, int], RestRequest]
    decode_place: Callable[[int, str], OrderState]
    #: None for venues that cancel only by their own order id (Coinbase): see ``cancel_by_id``.
    cancel: Callable[[str, Credentials, str, str, int], RestRequest] | None
    query: Callable[[str, Credentials, str, str, int], RestRequest]
    decode_order: Callable[[int, str], OrderState]
    balances: Callable[[str, Credentials, int], RestRequest]
    decode_balances: Callable[[int, str], dict[str, Balance]]
    classify: Callable[[int, str, dict[str, str]], VenueError]
    client_id: Callable[[str], str]
    #: ``(rest_url, credentials, now_ms) → request`` of the account's fee rates (None: not exposed).
    fee_rates: Callable[[str, Credentials, int], RestRequest] | None = None
    decode_fee_rates: Callable[[int, str], dict[str, tuple[int, int]]] | None = None
    #: ``(rest_url, credentials, venue_symbol, venue_order_id, now_ms) → request`` of an
    #: order's trades, for venues whose order answers lack fees (see ``OrderState.fee_known``).
    #: The weight the venue allows per window on these endpoints (requests carry their weight);
    #: the transport keeps to it. None: no budget enforced.
    budget: RestBudget | None = None
    trades: Callable[[str, Credentials, str, str, int], RestRequest] | None = None
    decode_trades: Callable[[int, str], Executions] | None = None
    #: ``(rest_url, credentials, venue_order_id, venue_symbol, now_ms) → request`` of an order
    #: by the venue's own id (decoded by ``decode_order``), for venues whose lookup by client
    #: id takes more than one request (Kraken: ``QueryOrders`` needs the ``txid``): the port
    #: uses it once it knows the venue's id, ``query`` before.
    query_by_venue_id: Callable[[str, Credentials, str, str, int], RestRequest] | None = None
    #: ``(rest_url, credentials, client_order_id, venue_symbol, now_ms) → request``: the second
    #: half of a lookup by client id that the venue splits between open and finished orders
    #: (Kraken: ``query`` asks ``OpenOrders``, this ``ClosedOrders``). The port asks it when
    #: ``query``'s answer is "not found", before concluding the venue has no such order
    #: (decoded by ``decode_order``). Asking open orders first never misses an order that
    #: finishes between the two requests.
    query_done: Callable[[str, Credentials, str, str, int], RestRequest] | None = None
    #: ``(status, body) → None``: checks a cancel's 2xx answer for an error it carries inside
    #: (OKX ``sCode``, Kraken ``error``, KuCoin ``code``, Coinbase ``results[].success``) and
    #: raises its :class:`VenueError`. None: the cancel answers with the order (``decode_order``
    #: reads it).
    decode_cancel: Callable[[int, str], None] | None = None
    #: ``(rest_url, credentials, venue_order_id, venue_symbol, now_ms) → request`` cancelling an
    #: order by the venue's own id, used once the venue named the order. A venue that cancels
    #: only this way (Coinbase: ``cancel`` is None) has the port find the order first.
    cancel_by_id: Callable[[str, Credentials, str, str, int], RestRequest] | None = None
    #: For venues with no lookup by client id at all (Coinbase): ``query`` lists the symbol's
    #: recent orders and ``decode_found(status, body, client_id)`` picks the one with that client
    #: id (raising NOT_FOUND when the whole list lacks it, UNKNOWN_STATE when the list was cut).
    decode_found: Callable[[int, str, str], OrderState] | None = None
    #: The venue's private websocket of order updates (None: orders are followed by polling).
    stream: PrivateStreamSpec | None = None


def order_texts(instrument: Instrument | None, qty: int, price: int, side: str) -> tuple[int, int, str, str]:
    """Round an order to the venue's lot (down) and tick (a buy's limit down, a sell's up: never
    worse than asked) and write both as plain decimals. Returns ``(qty, price, qty_text,
    price_text)``; the caller checks :meth:`Instrument.accepts` before sending."""
    if instrument is not None:
        qty = instrument.round_qty_down(qty)
        price = instrument.round_price_down(price) if side == "buy" else instrument.round_price_up(price)
    return qty, price, to_plain(qty), to_plain(price)


def fixed_text(value: str) -> int:
    """A venue's decimal text → fixed int (exact; raises ``ValueError`` on junk)."""
    return from_decimal(value)


def retry_after_s(headers: dict[str, str], name: str = "retry-after", scale: float = 1.0) -> float | None:
    """Seconds to wait that a venue's answer asks for, from header ``name`` (any case) in units
    of ``scale`` seconds (``Retry-After``: seconds). None when absent or unreadable; never
    negative or infinite."""
    for key, value in headers.items():
        if key.lower() == name:
            try:
                seconds = float(value) * scale
            except ValueError:
                return None
            return max(0.0, seconds) if math.isfinite(seconds) else None
    return None


def fee_text(value: str) -> int:
    """A fee's decimal text → fixed int: exact to 18 decimals; finer (MEXC's fees paid in MX
    carry 19 or more) rounded up — toward paying more, by less than 10**-18 of the asset: a
    fee is never under-counted, and an order whose fee arb cannot hold exactly still settles."""
    try:
        dec = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a decimal: {value[:40]!r}") from None
    exponent = dec.as_tuple().exponent  # an int for a finite value ("n", "N", "F" otherwise)
    if isinstance(exponent, int) and exponent < -DECIMALS:
        dec = dec.quantize(Decimal(1).scaleb(-DECIMALS), rounding=ROUND_CEILING)
    return from_decimal(dec)


__all__ = [
    "Balance", "Executions", "OrderRequest", "OrderState", "OrderStatus", "PrivateStreamSpec", "RejectReason",
    "StreamMessage", "TradingSpec", "VenueError", "fee_text", "fixed_text", "order_texts", "retry_after_s", "ws_origin",
]
