"""KuCoin spot trading requests (high-frequency order API, ``/api/v1/hf/orders``), sans-I/O.

- **Auth** (API key v3, :mod:`.signing`): ``KC-API-KEY``, ``KC-API-TIMESTAMP`` (ms, passed
  in), ``KC-API-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + path?query + body))``,
  ``KC-API-PASSPHRASE = base64(HMAC-SHA256(secret, passphrase))``, ``KC-API-KEY-VERSION: 3``.
  The venue refuses a timestamp more than 5 s from its clock.
- ``POST /api/v1/hf/orders`` (weight 1) ``{"clientOid", "symbol", "side": "buy"|"sell",
  "type": "limit", "price", "size", "timeInForce": "IOC"|"GTC"}`` → the order's ids only::

    {"code": "200000", "data": {"orderId": "670fd33bf9406e0007ab3945", "clientOid": "5c52e11203aa677f33e493fb"}}

- ``GET /api/v1/hf/orders/client-order/{clientOid}?symbol=`` (weight 2) → the order with its
  fills summed: ``dealSize``, ``dealFunds`` (quote, Σ price × size), ``fee`` in
  ``feeCurrency`` (the quote for spot pairs), ``active``, ``cancelExist``/``cancelledSize``.
- ``DELETE /api/v1/hf/orders/client-order/{clientOid}?symbol=`` (weight 1) →
  ``{"code": "200000", "data": {"clientOid": …}}`` (no state: the port asks again).
- ``GET /api/v1/accounts?type=trade`` (weight 5) → ``[{"currency", "type", "balance",
  "available", "holds"}]``; ``GET /api/v1/base-fee`` (weight 3) → ``{"takerFeeRate", "makerFeeRate"}``.
- Every answer is ``{"code": "200000", "data": …}``; anything else is an error whose ``code``
  (and, for the generic ``400100``, whose documented ``msg``) classifies it: 4000xx auth and
  timestamp, ``429000`` rate limit (headers ``gw-ratelimit-reset`` in ms), ``200004``
  balance, ``126044`` duplicate ``clientOid``, ``500000`` server.
- ``clientOid``: letters, digits, ``_`` and ``-``, at most 40 characters.
- ``GET /api/v1/hf/fills?symbol&orderId&limit=100`` (weight 2) → an order's trades
  (``items``: ``size``, ``funds``, ``fee``, ``feeCurrency``), for the fees a stream push lacks.
- Private websocket (:data:`STREAM`): ``POST /api/v1/bullet-private`` (signed, weight 10) →
  ``token`` and ``instanceServers[0]`` (``endpoint``, ``pingInterval`` 18000 ms); the stream is
  ``<endpoint>?token=…&connectId=…``, which greets with ``{"id":<connectId>,"type":"welcome"}``;
  then ``{"id","type":"subscribe","topic":"/spotMarket/tradeOrdersV2","privateChannel":true,
  "response":true}`` → ``ack``. Every change of an order is a ``message`` (subject
  ``orderChange``) whose ``type`` says what happened (``received``, ``open``, ``match``,
  ``update``, ``filled``, ``canceled``), with ``filledSize`` (cumulative), ``matchSize`` /
  ``matchPrice`` (this match only), ``remainSize`` and ``status``. Pushes carry no fees
  (``fee_known`` False: the order's fills give them, and the exact quote). ``{"id","type":"ping"}``
  every 18 s.
"""

from __future__ import annotations

import hashlib
from typing import Generic, TypeVar
from urllib.parse import quote, urlencode

import msgspec

from arb.core.numbers import mul
from arb.core.symbols import canonical_asset
from arb.venues.base import Credentials, RestBudget, RestRequest
from arb.venues.kucoin.signing import sign_request
from arb.venues.trading import (
    Balance, Executions, OrderRequest, OrderState, OrderStatus, PrivateStreamSpec, RejectReason, StreamMessage,
    TradingSpec, VenueError, fixed_text, retry_after_s,
)

NAME = "kucoin"
OK = "200000"
ORDERS_PATH = "/api/v1/hf/orders"
_json = msgspec.json.Encoder()


def client_id(order_id: str) -> str:
    """``clientOid`` matches ``^[A-Za-z0-9_-]{1,40}$``: a hash of arb's order id."""
    return "arb-" + hashlib.sha256(order_id.encode()).hexdigest()[:32]


