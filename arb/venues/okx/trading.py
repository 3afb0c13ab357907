"""OKX API v5 spot trading requests, sans-I/O: signed builders and decoders.

- Every private call carries ``OK-ACCESS-KEY``, ``OK-ACCESS-PASSPHRASE``, ``OK-ACCESS-TIMESTAMP``
  (ISO-8601 UTC with ms) and ``OK-ACCESS-SIGN`` = base64 HMAC-SHA256 over timestamp + METHOD +
  path (with its query) + body (:mod:`.signing`). The server refuses a timestamp more than
  30 s from its clock (50102).
- ``POST /api/v5/trade/order`` ``{"instId","tdMode":"cash","clOrdId","side","ordType":"ioc"|
  "limit","px","sz"}`` answers the ids only (``sCode`` "0"; a refused order comes back with
  HTTP 200, ``code`` "1" and the reason in ``data[0].sCode``)::

    {"code":"0","msg":"","data":[{"clOrdId":"oktswap6","ordId":"312269865356374016","tag":"",
     "ts":"1695190491421","sCode":"0","sMsg":"","subCode":""}],"inTime":"…","outTime":"…"}

- ``GET /api/v5/trade/order?instId&clOrdId`` → ``state`` (live, partially_filled, filled,
  canceled, mmp_canceled), ``accFillSz``, the *last* fill (``fillPx``, ``fillSz``), ``avgPx``
  and the accumulated ``fee`` (negative: charged) in ``feeCcy`` — the asset received (a buy's
  base, a sell's quote). One fill gives the exact quote (``fillPx × fillSz``); with several,
  ``avgPx`` may be rounded, so the order's fills (``GET /api/v5/trade/fills?instType=SPOT&
  instId&ordId``) give it exactly (``fee_known`` False).
- ``POST /api/v5/trade/cancel-order`` ``{"instId","clOrdId"}`` answers the ids (the result
  comes with the order state); ``GET /api/v5/account/balance`` → ``details: [{ccy, availBal,
  frozenBal, …}]``; ``GET /api/v5/account/trade-fee?instType=SPOT`` → ``maker``/``taker``
  (negative: charged) of the USDT pairs.
- Errors (``{"code":"50113","msg":"Invalid signature","data":[]}``) are classified once in
  :data:`CODES`; HTTP 429 (50011), 5xx (50001, 50026).
- Private websocket (:data:`STREAM`): ``/ws/v5/private``, ``login`` (timestamp in seconds,
  ``sign`` over timestamp + "GET" + "/users/self/verify"), then the ``orders`` channel of SPOT:
  every change of an order pushed with the order query's fields; ``ping``/``pong``.
"""

from __future__ import annotations

import hashlib
import time
from typing import Generic, TypeVar
from urllib.parse import urlencode

import msgspec

from arb.core.numbers import mul
from arb.core.symbols import canonical_asset
from arb.venues.base import Credentials, RestBudget, RestRequest
from arb.venues.okx.signing import sign
from arb.venues.trading import (
    Balance, Executions, OrderRequest, OrderState, OrderStatus, PrivateStreamSpec, RejectReason, StreamMessage,
    TradingSpec, VenueError, fixed_text, retry_after_s, ws_origin,
)

NAME = "okx"
_STATUS = {
    "live": OrderStatus.NEW,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "mmp_canceled": OrderStatus.CANCELLED,
}
_json = msgspec.json.Encoder()

