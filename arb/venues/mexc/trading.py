"""MEXC spot v3 trading requests, sans-I/O: signed builders and decoders.

- Every private call is ``SIGNED``: header ``X-MEXC-APIKEY``; parameters in the query string
  with ``recvWindow`` and ``timestamp`` (ms), then ``&signature=<lowercase hex
  HMAC-SHA256(secret, query + body)>`` (:mod:`.signing`). The server accepts a request when
  ``timestamp < serverTime + 1000`` and ``serverTime - timestamp <= recvWindow`` (≤ 60000).
- ``POST /api/v3/order``: ``symbol, side=BUY|SELL, type=LIMIT|IMMEDIATE_OR_CANCEL, quantity,
  price, newClientOrderId`` (MEXC has no ``timeInForce``: immediate-or-cancel is an order
  type). The answer says nothing of fills — not even a status::

    {"symbol":"MXUSDT","orderId":"06a480e69e604477bfb48dddd5f0b750","orderListId":-1,
     "price":"0.1","origQty":"50","type":"LIMIT","side":"BUY","transactTime":1666676533741}

  so the port follows every order with ``GET /api/v3/order?symbol&origClientOrderId``
  (``status`` ``NEW``, ``PARTIALLY_FILLED``, ``FILLED``, ``CANCELED``, ``PARTIALLY_CANCELED``;
  ``executedQty``, ``cummulativeQuoteQty``; no fees), and asks
  ``GET /api/v3/myTrades?symbol&orderId`` for the fees (``commission``, ``commissionAsset``).
- ``DELETE /api/v3/order?symbol&origClientOrderId``; ``GET /api/v3/account`` →
  ``balances: [{asset, free, locked}]``. Fee rates exist only per symbol
  (``GET /api/v3/tradeFee?symbol``): :data:`TRADING` has no account-wide ``fee_rates``.
- Errors: ``{"code":30004,"msg":"Insufficient position"}`` (HTTP 400); 429 with
  ``Retry-After``. "HTTP 5XX … the execution status is UNKNOWN and could have been a success":
  every 5xx is ``UNKNOWN_STATE`` here.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import msgspec

from arb.venues.base import Credentials, RestBudget, RestRequest
from arb.venues.mexc.signing import sign
from arb.venues.trading import (
    Balance, Executions, OrderRequest, OrderState, OrderStatus, RejectReason, TradingSpec, VenueError, fixed_text,
)

NAME = "mexc"
RECV_WINDOW_MS = 5000
#: ``tif`` → MEXC order type (limit orders only: never an unprotected market order).
ORDER_TYPES = {"ioc": "IMMEDIATE_OR_CANCEL", "gtc": "LIMIT"}
_STATUS = {
    "NEW": OrderStatus.NEW,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELLED,
    "PARTIALLY_CANCELED": OrderStatus.CANCELLED,
}


def client_id(order_id: str) -> str:
    """``newClientOrderId``: ``arb-`` + 28 hex digits of a hash of arb's order id (32 characters
    of ``[0-9a-z-]``; MEXC clients keep them within 32)."""
    return "arb-" + hashlib.sha256(order_id.encode()).hexdigest()[:28]


def signed(method: str, rest_url: str, path: str, credentials: Credentials, params: dict[str, str], now_ms: int,
           weight: int = 1) -> RestRequest:
    """A ``SIGNED`` request: ``params`` then ``recvWindow`` and ``timestamp`` in the query, signed."""
    query = urlencode({**params, "recvWindow": str(RECV_WINDOW_MS), "timestamp": str(now_ms)})
    query += "&signature=" + sign(credentials.secret, query)
    headers = {"X-MEXC-APIKEY": credentials.key, "Content-Type": "application/json"}
    return RestRequest(method, f"{rest_url}{path}?{query}", headers=headers, weight=weight)


def place(rest_url: str, credentials: Credentials, order: OrderRequest, now_ms: int) -> RestRequest:
    params = {
        "symbol": order.venue_symbol, "side": order.side.upper(), "type": ORDER_TYPES[order.tif],
        "quantity": order.qty_text, "price": order.price_text, "newClientOrderId": order.client_id,
    }
    return signed("POST", rest_url, "/api/v3/order", credentials, params, now_ms)


def cancel(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    return signed("DELETE", rest_url, "/api/v3/order", credentials, {"symbol": venue_symbol, "origClientOrderId": client_order_id}, now_ms)


def query(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    return signed("GET", rest_url, "/api/v3/order", credentials, {"symbol": venue_symbol, "origClientOrderId": client_order_id},
                  now_ms, 2)


def trades(rest_url: str, credentials: Credentials, venue_symbol: str, venue_order_id: str, now_ms: int) -> RestRequest:
    return signed("GET", rest_url, "/api/v3/myTrades", credentials, {"symbol": venue_symbol, "orderId": venue_order_id}, now_ms, 10)


def balances(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return signed("GET", rest_url, "/api/v3/account", credentials, {}, now_ms, 10)


# -- decoding -----------------------------------------------------------------------------------
class _Placed(msgspec.Struct):
    orderId: str | int
    clientOrderId: str | None = None


class _Order(msgspec.Struct):
    orderId: str | int
    status: str
    executedQty: str
    cummulativeQuoteQty: str
    clientOrderId: str | None = None


class _Trade(msgspec.Struct):
    qty: str
    quoteQty: str
    commission: str
    commissionAsset: str


class _Asset(msgspec.Struct):
    asset: str
    free: str
    locked: str


class _Account(msgspec.Struct):
    balances: list[_Asset]


class _Error(msgspec.Struct):
    code: int | str = 0
    msg: str = ""


_placed = msgspec.json.Decoder(_Placed)
_order = msgspec.json.Decoder(_Order)
_trades = msgspec.json.Decoder(list[_Trade])
_account = msgspec.json.Decoder(_Account)
_error = msgspec.json.Decoder(_Error)


def _bad(body: str, exc: Exception) -> VenueError:
    return VenueError(NAME, RejectReason.UNKNOWN_STATE, "decode", f"unreadable answer ({exc}): {body[:200]}")


def decode_place(status: int, body: str) -> OrderState:
    """The new order's ids only: accepted, fills unknown until it is queried."""
    try:
        o = _placed.decode(body)
        return OrderState(client_id=o.clientOrderId or "", venue_order_id=str(o.orderId), status=OrderStatus.NEW)
    except msgspec.DecodeError as exc:
        raise _bad(body, exc) from None


