"""Binance spot trading requests (rest-api.md), sans-I/O: signed builders and decoders.

- Every private call is ``SIGNED``: header ``X-MBX-APIKEY``; query ``…&timestamp=<ms>&
  recvWindow=5000&signature=<hex HMAC-SHA256(secret, query)>`` (:mod:`.signing`).
- ``POST /api/v3/order`` (weight 1): ``symbol, side=BUY|SELL, type=LIMIT, timeInForce=IOC|GTC,
  quantity, price, newClientOrderId, newOrderRespType=FULL``. The ``FULL`` answer carries the
  fills with their commission (a buy's commission is taken in the base asset, a sell's in the
  quote)::

    {"symbol":"BTCUSDT","orderId":28,"clientOrderId":"arb-…","transactTime":1507725176595,
     "price":"0.1","origQty":"10","executedQty":"10","cummulativeQuoteQty":"1",
     "status":"FILLED","timeInForce":"IOC","type":"LIMIT","side":"SELL",
     "fills":[{"price":"0.1","qty":"10","commission":"0.001","commissionAsset":"USDT","tradeId":56}]}

  An IOC that did not fill completely ends ``EXPIRED``.
- ``GET /api/v3/order?symbol&origClientOrderId`` (weight 4) answers the order without fees:
  ``GET /api/v3/myTrades?symbol&orderId`` (weight 20) gives them.
- ``DELETE /api/v3/order?symbol&origClientOrderId`` (weight 1); ``GET /api/v3/account``
  (weight 20) → ``balances: [{asset, free, locked}]``; ``GET /api/v3/account/commission``
  (weight 20) → ``standardCommission: {maker, taker, …}``.
- Errors: ``{"code": -2010, "msg": "Account has insufficient balance for requested action."}``;
  HTTP 429/418 (rate limit, ``Retry-After``), 5xx (503 "execution status unknown").
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import msgspec

from arb.venues.base import Credentials, RestBudget, RestRequest
from arb.venues.binance.signing import sign
from arb.venues.trading import (
    Balance, Executions, OrderRequest, OrderState, OrderStatus, RejectReason, TradingSpec, VenueError, fixed_text,
)

NAME = "binance"
RECV_WINDOW_MS = 5000
_STATUS = {
    "NEW": OrderStatus.NEW,
    "PENDING_NEW": OrderStatus.NEW,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELLED,
    "PENDING_CANCEL": OrderStatus.PARTIALLY_FILLED,
    "EXPIRED": OrderStatus.CANCELLED,
    "EXPIRED_IN_MATCH": OrderStatus.CANCELLED,
    "REJECTED": OrderStatus.REJECTED,
}


def client_id(order_id: str) -> str:
    """``newClientOrderId`` matches ``^[.A-Z:/a-z0-9_-]{1,36}$``: a hash of arb's order id."""
    return "arb-" + hashlib.sha256(order_id.encode()).hexdigest()[:32]


def _signed(method: str, rest_url: str, path: str, credentials: Credentials, params: dict[str, str], now_ms: int, weight: int) -> RestRequest:
    query = urlencode({**params, "timestamp": str(now_ms), "recvWindow": str(RECV_WINDOW_MS)})
    query += "&signature=" + sign(credentials.secret, query)
    return RestRequest(method, f"{rest_url}{path}?{query}", headers={"X-MBX-APIKEY": credentials.key}, weight=weight)


def place(rest_url: str, credentials: Credentials, order: OrderRequest, now_ms: int) -> RestRequest:
    params = {
        "symbol": order.venue_symbol, "side": order.side.upper(), "type": "LIMIT", "timeInForce": order.tif.upper(),
        "quantity": order.qty_text, "price": order.price_text, "newClientOrderId": order.client_id, "newOrderRespType": "FULL",
    }
    return _signed("POST", rest_url, "/api/v3/order", credentials, params, now_ms, 1)