#: Every OKX error code arb may meet (docs "Error Code": REST API public, 50000–51999), classified once.
CODES: dict[str, RejectReason] = {
    # General class
    "50001": RejectReason.UNAVAILABLE, "50026": RejectReason.UNAVAILABLE, "50046": RejectReason.UNAVAILABLE,
    "50004": RejectReason.UNKNOWN_STATE,  # endpoint timeout: "does not mean that the request was successful or failed"
    "50011": RejectReason.RATE_LIMIT, "50013": RejectReason.RATE_LIMIT, "50040": RejectReason.RATE_LIMIT,
    "50061": RejectReason.RATE_LIMIT,
    "50071": RejectReason.DUPLICATE,  # "{param} already exists, e.g. clOrdId already exists"
    "50122": RejectReason.MIN_NOTIONAL,
    "50000": RejectReason.OTHER, "50002": RejectReason.OTHER, "50005": RejectReason.OTHER, "50006": RejectReason.OTHER,
    "50014": RejectReason.OTHER, "50015": RejectReason.OTHER, "50016": RejectReason.OTHER,
    # API class: key, passphrase, timestamp, signature, permissions
    "50100": RejectReason.AUTH, "50101": RejectReason.AUTH, "50102": RejectReason.AUTH, "50103": RejectReason.AUTH,
    "50104": RejectReason.AUTH, "50105": RejectReason.AUTH, "50106": RejectReason.AUTH, "50107": RejectReason.AUTH,
    "50108": RejectReason.AUTH, "50109": RejectReason.AUTH, "50110": RejectReason.AUTH, "50111": RejectReason.AUTH,
    "50112": RejectReason.AUTH, "50113": RejectReason.AUTH, "50114": RejectReason.AUTH, "50119": RejectReason.AUTH,
    "50120": RejectReason.AUTH, "50121": RejectReason.AUTH, "50035": RejectReason.AUTH, "50030": RejectReason.AUTH,
    # Trade class
    "51008": RejectReason.BALANCE, "51119": RejectReason.BALANCE, "51127": RejectReason.BALANCE, "51131": RejectReason.BALANCE,
    "51006": RejectReason.PRICE, "51116": RejectReason.PRICE, "51122": RejectReason.PRICE, "51137": RejectReason.PRICE,
    "51138": RejectReason.PRICE,
    "51020": RejectReason.LOT, "51121": RejectReason.LOT, "51150": RejectReason.LOT,
    "51120": RejectReason.MIN_NOTIONAL,
    "51016": RejectReason.DUPLICATE, "51011": RejectReason.DUPLICATE,
    "51603": RejectReason.NOT_FOUND, "51400": RejectReason.NOT_FOUND, "51401": RejectReason.NOT_FOUND,
    "51402": RejectReason.NOT_FOUND, "51405": RejectReason.NOT_FOUND, "51063": RejectReason.NOT_FOUND,
    "51054": RejectReason.UNKNOWN_STATE, "51149": RejectReason.UNKNOWN_STATE,  # timed out, outcome unknown
    "51412": RejectReason.UNKNOWN_STATE,  # cancellation timed out
    "51001": RejectReason.OTHER, "51005": RejectReason.OTHER, "51009": RejectReason.OTHER, "51010": RejectReason.OTHER,
    "51021": RejectReason.OTHER, "51022": RejectReason.OTHER, "51024": RejectReason.AUTH, "51025": RejectReason.OTHER,
    "51155": RejectReason.OTHER, "51201": RejectReason.OTHER, "51202": RejectReason.OTHER, "51203": RejectReason.OTHER,
    "51410": RejectReason.OTHER,  # already being cancelled: the order query says how it ended
}
#: ``51000 Parameter {param0} error``: the parameter names the class.
_PARAMETERS = {"px": RejectReason.PRICE, "sz": RejectReason.LOT}


def client_id(order_id: str) -> str:
    """``clOrdId``: "a combination of case-sensitive alphanumerics … of up to 32 characters"."""
    return "arb" + hashlib.sha256(order_id.encode()).hexdigest()[:29]