def decode_order(status: int, body: str) -> OrderState:
    """An order query's (or a cancel's) answer: cumulative fills, no fees (``fee_known`` False
    when something filled)."""
    try:
        o = _order.decode(body)
        state = _STATUS.get(o.status)
        if state is None:
            raise ValueError(f"unknown status {o.status!r}")
        filled = fixed_text(o.executedQty)
        reason = ""
        if state is OrderStatus.CANCELLED:
            reason = "cancelled" if o.status == "CANCELED" and not filled else "cancelled: the rest of the order"
        return OrderState(
            client_id=o.clientOrderId or "", venue_order_id=str(o.orderId), status=state, filled_qty=filled,
            quote=fixed_text(o.cummulativeQuoteQty), fee_known=not filled, reason=reason,
        )
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_trades(status: int, body: str) -> Executions:
    try:
        qty = quote = fee = 0
        assets = set()
        for t in _trades.decode(body):
            qty += fixed_text(t.qty)
            quote += fixed_text(t.quoteQty)
            fee += fixed_text(t.commission)
            assets.add(t.commissionAsset)
        if len(assets) > 1:  # MX deduction on some fills only: not one fee asset
            raise ValueError(f"commission in several assets: {sorted(assets)}")
        return Executions(qty, quote, fee, assets.pop() if assets else "")
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_balances(status: int, body: str) -> dict[str, Balance]:
    try:
        return {a.asset: Balance(a.asset, fixed_text(a.free), fixed_text(a.locked)) for a in _account.decode(body).balances}
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


#: Every documented code arb can meet, classified once (docs "Error Code"). Others: ``OTHER``.
_CODES = {
    30004: RejectReason.BALANCE, 30005: RejectReason.BALANCE, 10101: RejectReason.BALANCE,
    30002: RejectReason.MIN_NOTIONAL,  # "The minimum transaction volume cannot be less than:5USDT"
    30003: RejectReason.LOT,  # "The maximum transaction volume cannot be greater than :"
    30010: RejectReason.PRICE, 30087: RejectReason.PRICE,  # no valid trade price; price exceeds allowed range
    -2010: RejectReason.DUPLICATE,  # "Duplicate order sent." (Binance's code; MEXC keeps its -20xx family)
    -2011: RejectReason.NOT_FOUND, -2013: RejectReason.NOT_FOUND, 22222: RejectReason.NOT_FOUND,
    400: RejectReason.OTHER,  # "api key required"; price/quantity scale: see classify
    401: RejectReason.AUTH, 402: RejectReason.AUTH, 403: RejectReason.AUTH, 406: RejectReason.AUTH,
    602: RejectReason.AUTH, 10001: RejectReason.AUTH, 10072: RejectReason.AUTH, 30020: RejectReason.AUTH,
    70011: RejectReason.AUTH, 700001: RejectReason.AUTH, 700002: RejectReason.AUTH, 700003: RejectReason.AUTH,
    700005: RejectReason.AUTH, 700006: RejectReason.AUTH, 700007: RejectReason.AUTH,
    429: RejectReason.RATE_LIMIT, 510: RejectReason.RATE_LIMIT,
}


def classify(status: int, body: str, headers: dict[str, str]) -> VenueError:
    """Every MEXC error answer, classified (codes from the docs' "Error Code" table). Code 400
    carries the tick and lot refusals in words: "price scale is invalid", "quantity scale is
    invalid" (also "amount scale")."""
    retry_after = _retry_after(headers)
    try:
        err = _error.decode(body)
        code = int(err.code)
    except (msgspec.DecodeError, ValueError):
        err, code = _Error(0, body[:200]), 0
    if status in (429, 418):
        return VenueError(NAME, RejectReason.RATE_LIMIT, str(code or status), err.msg, retry_after)
    if status >= 500:  # "the execution status is UNKNOWN and could have been a success"
        return VenueError(NAME, RejectReason.UNKNOWN_STATE, str(code or status), err.msg)
    reason = _CODES.get(code, RejectReason.OTHER)
    if code == 400 and "scale is invalid" in err.msg:
        reason = RejectReason.PRICE if "price" in err.msg else RejectReason.LOT
    elif not code and status in (401, 403):
        reason = RejectReason.AUTH
    return VenueError(NAME, reason, str(code or status), err.msg, retry_after if reason.retryable else None)


def _retry_after(headers: dict[str, str]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


TRADING = TradingSpec(
    venue=NAME, place=place, decode_place=decode_place, cancel=cancel, query=query, decode_order=decode_order,
    balances=balances, decode_balances=decode_balances, classify=classify, client_id=client_id,
    trades=trades, decode_trades=decode_trades,
    # "Each endpoint with UID limits has an independent 500 every 10 second limit", requests
    # weighing what the docs say (order 1, query 2, account 10 …). Kept over all endpoints
    # together as a token bucket of half that: never more than 500 in any 10 s on one endpoint.
    budget=RestBudget(250, 10.0),
)
