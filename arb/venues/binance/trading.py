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
- User data stream (:data:`STREAM`, user-data-stream.md of 2022-12-05): ``POST
  /api/v3/userDataStream`` (the API key header, no signature) → ``{"listenKey": …}``; the
  stream is ``wss://stream.binance.com:9443/ws/<listenKey>``; ``PUT ?listenKey=`` keeps it
  alive (every 30 min; it lapses after 60). Each change of an order is an ``executionReport``
  (``c`` client id — ``C`` the original one on a cancel —, ``X`` status, ``z``/``Z`` cumulative
  quantity and quote, ``n``/``N`` *this* execution's commission and asset). Binance now
  recommends subscribing through its WebSocket API instead (``userDataStream.subscribe``); the
  listenKey stream is what this module speaks.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import msgspec

from arb.venues.base import Credentials, RestBudget, RestRequest
from arb.venues.binance.signing import sign
from arb.venues.trading import (
    Balance, Executions, OrderRequest, OrderState, OrderStatus, PrivateStreamSpec, RejectReason, StreamMessage,
    TradingSpec, VenueError, fixed_text, retry_after_s, ws_origin,
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
    retry_after = retry_after_s(headers)
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


# -- the user data stream -----------------------------------------------------------------------
def stream_token(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    """``POST /api/v3/userDataStream`` (weight 2): the API key header only, no signature."""
    return RestRequest("POST", f"{rest_url}/api/v3/userDataStream", headers={"X-MBX-APIKEY": credentials.key}, weight=2)


def stream_keepalive(rest_url: str, credentials: Credentials, listen_key: str, now_ms: int) -> RestRequest:
    """``PUT /api/v3/userDataStream?listenKey=…``: another 60 minutes."""
    return RestRequest("PUT", f"{rest_url}/api/v3/userDataStream?" + urlencode({"listenKey": listen_key}),
                       headers={"X-MBX-APIKEY": credentials.key}, weight=2)


class _ListenKey(msgspec.Struct):
    listenKey: str


_listen_key = msgspec.json.Decoder(_ListenKey)


def decode_stream_token(status: int, body: str) -> str:
    try:
        key = _listen_key.decode(body).listenKey
    except msgspec.DecodeError as exc:
        raise _bad(body, exc) from None
    if not key or not key.isalnum():
        raise _bad(body, ValueError("no listenKey"))
    return key


def stream_url(ws_url: str, listen_key: str) -> str:
    """``wss://stream.binance.com:9443/ws/<listenKey>``: the market-data URL's host."""
    return f"{ws_origin(ws_url)}/ws/{listen_key}"


class _Report(msgspec.Struct):
    """An ``executionReport`` (the fields arb reads)."""

    e: str
    c: str
    X: str
    i: int
    z: str
    Z: str
    l: str = "0"  # the venue's name: last executed quantity
    n: str = "0"
    N: str | None = None
    x: str = ""
    C: str = ""
    r: str = "NONE"


class _Event(msgspec.Struct):
    e: str = ""


_event = msgspec.json.Decoder(_Event)
_report = msgspec.json.Decoder(_Report)


def decode_stream(frame: str | bytes) -> StreamMessage:
    """One event of the user data stream; ``executionReport`` gives an order's state::

        {"e":"executionReport","E":1499405658658,"s":"ETHBTC","c":"mUvoqJxFIILMdfAW5iGSOW","S":"BUY",
         "o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410","x":"NEW","X":"NEW","i":4293153,
         "l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,"Z":"0.00000000",…}

    ``n`` is the commission of this execution only: the state's fee is cumulative (``fee_known``)
    when this is the order's first execution (``l`` = ``z``) or nothing filled; otherwise the
    port takes the fees from the order's trades. A cancel names the order in ``C``. Other
    events (balances, ``listStatus``) carry no order state; ``eventStreamTerminated`` and
    ``listenKeyExpired`` end the stream (an error: the shell reconnects with a new key)."""
    try:
        kind = _event.decode(frame).e
        if kind in ("listenKeyExpired", "eventStreamTerminated"):
            raise VenueError(NAME, RejectReason.AUTH if kind == "listenKeyExpired" else RejectReason.UNAVAILABLE, kind,
                             "the user data stream ended")
        if kind != "executionReport":
            return StreamMessage()
        r = _report.decode(frame)
        status = _STATUS.get(r.X)
        if status is None:
            raise ValueError(f"unknown status {r.X!r}")
        filled, last = fixed_text(r.z), fixed_text(r.l)
        first = r.x == "TRADE" and last == filled
        known = not filled or first
        state = OrderState(
            client_id=r.C or r.c, venue_order_id=str(r.i), status=status, filled_qty=filled, quote=fixed_text(r.Z),
            fee=fixed_text(r.n) if first else 0, fee_asset=(r.N or "") if first else "", fee_known=known,
            reason="expired: no more liquidity within the limit" if r.X.startswith("EXPIRED")
            else (r.r if r.X == "REJECTED" else ""),
        )
        return StreamMessage(states=(state,))
    except (msgspec.DecodeError, ValueError) as exc:
        text = frame if isinstance(frame, str) else frame.decode(errors="replace")
        raise VenueError(NAME, RejectReason.OTHER, "decode", f"unreadable frame ({exc}): {text[:200]}") from None


STREAM = PrivateStreamSpec(
    url=stream_url, decode=decode_stream, token=stream_token, decode_token=decode_stream_token,
    keepalive=stream_keepalive, keepalive_s=1800.0,
)

TRADING = TradingSpec(
    venue=NAME, place=place, decode_place=decode_place, cancel=cancel, query=query, decode_order=decode_order,
    balances=balances, decode_balances=decode_balances, classify=classify, client_id=client_id,
    fee_rates=fee_rates, decode_fee_rates=decode_fee_rates, trades=trades, decode_trades=decode_trades,
    budget=RestBudget(6000, 60.0), stream=STREAM,
)