def cancel(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    params = {"symbol": venue_symbol, "origClientOrderId": client_order_id}
    return _signed("DELETE", rest_url, "/api/v3/order", credentials, params, now_ms, 1)


def query(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    params = {"symbol": venue_symbol, "origClientOrderId": client_order_id}
    return _signed("GET", rest_url, "/api/v3/order", credentials, params, now_ms, 4)


def trades(rest_url: str, credentials: Credentials, venue_symbol: str, venue_order_id: str, now_ms: int) -> RestRequest:
    params = {"symbol": venue_symbol, "orderId": venue_order_id}
    return _signed("GET", rest_url, "/api/v3/myTrades", credentials, params, now_ms, 20)


def balances(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed("GET", rest_url, "/api/v3/account", credentials, {"omitZeroBalances": "true"}, now_ms, 20)


def fee_rates(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed("GET", rest_url, "/api/v3/account", credentials, {"omitZeroBalances": "true"}, now_ms, 20)


# -- decoding -----------------------------------------------------------------------------------
class _Fill(msgspec.Struct):
    price: str
    qty: str
    commission: str
    commissionAsset: str


class _Order(msgspec.Struct):
    orderId: int
    clientOrderId: str
    status: str
    executedQty: str
    cummulativeQuoteQty: str
    fills: list[_Fill] | None = None


class _Trade(msgspec.Struct):
    qty: str
    quoteQty: str
    commission: str
    commissionAsset: str


class _Asset(msgspec.Struct):
    asset: str
    free: str
    locked: str


class _Rates(msgspec.Struct):
    maker: str
    taker: str


class _Account(msgspec.Struct):
    balances: list[_Asset]
    commissionRates: _Rates | None = None


class _Error(msgspec.Struct):
    code: int = 0
    msg: str = ""


_order = msgspec.json.Decoder(_Order)
_trades = msgspec.json.Decoder(list[_Trade])
_account = msgspec.json.Decoder(_Account)
_error = msgspec.json.Decoder(_Error)


def _bad(body: str, exc: Exception) -> VenueError:
    return VenueError(NAME, RejectReason.UNKNOWN_STATE, "decode", f"unreadable answer ({exc}): {body[:200]}")


def decode_place(status: int, body: str) -> OrderState:
    """A ``FULL`` order answer (its fills carry the commission)."""
    return _decode_order(body, with_fills=True)


def decode_order(status: int, body: str) -> OrderState:
    """An order query's answer (no fees: ``fee_known`` False when something filled)."""
    return _decode_order(body, with_fills=False)


def _decode_order(body: str, with_fills: bool) -> OrderState:
    try:
        o = _order.decode(body)
        state = _STATUS.get(o.status)
        if state is None:
            raise ValueError(f"unknown status {o.status!r}")
        filled = fixed_text(o.executedQty)
        fee = 0
        fee_asset = ""
        if with_fills and o.fills is not None:
            for f in o.fills:
                fee += fixed_text(f.commission)
                fee_asset = f.commissionAsset
        known = (with_fills and o.fills is not None) or not filled
        return OrderState(
            client_id=o.clientOrderId, venue_order_id=str(o.orderId), status=state, filled_qty=filled,
            quote=fixed_text(o.cummulativeQuoteQty), fee=fee, fee_asset=fee_asset, fee_known=known,
            reason="expired: no more liquidity within the limit" if o.status.startswith("EXPIRED") else "",
        )
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_trades(status: int, body: str) -> Executions:
    try:
        qty = quote = fee = 0
        asset = ""
        for t in _trades.decode(body):
            qty += fixed_text(t.qty)
            quote += fixed_text(t.quoteQty)
            fee += fixed_text(t.commission)
            asset = t.commissionAsset
        return Executions(qty, quote, fee, asset)
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_balances(status: int, body: str) -> dict[str, Balance]:
    try:
        account = _account.decode(body)
        return {a.asset: Balance(a.asset, fixed_text(a.free), fixed_text(a.locked)) for a in account.balances}
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_fee_rates(status: int, body: str) -> dict[str, tuple[int, int]]:
    """The account's (maker, taker) rates, for every symbol (Binance quotes one default)."""
    try:
        rates = _account.decode(body).commissionRates
        if rates is None:
            return {}
        return {"*": (fixed_text(rates.maker), fixed_text(rates.taker))}
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


#: -1013 filter failures name the filter in the message (the documented format).
_FILTERS = {"LOT_SIZE": RejectReason.LOT, "MARKET_LOT_SIZE": RejectReason.LOT, "PRICE_FILTER": RejectReason.PRICE,
            "PERCENT_PRICE": RejectReason.PRICE, "PERCENT_PRICE_BY_SIDE": RejectReason.PRICE,
            "MIN_NOTIONAL": RejectReason.MIN_NOTIONAL, "NOTIONAL": RejectReason.MIN_NOTIONAL}
_CODES = {
    -1003: RejectReason.RATE_LIMIT, -1015: RejectReason.RATE_LIMIT,
    -1021: RejectReason.AUTH, -1022: RejectReason.AUTH, -2014: RejectReason.AUTH, -2015: RejectReason.AUTH,
    -2013: RejectReason.NOT_FOUND, -2011: RejectReason.NOT_FOUND,
    -1100: RejectReason.OTHER, -1102: RejectReason.OTHER, -1121: RejectReason.OTHER,
    -1111: RejectReason.LOT, -1016: RejectReason.UNAVAILABLE, -1001: RejectReason.UNAVAILABLE,
}


def classify(status: int, body: str, headers: dict[str, str]) -> VenueError:
    """Every Binance error answer, classified (codes from errors.md)."""
    retry_after = _retry_after(headers)
    try:
        err = _error.decode(body)
    except msgspec.DecodeError:
        err = _Error(0, body[:200])
    if status in (429, 418):
        return VenueError(NAME, RejectReason.RATE_LIMIT, str(err.code or status), err.msg, retry_after)
    if status == 503 and "unknown" in err.msg.lower():  # "execution status unknown": it may have happened
        return VenueError(NAME, RejectReason.UNKNOWN_STATE, str(status), err.msg)
    if status >= 500:
        return VenueError(NAME, RejectReason.UNAVAILABLE, str(status), err.msg, retry_after)
    if status in (401, 403):
        return VenueError(NAME, RejectReason.AUTH, str(err.code or status), err.msg)
    code = err.code
    if code == -1013:
        name = err.msg.rsplit(":", 1)[-1].strip()
        return VenueError(NAME, _FILTERS.get(name, RejectReason.OTHER), str(code), err.msg)
    if code == -2010:
        lowered = err.msg.lower()
        if "insufficient balance" in lowered:
            return VenueError(NAME, RejectReason.BALANCE, str(code), err.msg)
        if "duplicate" in lowered:
            return VenueError(NAME, RejectReason.DUPLICATE, str(code), err.msg)
        return VenueError(NAME, RejectReason.OTHER, str(code), err.msg)
    return VenueError(NAME, _CODES.get(code, RejectReason.OTHER), str(code or status), err.msg, retry_after)


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
    fee_rates=fee_rates, decode_fee_rates=decode_fee_rates, trades=trades, decode_trades=decode_trades,
    budget=RestBudget(6000, 60.0),
)
