"""Coinbase Advanced Trade trading requests (REST ``/api/v3/brokerage``), sans-I/O.

- **Auth.** Every private call carries ``Authorization: Bearer <JWT>``: ES256 with the CDP key's
  EC P-256 private key (PEM; ``\\n`` escapes, as keys are kept in the environment, are read
  too), claims ``{iss: cdp, sub: <key name>, nbf, exp: nbf + 120, uri: "METHOD host/path"}``
  (:mod:`.signing`; the host is the REST URL's, ``api.coinbase.com`` on the real venue). The
  JWT ``nonce`` is random hex, as the venue asks; ``now_ms`` is passed in.
- ``POST /orders`` ``{"client_order_id", "product_id", "side": "BUY"|"SELL",
  "order_configuration": {"sor_limit_ioc": {"base_size", "limit_price"}}}`` (limit IOC) or
  ``{"limit_limit_gtc": {"base_size", "limit_price", "post_only": false}}`` (resting). The
  answer names the order and nothing of its fills::

    {"success": true, "success_response": {"order_id": "11111-00000-000000",
     "product_id": "BTC-USD", "side": "BUY", "client_order_id": "0000-00000-000000"}}

  A refusal is a 200 with ``"success": false`` and an ``error_response`` whose ``error`` /
  ``preview_failure_reason`` name the reason (``INSUFFICIENT_FUND`` …). A
  ``client_order_id`` used before is answered with that earlier order, not a second one (the
  venue's idempotency: a retry never places twice, so Coinbase has no "duplicate" error).
- ``GET /orders/historical/{order_id}`` → ``{"order": {…}}`` (``query_by_venue_id``): ``status``
  (``OPEN``, ``FILLED``, ``CANCELLED``, ``EXPIRED``, ``FAILED``, ``PENDING``, ``QUEUED``,
  ``CANCEL_QUEUED``…), ``filled_size``, ``filled_value`` (quote, Σ price × size) and
  ``total_fees`` — fees are charged in the quote currency.
- No endpoint takes a client order id (``GET /orders/historical/batch`` filters by product,
  status, time, but not client id): ``query`` lists the product's orders, newest first, and
  :func:`decode_found` picks ours by ``client_order_id``.
- ``POST /orders/batch_cancel`` ``{"order_ids": [id]}`` → ``{"results": [{"success",
  "failure_reason", "order_id"}]}``: orders are cancelled by the venue's id only.
- ``GET /accounts?limit=250`` → ``{"accounts": [{"currency", "available_balance": {"value"},
  "hold": {"value"}}], "has_next", "cursor"}``; ``GET /transaction_summary`` →
  ``{"fee_tier": {"maker_fee_rate", "taker_fee_rate"}}``.
- Errors: 401 ``Unauthorized`` (a bad, expired or unknown key's JWT), 429 (rate limit; 30
  private requests / s per user), 404 ``{"error": "NOT_FOUND", …}``, 5xx (the idempotent
  client order id makes a retry after one safe).
- Private websocket (:data:`STREAM`): the ``user`` channel, on its own host on the real venue
  (``wss://advanced-trade-ws-user.coinbase.com``; elsewhere — the simulator — on the account's
  websocket host). ``{"type": "subscribe", "channel": "user", "product_ids": [], "jwt": …}``
  (no products: all of them; a websocket JWT has no ``uri`` claim) and the same for
  ``heartbeats``, which keeps the connection open; a ``subscriptions`` message confirms. Each
  change of an order is pushed as ``{"channel": "user", "events": [{"type": "snapshot" |
  "update", "orders": [{order_id, client_order_id, status, cumulative_quantity,
  filled_value, total_fees, avg_price, …}]}]}`` — cumulative figures, fees in the quote
  currency, so a push is as exact as the order query. A refused JWT is ``{"type": "error",
  "message": "authentication failure"}``.
"""

from __future__ import annotations

import secrets
import uuid
from urllib.parse import urlencode, urlsplit

import msgspec