def _signed(method: str, rest_url: str, path: str, credentials: Credentials, now_ms: int, *, params: dict[str, str] | None = None,
            body: str = "", weight: int = 1) -> RestRequest:
    url = f"{rest_url}{path}" + (f"?{urlencode(params)}" if params else "")
    return sign_request(RestRequest(method, url, body=body, weight=weight), credentials, now_ms)


def place(rest_url: str, credentials: Credentials, order: OrderRequest, now_ms: int) -> RestRequest:
    if order.tif not in ("ioc", "gtc"):
        raise ValueError(f"time in force must be ioc or gtc, got {order.tif!r}")
    body = {"clientOid": order.client_id, "symbol": order.venue_symbol, "side": order.side, "type": "limit",
            "price": order.price_text, "size": order.qty_text, "timeInForce": order.tif.upper()}
    return _signed("POST", rest_url, ORDERS_PATH, credentials, now_ms, body=_json.encode(body).decode())


def _by_client(client_order_id: str) -> str:
    return f"{ORDERS_PATH}/client-order/{quote(client_order_id, safe='')}"


def query(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    return _signed("GET", rest_url, _by_client(client_order_id), credentials, now_ms, params={"symbol": venue_symbol}, weight=2)


def cancel(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    return _signed("DELETE", rest_url, _by_client(client_order_id), credentials, now_ms, params={"symbol": venue_symbol})


def balances(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed("GET", rest_url, "/api/v1/accounts", credentials, now_ms, params={"type": "trade"}, weight=5)


def fee_rates(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed("GET", rest_url, "/api/v1/base-fee", credentials, now_ms, weight=3)


#: Trades one fills request lists (the venue's maximum page).
FILLS_LIMIT = 100


def trades(rest_url: str, credentials: Credentials, venue_symbol: str, venue_order_id: str, now_ms: int) -> RestRequest:
    params = {"symbol": venue_symbol, "orderId": venue_order_id, "limit": str(FILLS_LIMIT)}
    return _signed("GET", rest_url, "/api/v1/hf/fills", credentials, now_ms, params=params, weight=2)


# -- decoding -----------------------------------------------------------------------------------
class _Envelope(msgspec.Struct):
    code: str
    msg: str = ""


class _Placed(msgspec.Struct):
    orderId: str
    clientOid: str = ""


class _Order(msgspec.Struct):
    id: str
    clientOid: str
    symbol: str
    size: str
    dealSize: str
    dealFunds: str
    fee: str
    feeCurrency: str
    active: bool
    cancelExist: bool = False
    cancelledSize: str = "0"


class _Account(msgspec.Struct):
    currency: str
    type: str
    available: str
    holds: str


class _Fees(msgspec.Struct):
    takerFeeRate: str
    makerFeeRate: str


class _Cancelled(msgspec.Struct):
    clientOid: str = ""
    orderId: str = ""


class _Fill(msgspec.Struct):
    size: str
    funds: str
    fee: str
    feeCurrency: str


class _Fills(msgspec.Struct):
    items: list[_Fill]


_Data = TypeVar("_Data")


class _Answer(msgspec.Struct, Generic[_Data]):
    """An answer whose ``data`` is a ``_Data`` (None when the venue sent none)."""

    code: str
    data: _Data | None = None
    msg: str = ""


_envelope = msgspec.json.Decoder(_Envelope)
_placed = msgspec.json.Decoder(_Answer[_Placed])
_order = msgspec.json.Decoder(_Answer[_Order])
_accounts = msgspec.json.Decoder(_Answer[list[_Account]])
_fees = msgspec.json.Decoder(_Answer[_Fees])
_cancelled = msgspec.json.Decoder(_Answer[_Cancelled])
_fills = msgspec.json.Decoder(_Answer[_Fills])


def _bad(body: str, exc: Exception) -> VenueError:
    return VenueError(NAME, RejectReason.UNKNOWN_STATE, "decode", f"unreadable answer ({exc}): {body[:200]}")


def _data(decoder: msgspec.json.Decoder[_Answer[_Data]], status: int, body: str) -> _Data:
    """The ``data`` of a ``200000`` answer; any other code raises its classified error."""
    try:
        answer = decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise _bad(body, exc) from None
    if answer.code != OK:
        raise classify(status, body, {})
    if answer.data is None:
        raise VenueError(NAME, RejectReason.NOT_FOUND, answer.code, "the venue answered no data")
    return answer.data


def decode_place(status: int, body: str) -> OrderState:
    """The order's ids (its fills come with a query)."""
    placed = _data(_placed, status, body)
    return OrderState(client_id=placed.clientOid, venue_order_id=placed.orderId, status=OrderStatus.NEW)


def decode_order(status: int, body: str) -> OrderState:
    """One HF order: cumulative ``dealSize``/``dealFunds`` and ``fee`` in ``feeCurrency``."""
    o = _data(_order, status, body)
    try:
        size, filled = fixed_text(o.size), fixed_text(o.dealSize)
        if o.active:
            state = OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.NEW
        else:
            state = OrderStatus.FILLED if filled == size and size else OrderStatus.CANCELLED
        return OrderState(
            client_id=o.clientOid, venue_order_id=o.id, status=state, filled_qty=filled, quote=fixed_text(o.dealFunds),
            fee=fixed_text(o.fee), fee_asset=canonical_asset(o.feeCurrency) if o.feeCurrency else "",
            reason="cancelled: the rest did not fill" if state is OrderStatus.CANCELLED else "",
        )
    except ValueError as exc:
        raise _bad(body, exc) from None


def decode_cancel(status: int, body: str) -> None:
    """``{"code": "200000", "data": {"clientOid": …}}``: the cancel was accepted."""
    _data(_cancelled, status, body)


def decode_trades(status: int, body: str) -> Executions:
    """An order's fills, summed: ``size``, ``funds`` (quote, as the venue counts it) and ``fee``
    in ``feeCurrency``. A full page may not be all of them: the port then sees a quantity short
    of the order's and asks again."""
    fills = _data(_fills, status, body).items
    try:
        qty = quote = fee = 0
        asset = ""
        for f in fills:
            qty += fixed_text(f.size)
            quote += fixed_text(f.funds)
            fee += fixed_text(f.fee)
            if asset and f.feeCurrency and canonical_asset(f.feeCurrency) != asset:
                raise ValueError(f"fees in two assets: {asset}, {f.feeCurrency}")
            asset = canonical_asset(f.feeCurrency) if f.feeCurrency else asset
        return Executions(qty, quote, fee, asset)
    except ValueError as exc:
        raise _bad(body, exc) from None


def decode_balances(status: int, body: str) -> dict[str, Balance]:
    """The spot trading account (``type: trade``), by canonical asset (``BCHSV`` → ``BSV``)."""
    accounts = _data(_accounts, status, body)
    try:
        out: dict[str, Balance] = {}
        for a in accounts:
            if a.type not in ("trade", "trade_hf"):
                continue
            asset = canonical_asset(a.currency)
            free, locked = fixed_text(a.available), fixed_text(a.holds)
            if asset in out:
                free, locked = free + out[asset].free, locked + out[asset].locked
            out[asset] = Balance(asset, free, locked)
        return out
    except ValueError as exc:
        raise _bad(body, exc) from None


def decode_fee_rates(status: int, body: str) -> dict[str, tuple[int, int]]:
    """The account's base spot rates ``(maker, taker)``, for every symbol."""
    fees = _data(_fees, status, body)
    try:
        return {"*": (fixed_text(fees.makerFeeRate), fixed_text(fees.takerFeeRate))}
    except ValueError as exc:
        raise _bad(body, exc) from None


#: Error codes by class (KuCoin docs "Errors" and the order API's codes).
_CODES = {
    **dict.fromkeys(("400001", "400002", "400003", "400004", "400005", "400006", "400007", "400401", "411100"), RejectReason.AUTH),
    **dict.fromkeys(("429000",), RejectReason.RATE_LIMIT),
    **dict.fromkeys(("500000", "503000"), RejectReason.UNAVAILABLE),
    **dict.fromkeys(("200004", "126013", "130203", "230003", "210021", "260100"), RejectReason.BALANCE),
    **dict.fromkeys(("126044",), RejectReason.DUPLICATE),
    **dict.fromkeys(("126043", "100001"), RejectReason.NOT_FOUND),
    **dict.fromkeys(("600101",), RejectReason.MIN_NOTIONAL),
    **dict.fromkeys(("400370", "400760", "126029", "126030", "126022"), RejectReason.PRICE),
}
#: ``400100``/``600100`` are parameter errors: their documented messages say which.
_MESSAGES = (
    ("order not exist", RejectReason.NOT_FOUND), ("order_not_exist", RejectReason.NOT_FOUND),
    ("order does not exist", RejectReason.NOT_FOUND),
    ("balance insufficient", RejectReason.BALANCE), ("account.available.amount", RejectReason.BALANCE),
    ("funds below the minimum", RejectReason.MIN_NOTIONAL), ("order funds should more", RejectReason.MIN_NOTIONAL),
    ("size increment invalid", RejectReason.LOT), ("size below the minimum", RejectReason.LOT),
    ("quantity is below the minimum", RejectReason.LOT),
    ("price increment invalid", RejectReason.PRICE), ("not in the given range", RejectReason.PRICE),
    ("duplicate", RejectReason.DUPLICATE),
)


def classify(status: int, body: str, headers: dict[str, str]) -> VenueError:
    """Every KuCoin error answer, by HTTP status and the answer's ``code``."""
    retry_after = _retry_after(headers)
    try:
        err = _envelope.decode(body)
    except msgspec.DecodeError:
        err = _Envelope(str(status), body[:200])
    if status == 429 or err.code == "429000":
        return VenueError(NAME, RejectReason.RATE_LIMIT, err.code, err.msg, retry_after)
    if status >= 500:
        return VenueError(NAME, RejectReason.UNAVAILABLE, err.code, err.msg, retry_after)
    reason = _CODES.get(err.code)
    if reason is None and err.code in ("400100", "600100"):
        lowered = err.msg.lower()
        reason = next((r for text, r in _MESSAGES if text in lowered), RejectReason.OTHER)
    if reason is None:
        reason = RejectReason.AUTH if status in (401, 403) else RejectReason.OTHER
    return VenueError(NAME, reason, err.code, err.msg, retry_after)


def _retry_after(headers: dict[str, str]) -> float | None:
    """``Retry-After`` (s) or KuCoin's ``gw-ratelimit-reset`` (ms until the window resets)."""
    wait = retry_after_s(headers)
    return wait if wait is not None else retry_after_s(headers, "gw-ratelimit-reset", 0.001)


# -- the private websocket ----------------------------------------------------------------------
BULLET_PRIVATE_PATH = "/api/v1/bullet-private"
ORDERS_TOPIC = "/spotMarket/tradeOrdersV2"
_SUBSCRIBE_ID = "arb-orders"
_SUBSCRIBE_ORDERS = _json.encode({"id": _SUBSCRIBE_ID, "type": "subscribe", "topic": ORDERS_TOPIC, "privateChannel": True,
                                  "response": True}).decode()
_PING = '{"id":"arb-ping","type":"ping"}'
#: ``/spotMarket/tradeOrdersV2`` and its first version (the same pushes, without ``received``).
_ORDER_TOPICS = (ORDERS_TOPIC, "/spotMarket/tradeOrders")


def stream_token(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    """``POST /api/v1/bullet-private``, signed (weight 10): a token for one private connection."""
    return _signed("POST", rest_url, BULLET_PRIVATE_PATH, credentials, now_ms, weight=10)


class _Server(msgspec.Struct):
    endpoint: str
    pingInterval: int = 18000


class _Bullet(msgspec.Struct):
    token: str
    instanceServers: list[_Server]


_bullet = msgspec.json.Decoder(_Answer[_Bullet])


def decode_stream_token(status: int, body: str) -> str:
    """The bullet's answer → ``<endpoint>?token=<token>``: the venue names the stream's server
    with its token (so the whole of it is the secret the stream masks in its logs)."""
    bullet = _data(_bullet, status, body)
    if not bullet.token or not bullet.instanceServers or not bullet.instanceServers[0].endpoint:
        raise _bad(body, ValueError("no token or endpoint"))
    endpoint = bullet.instanceServers[0].endpoint
    return f"{endpoint}{'&' if '?' in endpoint else '?'}" + urlencode({"token": bullet.token})


def stream_url(ws_url: str, token: str) -> str:
    """``<endpoint>?token=…&connectId=…`` (the bullet's server: ``ws_url`` is not used); the
    ``connectId`` is derived from the token, new on every connection."""
    return f"{token}&connectId=arb{hashlib.sha256(token.encode()).hexdigest()[:16]}"


def stream_login(credentials: Credentials, now_ms: int) -> list[str]:
    """Nothing to send: the token authenticated the connection; the subscription waits for the
    ``welcome`` message (decoded as logged in)."""
    return []


class _Change(msgspec.Struct):
    """An ``orderChange`` (the fields arb reads)."""

    orderId: str
    type: str
    clientOid: str = ""
    status: str = ""
    size: str = "0"
    filledSize: str = "0"
    matchSize: str = ""
    matchPrice: str = ""
    price: str = "0"


class _Frame(msgspec.Struct):
    type: str
    id: str | int | None = None
    topic: str = ""
    subject: str = ""
    code: int | str | None = None
    data: msgspec.Raw = msgspec.Raw(b"null")


_frames = msgspec.json.Decoder(_Frame)
_changes = msgspec.json.Decoder(_Change)


def _change_state(c: _Change) -> OrderState:
    """A pushed change as a cumulative state. ``filledSize`` is cumulative; the quote is exact on
    the order's first match (``matchSize`` = ``filledSize``: ``matchPrice`` × ``matchSize``);
    otherwise it is an estimate (``matchPrice``, else the limit, × ``filledSize``) that the
    order's fills replace. No fees either way: ``fee_known`` False once something filled."""
    size, filled = fixed_text(c.size or "0"), fixed_text(c.filledSize or "0")
    if c.type == "filled" or (filled and filled == size):
        state = OrderStatus.FILLED
    elif c.type == "canceled" or c.status == "done":
        state = OrderStatus.CANCELLED
    else:  # received, open, match, update of an order still working
        state = OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.NEW
    # The first match (matchSize = filledSize) gives the exact quote; a later one only an estimate.
    price = fixed_text(c.matchPrice) if c.type == "match" and c.matchPrice else fixed_text(c.price or "0")
    return OrderState(
        client_id=c.clientOid, venue_order_id=c.orderId, status=state, filled_qty=filled, quote=mul(price, filled),
        fee_known=not filled, reason="cancelled: the rest did not fill" if state is OrderStatus.CANCELLED else "",
    )


def decode_stream(frame: str | bytes) -> StreamMessage:
    """One frame of the private connection::

        {"id":"<connectId>","type":"welcome"}
        {"id":"arb-orders","type":"ack"}
        {"type":"message","topic":"/spotMarket/tradeOrdersV2","subject":"orderChange","channelType":"private",
         "data":{"symbol":"KCS-USDT","orderType":"limit","side":"sell","orderId":"5efab07953bdea00089965fa",
         "liquidity":"taker","type":"match","orderTime":1593487482038606180,"size":"0.1","filledSize":"0.1",
         "price":"0.938","matchPrice":"0.96738","matchSize":"0.1","tradeId":"5efab07a4ee4c7000a82d6d9",
         "clientOid":"1593487481000313","remainSize":"0","status":"match","ts":1593487482038606180}}
        {"id":"…","type":"error","code":401,"data":"token is expired"}

    and ``pong``. ``welcome`` is the login (send the subscription), our ``ack`` the
    subscription; an error frame is a :class:`VenueError` (401: ``AUTH``)."""
    try:
        msg = _frames.decode(frame)
        if msg.type == "welcome":
            return StreamMessage(logged_in=True)
        if msg.type == "ack":
            return StreamMessage(subscribed=str(msg.id) == _SUBSCRIBE_ID)
        if msg.type == "error":
            code = str(msg.code)
            reason = RejectReason.AUTH if code in ("401", "400003", "400004", "400005") else RejectReason.OTHER
            detail = bytes(msg.data).decode(errors="replace").strip('"')
            raise VenueError(NAME, reason, code, detail[:200])
        if msg.type != "message" or msg.topic not in _ORDER_TOPICS or msg.subject != "orderChange":
            return StreamMessage()
        return StreamMessage(states=(_change_state(_changes.decode(msg.data)),))
    except (msgspec.DecodeError, ValueError) as exc:
        text = frame if isinstance(frame, str) else frame.decode(errors="replace")
        raise VenueError(NAME, RejectReason.OTHER, "decode", f"unreadable frame ({exc}): {text[:200]}") from None


STREAM = PrivateStreamSpec(
    url=stream_url, decode=decode_stream, login=stream_login, subscribe=(_SUBSCRIBE_ORDERS,), ping=_PING,
    ping_interval_s=18.0,  # the bullet's pingInterval (18000 ms)
    token=stream_token, decode_token=decode_stream_token,
)

TRADING = TradingSpec(
    venue=NAME, place=place, decode_place=decode_place, cancel=cancel, query=query, decode_order=decode_order,
    balances=balances, decode_balances=decode_balances, classify=classify, client_id=client_id,
    fee_rates=fee_rates, decode_fee_rates=decode_fee_rates, decode_cancel=decode_cancel,
    trades=trades, decode_trades=decode_trades,
    budget=RestBudget(4000, 30.0),  # the Spot resource pool at VIP 0 (weights on each request)
    stream=STREAM,
)