def timestamp(now_ms: int) -> str:
    """``OK-ACCESS-TIMESTAMP``: ``2020-12-08T09:08:57.715Z``."""
    secs, ms = divmod(now_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{ms:03d}Z"


def _signed(method: str, rest_url: str, path: str, credentials: Credentials, now_ms: int,
            query: dict[str, str] | None = None, body: object = None) -> RestRequest:
    request_path = path + ("?" + urlencode(query) if query else "")
    text = _json.encode(body).decode() if body is not None else ""
    stamp = timestamp(now_ms)
    headers = {
        "OK-ACCESS-KEY": credentials.key, "OK-ACCESS-SIGN": sign(credentials.secret, stamp, method, request_path, text),
        "OK-ACCESS-TIMESTAMP": stamp, "OK-ACCESS-PASSPHRASE": credentials.passphrase, "Content-Type": "application/json",
    }
    return RestRequest(method, rest_url + request_path, headers=headers, body=text)


def place(rest_url: str, credentials: Credentials, order: OrderRequest, now_ms: int) -> RestRequest:
    if order.tif not in ("ioc", "gtc"):
        raise ValueError(f"time in force must be ioc or gtc, got {order.tif!r}")
    body = {
        "instId": order.venue_symbol, "tdMode": "cash", "clOrdId": order.client_id, "side": order.side,
        "ordType": "ioc" if order.tif == "ioc" else "limit", "px": order.price_text, "sz": order.qty_text,
    }
    return _signed("POST", rest_url, "/api/v5/trade/order", credentials, now_ms, body=body)


def cancel(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    body = {"instId": venue_symbol, "clOrdId": client_order_id}
    return _signed("POST", rest_url, "/api/v5/trade/cancel-order", credentials, now_ms, body=body)


def query(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    params = {"instId": venue_symbol, "clOrdId": client_order_id}
    return _signed("GET", rest_url, "/api/v5/trade/order", credentials, now_ms, query=params)


def trades(rest_url: str, credentials: Credentials, venue_symbol: str, venue_order_id: str, now_ms: int) -> RestRequest:
    params = {"instType": "SPOT", "instId": venue_symbol, "ordId": venue_order_id}
    return _signed("GET", rest_url, "/api/v5/trade/fills", credentials, now_ms, query=params)


def balances(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed("GET", rest_url, "/api/v5/account/balance", credentials, now_ms)


def fee_rates(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed("GET", rest_url, "/api/v5/account/trade-fee", credentials, now_ms, query={"instType": "SPOT"})


# -- decoding -----------------------------------------------------------------------------------
class _Ack(msgspec.Struct):
    ordId: str = ""
    clOrdId: str = ""
    sCode: str = "0"
    sMsg: str = ""


class _Order(msgspec.Struct):
    ordId: str
    clOrdId: str
    state: str
    accFillSz: str = "0"
    fillPx: str = ""
    fillSz: str = "0"
    avgPx: str = ""
    fee: str = "0"
    feeCcy: str = ""
    cancelSourceReason: str = ""


class _Fill(msgspec.Struct):
    fillPx: str
    fillSz: str
    fee: str
    feeCcy: str


class _Detail(msgspec.Struct):
    ccy: str
    availBal: str
    frozenBal: str


class _Account(msgspec.Struct):
    details: list[_Detail]


class _Rates(msgspec.Struct):
    maker: str
    taker: str


class _Envelope(msgspec.Struct):
    code: str = ""
    msg: str = ""
    data: list[_Ack] = []


_Item = TypeVar("_Item")


class _Answer(msgspec.Struct, Generic[_Item]):
    """An answer whose ``data`` is a list of ``_Item``."""

    code: str
    data: list[_Item]
    msg: str = ""


_acks = msgspec.json.Decoder(_Answer[_Ack])
_orders = msgspec.json.Decoder(_Answer[_Order])
_fills = msgspec.json.Decoder(_Answer[_Fill])
_accounts = msgspec.json.Decoder(_Answer[_Account])
_rates = msgspec.json.Decoder(_Answer[_Rates])
_envelope = msgspec.json.Decoder(_Envelope)


def _bad(body: str, exc: Exception) -> VenueError:
    return VenueError(NAME, RejectReason.UNKNOWN_STATE, "decode", f"unreadable answer ({exc}): {body[:200]}")


def _ok(decoder: msgspec.json.Decoder[_Answer[_Item]], status: int, body: str) -> list[_Item]:
    """The ``data`` of a successful answer; an error carried in a 2xx answer raises its class."""
    if _envelope.decode(body).code != "0":
        raise classify(status, body, {})
    return decoder.decode(body).data


def _charged(fee: str) -> int:
    """OKX writes a fee charged as a negative number (a rebate as a positive one)."""
    return -fixed_text(fee) if fee else 0


def decode_place(status: int, body: str) -> OrderState:
    """The ids of an accepted order (its fills come with the order query)."""
    try:
        acks = _ok(_acks, status, body)
        if len(acks) != 1:
            raise ValueError(f"{len(acks)} results for one order")
        ack = acks[0]
        if ack.sCode != "0":
            raise classify(status, body, {})
        return OrderState(client_id=ack.clOrdId, venue_order_id=ack.ordId, status=OrderStatus.NEW)
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_order(status: int, body: str) -> OrderState:
    """An order query's answer: exact when at most one fill (``fee_known`` False otherwise)."""
    try:
        found = _ok(_orders, status, body)
        if not found:
            raise VenueError(NAME, RejectReason.NOT_FOUND, "51603", "Order does not exist.")
        return _state(found[0])
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def _state(o: _Order) -> OrderState:
    """An order (a query's answer, or a push of the ``orders`` channel) as a cumulative state:
    exact when at most one fill (``fee_known`` False otherwise: the fills give the exact quote)."""
    state = _STATUS.get(o.state)
    if state is None:
        raise ValueError(f"unknown state {o.state!r}")
    filled = fixed_text(o.accFillSz or "0")
    if state is OrderStatus.NEW and filled:
        state = OrderStatus.PARTIALLY_FILLED
    exact = True
    if not filled:
        quote = 0
    elif o.fillSz and fixed_text(o.fillSz) == filled:  # one fill: its price is the price
        quote = mul(fixed_text(o.fillPx), filled)
    else:  # several fills: avgPx may be rounded; the fills say exactly
        quote, exact = mul(fixed_text(o.avgPx), filled), False
    return OrderState(
        client_id=o.clOrdId, venue_order_id=o.ordId, status=state, filled_qty=filled, quote=quote,
        fee=_charged(o.fee), fee_asset=canonical_asset(o.feeCcy) if o.feeCcy else "", fee_known=exact,
        reason=o.cancelSourceReason or ("expired: no more liquidity within the limit" if state is OrderStatus.CANCELLED else ""),
    )


def decode_cancel(status: int, body: str) -> None:
    """A cancel's answer: accepted (the order query tells the outcome), or its error."""
    try:
        acks = _ok(_acks, status, body)
        if acks and acks[0].sCode != "0":
            raise classify(status, body, {})
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_trades(status: int, body: str) -> Executions:
    """An order's fills, summed (``fee`` charged, in the asset received)."""
    try:
        qty = quote = fee = 0
        asset = ""
        for f in _ok(_fills, status, body):
            size = fixed_text(f.fillSz)
            qty += size
            quote += mul(fixed_text(f.fillPx), size)
            fee += _charged(f.fee)
            if asset and f.feeCcy and canonical_asset(f.feeCcy) != asset:
                raise ValueError(f"fees in two assets: {asset}, {f.feeCcy}")
            asset = canonical_asset(f.feeCcy) if f.feeCcy else asset
        return Executions(qty, quote, fee, asset)
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_balances(status: int, body: str) -> dict[str, Balance]:
    """The trading account's assets (OKX leaves out those with nothing)."""
    try:
        out: dict[str, Balance] = {}
        for account in _ok(_accounts, status, body):
            for d in account.details:
                asset = canonical_asset(d.ccy)
                out[asset] = Balance(asset, fixed_text(d.availBal), fixed_text(d.frozenBal))
        return out
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_fee_rates(status: int, body: str) -> dict[str, tuple[int, int]]:
    """The account's (maker, taker) rates of the USDT pairs, as the default for every symbol."""
    try:
        rates = _ok(_rates, status, body)
        if not rates:
            return {}
        return {"*": (-fixed_text(rates[0].maker), -fixed_text(rates[0].taker))}
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def classify(status: int, body: str, headers: dict[str, str]) -> VenueError:
    """Every OKX error answer, classified (codes from the docs' "Error Code" tables)."""
    retry_after = retry_after_s(headers)
    try:
        err = _envelope.decode(body)
    except msgspec.DecodeError:
        err = _Envelope("", body[:200])
    code, message = err.code, err.msg
    failed = [a for a in err.data if a.sCode not in ("", "0")]
    if code in ("1", "2") and failed:  # a refused order: the reason is per item
        code, message = failed[0].sCode, failed[0].sMsg
    code = code.split("_", 1)[0]  # "51008_1000": sub-codes refine, the code classifies
    if code == "51000":
        param = message.removeprefix("Parameter ").split(" ", 1)[0]
        return VenueError(NAME, _PARAMETERS.get(param, RejectReason.OTHER), code, message)
    reason = CODES.get(code)
    if reason is None:
        if status == 429:
            reason = RejectReason.RATE_LIMIT
        elif status in (401, 403):
            reason = RejectReason.AUTH
        elif status == 504:
            reason = RejectReason.UNKNOWN_STATE  # the gateway gave up: the venue may have acted
        elif status >= 500:
            reason = RejectReason.UNAVAILABLE
        else:
            reason = RejectReason.OTHER
    return VenueError(NAME, reason, code or str(status), message, retry_after if reason.retryable else None)


# -- the private websocket ----------------------------------------------------------------------
#: Login refusals (docs "WebSocket error codes"): empty key/sign/passphrase (60001–60003), bad
#: timestamp (60004, 60006), key (60005), sign (60007), login failed (60009), not logged in
#: (60011), wrong passphrase (60024). Others (60012 invalid request, 60018 unknown channel …): OTHER.
_WS_AUTH = frozenset({"60001", "60002", "60003", "60004", "60005", "60006", "60007", "60009", "60011", "60024"})
_SUBSCRIBE_ORDERS = '{"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"}]}'


def stream_url(ws_url: str, token: str) -> str:
    """``wss://ws.okx.com:8443/ws/v5/private``: the public URL's host, the private path."""
    return ws_origin(ws_url) + "/ws/v5/private"


def stream_login(credentials: Credentials, now_ms: int) -> list[str]:
    """``{"op":"login","args":[{"apiKey","passphrase","timestamp","sign"}]}``: the timestamp in
    unix seconds, ``sign`` = base64 HMAC-SHA256(secret, timestamp + "GET" + "/users/self/verify")."""
    stamp = str(now_ms // 1000)
    arg = {"apiKey": credentials.key, "passphrase": credentials.passphrase, "timestamp": stamp,
           "sign": sign(credentials.secret, stamp, "GET", "/users/self/verify")}
    return [_json.encode({"op": "login", "args": [arg]}).decode()]


class _WsArg(msgspec.Struct):
    channel: str = ""


class _WsFrame(msgspec.Struct):
    """Events (``login``, ``subscribe``, ``error``, ``channel-conn-count`` …) and pushes
    (``arg`` + ``data``) of the private websocket."""

    event: str = ""
    code: str = ""
    msg: str = ""
    arg: _WsArg | None = None
    data: list[_Order] | None = None


_ws_frames = msgspec.json.Decoder(_WsFrame)


def decode_stream(frame: str | bytes) -> StreamMessage:
    """One frame of ``/ws/v5/private``::

        {"event":"login","code":"0","msg":"","connId":"a4d3ae55"}
        {"event":"subscribe","arg":{"channel":"orders","instType":"SPOT"},"connId":"a4d3ae55"}
        {"arg":{"channel":"orders","instType":"SPOT","uid":"…"},"data":[{…the order, as the order query…}]}
        {"event":"error","code":"60009","msg":"Login failed.","connId":"a4d3ae55"}

    and ``pong``. Pushes carry the order's fields as the order query does (:func:`decode_order`);
    ``fillSz``/``fillPx`` are the update's own fill."""
    if frame in ("pong", b"pong"):
        return StreamMessage()
    try:
        msg = _ws_frames.decode(frame)
        if msg.event == "error":
            reason = RejectReason.AUTH if msg.code in _WS_AUTH else RejectReason.OTHER
            raise VenueError(NAME, reason, msg.code, msg.msg)
        if msg.event == "login":
            if msg.code not in ("", "0"):
                raise VenueError(NAME, RejectReason.AUTH, msg.code, msg.msg or "login refused")
            return StreamMessage(logged_in=True)
        if msg.event == "subscribe":
            return StreamMessage(subscribed=msg.arg is not None and msg.arg.channel == "orders")
        if msg.event or msg.data is None or msg.arg is None or msg.arg.channel != "orders":
            return StreamMessage()
        return StreamMessage(states=tuple(_state(o) for o in msg.data))
    except (msgspec.DecodeError, ValueError) as exc:
        text = frame if isinstance(frame, str) else frame.decode(errors="replace")
        raise VenueError(NAME, RejectReason.OTHER, "decode", f"unreadable frame ({exc}): {text[:200]}") from None


STREAM = PrivateStreamSpec(
    url=stream_url, decode=decode_stream, login=stream_login, subscribe=(_SUBSCRIBE_ORDERS,), ping="ping",
    ping_interval_s=20.0,
)

TRADING = TradingSpec(
    venue=NAME, place=place, decode_place=decode_place, cancel=cancel, query=query, decode_order=decode_order,
    balances=balances, decode_balances=decode_balances, classify=classify, client_id=client_id,
    fee_rates=fee_rates, decode_fee_rates=decode_fee_rates, trades=trades, decode_trades=decode_trades,
    decode_cancel=decode_cancel,
    budget=RestBudget(120, 2.0), stream=STREAM,
)