from arb.core.numbers import mul
from arb.core.symbols import canonical_asset
from arb.venues.base import Credentials, RestBudget, RestRequest
from arb.venues.coinbase import signing
from arb.venues.trading import (
    Balance, OrderRequest, OrderState, OrderStatus, PrivateStreamSpec, RejectReason, StreamMessage, TradingSpec,
    VenueError, fixed_text, retry_after_s, ws_origin,
)

NAME = "coinbase"
BASE = "/api/v3/brokerage"
#: Orders one ``find`` lists (newest first); an order older than that many is not found by client id.
FIND_LIMIT = 1000
#: Client order ids are UUIDs derived from arb's order id (a namespace of arb's own).
_CLIENT_NAMESPACE = uuid.UUID("5d3f0c52-6a0e-5b0e-9c1d-6172622d6362")

_STATUS = {
    "PENDING": OrderStatus.NEW, "QUEUED": OrderStatus.NEW, "OPEN": OrderStatus.NEW,
    "CANCEL_QUEUED": OrderStatus.NEW, "EDIT_QUEUED": OrderStatus.NEW,
    "FILLED": OrderStatus.FILLED, "CANCELLED": OrderStatus.CANCELLED, "EXPIRED": OrderStatus.CANCELLED,
    "FAILED": OrderStatus.REJECTED,
}


def client_id(order_id: str) -> str:
    """A UUID (the form Coinbase's own clients send): version 5 of arb's order id."""
    return str(uuid.uuid5(_CLIENT_NAMESPACE, order_id))


def _pem(secret: str) -> str:
    return secret.replace("\\n", "\n")


def _signed(method: str, rest_url: str, path: str, credentials: Credentials, now_ms: int, *, query: str = "", body: str = "",
            weight: int = 1) -> RestRequest:
    uri = signing.format_jwt_uri(method, path, urlsplit(rest_url).netloc)
    token = signing.build_jwt(credentials.key, _pem(credentials.secret), uri, now_ms // 1000, secrets.token_hex(16))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return RestRequest(method, f"{rest_url}{path}" + (f"?{query}" if query else ""), headers=headers, body=body, weight=weight)


_json = msgspec.json.Encoder()


def place(rest_url: str, credentials: Credentials, order: OrderRequest, now_ms: int) -> RestRequest:
    if order.tif == "ioc":
        config: dict[str, dict[str, str | bool]] = {"sor_limit_ioc": {"base_size": order.qty_text, "limit_price": order.price_text}}
    elif order.tif == "gtc":
        config = {"limit_limit_gtc": {"base_size": order.qty_text, "limit_price": order.price_text, "post_only": False}}
    else:
        raise ValueError(f"time in force must be ioc or gtc, got {order.tif!r}")
    body = {"client_order_id": order.client_id, "product_id": order.venue_symbol, "side": order.side.upper(),
            "order_configuration": config}
    return _signed("POST", rest_url, f"{BASE}/orders", credentials, now_ms, body=_json.encode(body).decode())


def query(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    """The product's most recent orders (answered by :func:`decode_found`)."""
    params = urlencode({"product_ids": venue_symbol, "limit": str(FIND_LIMIT)})
    return _signed("GET", rest_url, f"{BASE}/orders/historical/batch", credentials, now_ms, query=params)


def query_by_venue_id(rest_url: str, credentials: Credentials, venue_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    return _signed("GET", rest_url, f"{BASE}/orders/historical/{venue_order_id}", credentials, now_ms)


def cancel_by_id(rest_url: str, credentials: Credentials, venue_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    body = _json.encode({"order_ids": [venue_order_id]}).decode()
    return _signed("POST", rest_url, f"{BASE}/orders/batch_cancel", credentials, now_ms, body=body)


def balances(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed("GET", rest_url, f"{BASE}/accounts", credentials, now_ms, query="limit=250")


def fee_rates(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed("GET", rest_url, f"{BASE}/transaction_summary", credentials, now_ms)


# -- decoding -----------------------------------------------------------------------------------
class _Success(msgspec.Struct):
    order_id: str
    product_id: str = ""
    client_order_id: str = ""


class _Failure(msgspec.Struct):
    error: str = ""
    message: str = ""
    error_details: str = ""
    preview_failure_reason: str = ""
    new_order_failure_reason: str = ""


class _Created(msgspec.Struct):
    success: bool
    success_response: _Success | None = None
    error_response: _Failure | None = None
    failure_reason: str = ""


class _Order(msgspec.Struct):
    order_id: str
    product_id: str
    client_order_id: str
    status: str
    filled_size: str = "0"
    filled_value: str = "0"
    total_fees: str = "0"
    reject_message: str = ""
    cancel_message: str = ""


class _OrderAnswer(msgspec.Struct):
    order: _Order


class _Orders(msgspec.Struct):
    orders: list[_Order]
    has_next: bool = False


class _CancelResult(msgspec.Struct):
    success: bool
    failure_reason: str = ""
    order_id: str = ""


class _Cancelled(msgspec.Struct):
    results: list[_CancelResult]


class _Amount(msgspec.Struct):
    value: str


class _Account(msgspec.Struct):
    currency: str
    available_balance: _Amount
    hold: _Amount | None = None


class _Accounts(msgspec.Struct):
    accounts: list[_Account]
    has_next: bool = False


class _Tier(msgspec.Struct):
    maker_fee_rate: str
    taker_fee_rate: str


class _Summary(msgspec.Struct):
    fee_tier: _Tier


class _Error(msgspec.Struct):
    error: str = ""
    message: str = ""
    error_details: str = ""


_created = msgspec.json.Decoder(_Created)
_order_answer = msgspec.json.Decoder(_OrderAnswer)
_orders = msgspec.json.Decoder(_Orders)
_cancelled = msgspec.json.Decoder(_Cancelled)
_accounts = msgspec.json.Decoder(_Accounts)
_summary = msgspec.json.Decoder(_Summary)
_error = msgspec.json.Decoder(_Error)


def _bad(body: str, exc: Exception) -> VenueError:
    return VenueError(NAME, RejectReason.UNKNOWN_STATE, "decode", f"unreadable answer ({exc}): {body[:200]}")


def decode_place(status: int, body: str) -> OrderState:
    """The create-order answer: the order's id, accepted (its fills come with a query)."""
    try:
        created = _created.decode(body)
    except msgspec.DecodeError as exc:
        raise _bad(body, exc) from None
    if not created.success or created.success_response is None:
        raise classify(status, body, {})
    ok = created.success_response
    return OrderState(client_id=ok.client_order_id, venue_order_id=ok.order_id, status=OrderStatus.NEW)


def _state(o: _Order) -> OrderState:
    state = _STATUS.get(o.status)
    if state is None:  # UNKNOWN_ORDER_STATUS or a status this module does not know: ask again
        raise ValueError(f"order status {o.status!r} says nothing of the order's fate")
    filled = fixed_text(o.filled_size)
    if state is OrderStatus.NEW and filled:
        state = OrderStatus.PARTIALLY_FILLED
    quote = o.product_id.partition("-")[2]
    return OrderState(
        client_id=o.client_order_id, venue_order_id=o.order_id, status=state, filled_qty=filled,
        quote=fixed_text(o.filled_value), fee=fixed_text(o.total_fees), fee_asset=canonical_asset(quote) if quote else "",
        reason=o.reject_message or o.cancel_message,
    )


def decode_order(status: int, body: str) -> OrderState:
    """``{"order": {…}}`` of ``GET /orders/historical/{order_id}`` (fees included)."""
    try:
        return _state(_order_answer.decode(body).order)
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_found(status: int, body: str, client_order_id: str) -> OrderState:
    """The order with ``client_order_id`` among a product's listed orders: NOT_FOUND when the
    complete list lacks it, UNKNOWN_STATE when the list was cut (``has_next``) before it."""
    try:
        listed = _orders.decode(body)
        for o in listed.orders:
            if o.client_order_id == client_order_id:
                return _state(o)
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None
    if listed.has_next:
        raise VenueError(NAME, RejectReason.UNKNOWN_STATE, "has_next",
                         f"{client_order_id} is not among the {len(listed.orders)} most recent orders")
    raise VenueError(NAME, RejectReason.NOT_FOUND, "NOT_FOUND", f"no order with client_order_id {client_order_id}")


def decode_cancel(status: int, body: str) -> None:
    """``{"results": [{"success": …, "failure_reason": …}]}``: returns when the cancel was accepted."""
    try:
        results = _cancelled.decode(body).results
    except msgspec.DecodeError as exc:
        raise _bad(body, exc) from None
    if any(r.success for r in results):
        return
    reason = results[0].failure_reason if results else "UNKNOWN_CANCEL_FAILURE_REASON"
    raise VenueError(NAME, _CANCEL_FAILURES.get(reason, RejectReason.OTHER), reason, "cancel refused")


def decode_balances(status: int, body: str) -> dict[str, Balance]:
    """Every account's available and held amounts, by canonical asset (accounts of one currency
    — several portfolios — are summed). Refuses an incomplete page rather than understate."""
    try:
        answer = _accounts.decode(body)
        if answer.has_next:
            raise VenueError(NAME, RejectReason.OTHER, "has_next", "more than 250 accounts: the balances would be incomplete")
        out: dict[str, Balance] = {}
        for a in answer.accounts:
            asset = canonical_asset(a.currency)
            free, locked = fixed_text(a.available_balance.value), fixed_text(a.hold.value) if a.hold else 0
            if asset in out:
                free, locked = free + out[asset].free, locked + out[asset].locked
            out[asset] = Balance(asset, free, locked)
        return out
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_fee_rates(status: int, body: str) -> dict[str, tuple[int, int]]:
    """The account's fee tier ``(maker, taker)``, for every product."""
    try:
        tier = _summary.decode(body).fee_tier
        return {"*": (fixed_text(tier.maker_fee_rate), fixed_text(tier.taker_fee_rate))}
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


#: Order failure reasons (``error_response.error``, ``new_order_failure_reason``,
#: ``preview_failure_reason``, ``failure_reason``) and gRPC-gateway error names, by class.
_FAILURES = {
    **dict.fromkeys(("INSUFFICIENT_FUND", "INSUFFICIENT_FUNDS", "PREVIEW_INSUFFICIENT_FUND", "PREVIEW_INSUFFICIENT_FUNDS",
                     "INVALID_LEDGER_BALANCE", "PREVIEW_INVALID_LEDGER_BALANCE", "PREVIEW_INSUFFICIENT_LEDGER_BALANCE"),
                    RejectReason.BALANCE),
    **dict.fromkeys(("INVALID_PRICE_PRECISION", "PREVIEW_INVALID_PRICE_PRECISION", "INVALID_LIMIT_PRICE",
                     "PREVIEW_INVALID_LIMIT_PRICE", "INVALID_LIMIT_PRICE_POST_ONLY", "PREVIEW_INVALID_LIMIT_PRICE_POST_ONLY",
                     "PREVIEW_INVALID_PRICE_TOO_LARGE", "PREVIEW_BREACHED_PRICE_LIMIT"), RejectReason.PRICE),
    **dict.fromkeys(("INVALID_SIZE_PRECISION", "PREVIEW_INVALID_SIZE_PRECISION", "PREVIEW_INVALID_BASE_SIZE_TOO_SMALL",
                     "PREVIEW_INVALID_BASE_SIZE_TOO_LARGE"), RejectReason.LOT),
    **dict.fromkeys(("PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL",), RejectReason.MIN_NOTIONAL),
    **dict.fromkeys(("NOT_FOUND", "not_found"), RejectReason.NOT_FOUND),
    **dict.fromkeys(("UNAUTHENTICATED", "PERMISSION_DENIED", "unauthorized", "authentication_error", "invalid_token",
                     "expired_token", "revoked_token", "invalid_scope"), RejectReason.AUTH),
    **dict.fromkeys(("RATE_LIMIT_EXCEEDED", "RESOURCE_EXHAUSTED", "rate_limit_exceeded", "resource_exhausted"),
                    RejectReason.RATE_LIMIT),
    **dict.fromkeys(("INTERNAL", "UNAVAILABLE", "internal_server_error"), RejectReason.UNAVAILABLE),
    # UNSUPPORTED_ORDER_CONFIGURATION, INVALID_SIDE, INVALID_PRODUCT_ID, ORDER_ENTRY_DISABLED,
    # INELIGIBLE_PAIR, INVALID_NO_LIQUIDITY, INVALID_ARGUMENT, UNKNOWN_FAILURE_REASON …: OTHER.
}
#: Cancel failure reasons: a cancel of an order that is gone is "not found" (the port then asks).
_CANCEL_FAILURES = {"UNKNOWN_CANCEL_ORDER": RejectReason.NOT_FOUND, "ORDER_IS_FULLY_FILLED": RejectReason.NOT_FOUND,
                    "INVALID_CANCEL_REQUEST": RejectReason.OTHER, "DUPLICATE_CANCEL_REQUEST": RejectReason.OTHER}
_UNSPECIFIC = ("", "UNKNOWN_FAILURE_REASON", "UNKNOWN_PREVIEW_FAILURE_REASON")


def classify(status: int, body: str, headers: dict[str, str]) -> VenueError:
    """Every Coinbase error answer: an HTTP error, or a 200 create-order answer with
    ``"success": false`` (its most specific reason code decides)."""
    retry_after = retry_after_s(headers)
    if status == 429:
        return VenueError(NAME, RejectReason.RATE_LIMIT, "429", body[:200], retry_after)
    if status in (401, 403):
        return VenueError(NAME, RejectReason.AUTH, str(status), body[:200])
    if status >= 500:
        return VenueError(NAME, RejectReason.UNAVAILABLE, str(status), body[:200], retry_after)
    try:
        created = _created.decode(body)
    except msgspec.DecodeError:
        created = None
    if created is not None and not created.success:
        failure = created.error_response or _Failure()
        for code in (failure.preview_failure_reason, failure.error, failure.new_order_failure_reason, created.failure_reason):
            if code not in _UNSPECIFIC:
                return VenueError(NAME, _FAILURES.get(code, RejectReason.OTHER), code, failure.message or failure.error_details)
        return VenueError(NAME, RejectReason.OTHER, "UNKNOWN_FAILURE_REASON", failure.message or failure.error_details)
    try:
        err = _error.decode(body)
    except msgspec.DecodeError:
        err = _Error(message=body[:200])
    reason = _FAILURES.get(err.error, RejectReason.NOT_FOUND if status == 404 else RejectReason.OTHER)
    return VenueError(NAME, reason, err.error or str(status), err.message or err.error_details, retry_after)


# -- the private websocket (the ``user`` channel) ----------------------------------------------
#: The real venue's market-data host → the host of its ``user`` channel (production, sandbox).
USER_HOSTS = {
    "advanced-trade-ws.coinbase.com": "advanced-trade-ws-user.coinbase.com",
    "advanced-trade-ws-sandbox.coinbase.com": "advanced-trade-ws-user-sandbox.coinbase.com",
}


def stream_url(ws_url: str, token: str) -> str:
    """``wss://advanced-trade-ws-user.coinbase.com`` for the venue's market-data URL; any other
    websocket host (the simulator, a configured one) serves the ``user`` channel itself."""
    origin = ws_origin(ws_url)
    scheme, _, host = origin.partition("://")
    return f"{scheme}://{USER_HOSTS[host]}" if host in USER_HOSTS else origin


def stream_login(credentials: Credentials, now_ms: int) -> list[str]:
    """The two subscribe messages, each with a fresh websocket JWT (ES256, no ``uri`` claim,
    valid two minutes: a reconnect signs anew): ``user`` for every product, then
    ``heartbeats``."""
    frames = []
    for channel in ("user", "heartbeats"):
        token = signing.build_jwt(credentials.key, _pem(credentials.secret), None, now_ms // 1000, secrets.token_hex(16))
        message: dict[str, object] = {"type": "subscribe", "channel": channel, "jwt": token}
        if channel == "user":
            message["product_ids"] = []
        frames.append(_json.encode(message).decode())
    return frames


class _UserOrder(msgspec.Struct):
    """An order of the ``user`` channel (the fields arb reads)."""

    order_id: str
    client_order_id: str
    status: str
    product_id: str = ""
    cumulative_quantity: str = "0"
    filled_value: str | None = None
    total_fees: str = "0"
    avg_price: str = "0"
    number_of_fills: str = ""
    cancel_reason: str = ""
    reject_reason: str = ""


class _UserEvent(msgspec.Struct):
    type: str = ""
    orders: list[_UserOrder] | None = None
    subscriptions: dict[str, list[str]] | None = None


class _WsMessage(msgspec.Struct):
    channel: str = ""
    type: str = ""
    message: str = ""
    events: list[_UserEvent] = []


_ws_messages = msgspec.json.Decoder(_WsMessage)


def _user_state(o: _UserOrder) -> OrderState:
    """A ``user`` channel order as a cumulative state: ``filled_value`` (Σ price × size) is the
    exact quote; without it, one fill's ``avg_price`` is its price. Several fills and no
    ``filled_value`` cannot be told exactly (the average may be rounded): refused."""
    state = _STATUS.get(o.status)
    if state is None:
        raise ValueError(f"order status {o.status!r} says nothing of the order's fate")
    filled = fixed_text(o.cumulative_quantity or "0")
    if state is OrderStatus.NEW and filled:
        state = OrderStatus.PARTIALLY_FILLED
    if o.filled_value is not None:
        quote = fixed_text(o.filled_value)
    elif not filled:
        quote = 0
    elif o.number_of_fills == "1":
        quote = mul(fixed_text(o.avg_price), filled)
    else:
        raise ValueError(f"order {o.order_id[:40]} filled {o.cumulative_quantity} without filled_value")
    product_quote = o.product_id.partition("-")[2]
    return OrderState(
        client_id=o.client_order_id, venue_order_id=o.order_id, status=state, filled_qty=filled, quote=quote,
        fee=fixed_text(o.total_fees or "0"), fee_asset=canonical_asset(product_quote) if product_quote else "",
        reason=o.reject_reason or o.cancel_reason,
    )


def decode_stream(frame: str | bytes) -> StreamMessage:
    """One message of the ``user`` connection::

        {"channel":"subscriptions",…,"events":[{"subscriptions":{"user":[…],"heartbeats":["heartbeats"]}}]}
        {"channel":"user",…,"events":[{"type":"snapshot","orders":[{"order_id":…,"client_order_id":…,
         "cumulative_quantity":"0","leaves_quantity":"0.001","avg_price":"0","total_fees":"0",
         "status":"OPEN","product_id":"BTC-USD",…}]}]}
        {"type":"error","message":"authentication failure"}

    A ``subscriptions`` message naming ``user`` says the subscription holds; ``user`` messages
    carry order states (the snapshot: the open orders; updates: each change); heartbeats carry
    nothing. An error is a :class:`VenueError` (a refused JWT: ``AUTH``)."""
    try:
        msg = _ws_messages.decode(frame)
        if msg.type == "error":
            lowered = msg.message.lower()
            auth = any(word in lowered for word in ("auth", "jwt", "unauthorized", "token"))
            raise VenueError(NAME, RejectReason.AUTH if auth else RejectReason.OTHER, "error", msg.message[:200])
        if msg.channel == "subscriptions":
            return StreamMessage(subscribed=any(e.subscriptions is not None and "user" in e.subscriptions for e in msg.events))
        if msg.channel != "user":
            return StreamMessage()
        return StreamMessage(states=tuple(_user_state(o) for e in msg.events for o in e.orders or ()))
    except (msgspec.DecodeError, ValueError) as exc:
        text = frame if isinstance(frame, str) else frame.decode(errors="replace")
        raise VenueError(NAME, RejectReason.OTHER, "decode", f"unreadable frame ({exc}): {text[:200]}") from None


#: No application ping: the ``heartbeats`` subscription keeps the connection open.
STREAM = PrivateStreamSpec(url=stream_url, decode=decode_stream, login=stream_login)

TRADING = TradingSpec(
    venue=NAME, place=place, decode_place=decode_place, cancel=None, query=query, decode_order=decode_order,
    balances=balances, decode_balances=decode_balances, classify=classify, client_id=client_id,
    fee_rates=fee_rates, decode_fee_rates=decode_fee_rates, query_by_venue_id=query_by_venue_id, cancel_by_id=cancel_by_id,
    decode_found=decode_found, decode_cancel=decode_cancel,
    budget=RestBudget(30, 1.0),  # private endpoints: 30 requests / s per user
    stream=STREAM,
)
