"""Kraken spot trading requests (REST ``/0/private/*``), sans-I/O: signed builders and decoders.

- Every private call is a form-encoded ``POST`` whose body starts with ``nonce`` (arb sends
  the send time in ms; a nonce not above the key's last one is refused, ``EAPI:Invalid
  nonce``), headers ``API-Key`` and ``API-Sign`` = base64 HMAC-SHA512 over the path and
  SHA256(nonce + body) (:mod:`.signing`).
- Kraken answers ``{"error": [...], "result": {...}}`` with HTTP 200 whether or not it
  succeeded ("status codes other than 200 indicate that there was an issue with the request
  reaching our servers"): the decoders raise the classified error an answer carries.
- ``AddOrder``: ``ordertype=limit, type, volume, pair, price, timeinforce=IOC|GTC,
  oflags=fciq`` (fees in the quote asset, what arb accounts in) and ``cl_ord_id`` (a UUID)::

    {"error":[],"result":{"descr":{"order":"buy 1.25000000 XBTUSD @ limit 27500.0"},
     "txid":["OUF4EM-FRGI2-MQMWZD"]}}

- Finding an order by ``cl_ord_id`` takes two requests: ``OpenOrders`` and ``ClosedOrders``
  take it, ``QueryOrders`` needs the ``txid``. The port asks ``OpenOrders`` then
  ``ClosedOrders`` until it knows the ``txid``, then ``QueryOrders`` (``query``,
  ``query_done``, ``query_by_venue_id``). Each answers orders by txid with ``status``
  (pending, open, closed, canceled, expired), ``vol``, ``vol_exec``, ``cost`` (Σ price ×
  volume, quote) and ``fee`` (quote, with ``fciq``). ``cl_ord_id`` is unique among *open*
  orders only: a finished order's id may be used again.
- ``CancelOrder cl_ord_id`` → ``{"count":1}``; ``BalanceEx`` → ``{asset: {balance,
  hold_trade}}`` by Kraken asset id (:mod:`.assets`); ``TradeVolume pair=XBTUSD`` → the
  account's fee tier, in percent.
- Every error string is classified once (:data:`ERRORS`, longest ``category:message``
  prefix first).
- Private websocket v2 (:data:`STREAM`): a token from ``GetWebSocketsToken`` (signed like the
  calls above; to be used within 15 minutes, then valid while a connection uses it), the
  authenticated endpoint ``wss://ws-auth.kraken.com/v2``, ``{"method":"subscribe","params":
  {"channel":"executions","token":…,"snap_orders":true}}``; every order event is pushed with
  ``exec_type`` and the order's cumulative ``cum_qty``/``cum_cost``; a ``trade`` event's
  ``fees`` are that execution's only (:func:`decode_stream`). ``trades`` asks ``QueryOrders``
  for the order's exact cumulative fee when a push cannot say it.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

import msgspec

from arb.core.numbers import ONE
from arb.venues.base import Credentials, RestBudget, RestRequest
from arb.venues.kraken.assets import asset_code, is_variant
from arb.venues.kraken.signing import sign
from arb.venues.trading import (
    Balance, Executions, OrderRequest, OrderState, OrderStatus, PrivateStreamSpec, RejectReason, StreamMessage,
    TradingSpec, VenueError, fixed_text, retry_after_s,
)

NAME = "kraken"
#: The pair whose fee tier ``fee_rates`` asks for (Kraken's main crypto schedule).
FEE_PAIR = "XBTUSD"
_A, _B, _P, _L, _N = RejectReason.AUTH, RejectReason.BALANCE, RejectReason.PRICE, RejectReason.LOT, RejectReason.NOT_FOUND
_O, _R, _U, _S = RejectReason.OTHER, RejectReason.RATE_LIMIT, RejectReason.UNAVAILABLE, RejectReason.UNKNOWN_STATE

#: Every Kraken error string (support "API error messages", the API reference), classified once.
ERRORS: dict[str, RejectReason] = {
    "EAPI:Invalid key": _A, "EAPI:Invalid signature": _A, "EAPI:Invalid nonce": _A, "EGeneral:Permission denied": _A,
    "ESession:Invalid session": _A, "EOrder:Trading agreement required": _A, "ETrade:User Locked": _A,
    "EAPI:Rate limit exceeded": _R, "EOrder:Rate limit exceeded": _R, "EOrder:Domain rate limit exceeded": _R,
    "EGeneral:Temporary lockout": _R, "EGeneral:Too many requests": _R,
    # "can't be made at this time" / offline / the deadline passed before matching: nothing happened
    "EService:Unavailable": _U, "EService:Busy": _U, "EService:Deadline elapsed": _U,
    "EGeneral:Internal error": _S, "EDatabase:Internal error": _S,
    "EOrder:Insufficient funds": _B, "EOrder:Insufficient margin": _B,
    "EOrder:Order minimum not met": _L, "EGeneral:Invalid arguments:volume": _L,
    "EOrder:Cost minimum not met": RejectReason.MIN_NOTIONAL,
    "EOrder:Tick size check failed": _P, "EOrder:Invalid price": _P, "EGeneral:Invalid arguments:price": _P,
    "EOrder:Duplicate order": RejectReason.DUPLICATE,
    "EOrder:Unknown order": _N, "EOrder:Invalid order": _N,
    "EQuery:Unknown asset pair": _O, "EQuery:Invalid asset pair": _O, "EQuery:Unknown asset": _O,
    "EGeneral:Invalid arguments": _O, "EGeneral:Unknown method": _O, "EAPI:Bad request": _O, "EAPI:Feature disabled": _O,
    "EService:Market in cancel_only mode": _O, "EService:Market in post_only mode": _O,
    "EService:Market in limit_only mode": _O, "EOrder:Orders limit exceeded": _O, "EOrder:Positions limit exceeded": _O,
    "EOrder:Scheduled orders limit exceeded": _O, "EOrder:Unknown position": _O, "EOrder:Cannot open position": _O,
    "EOrder:Cannot open opposing position": _O, "EOrder:Margin allowance exceeded": _O, "EOrder:Margin level too low": _O,
    "EOrder:Margin position size exceeded": _O, "EOrder:Cancel pending": _O, "EOrder:Invalid reference id": _O,
    "EOrder:Post only order": _O, "EOrder:Reduce only:Non-PC": _O,
}
#: An unknown error of a category: the service's own trouble is retryable, the rest final.
_CATEGORY = {"EService": _U}
_STATUS = {"pending": OrderStatus.NEW, "open": OrderStatus.NEW, "canceled": OrderStatus.CANCELLED, "expired": OrderStatus.CANCELLED}


def client_id(order_id: str) -> str:
    """``cl_ord_id``: a UUID (Kraken takes a UUID or free text up to 18 characters): version
    4 from a hash of arb's order id, so the same order always gets the same one."""
    return str(uuid.UUID(bytes=hashlib.sha256(order_id.encode()).digest()[:16], version=4))


def _signed(rest_url: str, path: str, credentials: Credentials, params: dict[str, str], now_ms: int, weight: int = 1) -> RestRequest:
    nonce = str(now_ms)
    body = urlencode({"nonce": nonce, **params})
    headers = {"API-Key": credentials.key, "API-Sign": sign(credentials.secret, path, nonce, body),
               "Content-Type": "application/x-www-form-urlencoded"}
    return RestRequest("POST", rest_url + path, headers=headers, body=body, weight=weight)


def place(rest_url: str, credentials: Credentials, order: OrderRequest, now_ms: int) -> RestRequest:
    if order.tif not in ("ioc", "gtc"):
        raise ValueError(f"time in force must be ioc or gtc, got {order.tif!r}")
    params = {
        "ordertype": "limit", "type": order.side, "volume": order.qty_text, "pair": order.venue_symbol,
        "price": order.price_text, "timeinforce": order.tif.upper(), "oflags": "fciq", "cl_ord_id": order.client_id,
    }
    # Placing and cancelling count against the matching engine's limits, not the REST counter.
    return _signed(rest_url, "/0/private/AddOrder", credentials, params, now_ms, weight=0)


def cancel(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    return _signed(rest_url, "/0/private/CancelOrder", credentials, {"cl_ord_id": client_order_id}, now_ms, weight=0)


def query(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    """The order by client id among the open ones (``query_done`` looks among the others)."""
    return _signed(rest_url, "/0/private/OpenOrders", credentials, {"cl_ord_id": client_order_id}, now_ms)


def query_done(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    return _signed(rest_url, "/0/private/ClosedOrders", credentials, {"cl_ord_id": client_order_id}, now_ms)


def query_by_venue_id(rest_url: str, credentials: Credentials, venue_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    return _signed(rest_url, "/0/private/QueryOrders", credentials, {"txid": venue_order_id}, now_ms)


def balances(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed(rest_url, "/0/private/BalanceEx", credentials, {}, now_ms)


def fee_rates(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed(rest_url, "/0/private/TradeVolume", credentials, {"pair": FEE_PAIR}, now_ms)


# -- decoding -----------------------------------------------------------------------------------
class _Answer(msgspec.Struct):
    error: list[str] = []
    result: Any = None


class _Descr(msgspec.Struct):
    pair: str = ""
    type: str = ""


class _Order(msgspec.Struct):
    status: str
    vol: Any
    vol_exec: Any = "0"
    cost: Any = "0"
    fee: Any = "0"
    opentm: Any = "0"
    oflags: str = ""
    cl_ord_id: str | None = None
    reason: str | None = None
    descr: _Descr | None = None


class _Held(msgspec.Struct):
    balance: Any
    hold_trade: Any = "0"
    credit: Any = "0"
    credit_used: Any = "0"


class _Tier(msgspec.Struct):
    fee: Any


#: Kraken writes numbers as text, but some answers (the docs' BalanceEx example) as JSON
#: numbers: read both as their text, never through float.
_answer = msgspec.json.Decoder(_Answer, float_hook=str)


def _num(value: object) -> int:
    """A Kraken number (text, or a JSON number read as its text) → fixed int, exactly."""
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int):
        return value * ONE
    if isinstance(value, str):
        return fixed_text(value)
    raise ValueError(f"not a number: {value!r}")


def _bad(body: str, exc: Exception) -> VenueError:
    return VenueError(NAME, RejectReason.UNKNOWN_STATE, "decode", f"unreadable answer ({exc}): {body[:200]}")


def _result(status: int, body: str) -> Any:
    """The ``result`` of a successful answer; the classified error of a failed one."""
    answer = _answer.decode(body)
    if any(e.startswith("E") for e in answer.error):
        raise classify(status, body, {})
    if answer.result is None:
        raise ValueError("no result")
    return answer.result


def decode_place(status: int, body: str) -> OrderState:
    """An accepted order: its ``txid`` (the fills come with the order query)."""
    try:
        result = msgspec.convert(_result(status, body), dict[str, Any])
        txids = msgspec.convert(result.get("txid"), list[str] | None)
        if not txids or len(txids) != 1:
            raise ValueError(f"expected one txid, got {txids!r} (a validate-only answer?)")
        return OrderState(client_id=str(result.get("cl_ord_id") or ""), venue_order_id=txids[0], status=OrderStatus.NEW)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_order(status: int, body: str) -> OrderState:
    """``QueryOrders``, ``OpenOrders`` or ``ClosedOrders``: the latest order the answer holds
    (asked by client id, it holds that order; none → NOT_FOUND)."""
    try:
        result = msgspec.convert(_result(status, body), dict[str, Any])
        orders = msgspec.convert(result.get("open", result.get("closed", result)), dict[str, Any])
        orders = {k: v for k, v in orders.items() if isinstance(v, dict)}  # ClosedOrders' "count"
        if not orders:
            raise VenueError(NAME, RejectReason.NOT_FOUND, "EOrder:Unknown order", "no order with this id")
        txid, raw = max(orders.items(), key=lambda kv: _num(kv[1].get("opentm", "0")))
        o = msgspec.convert(raw, _Order)
        vol, filled = _num(o.vol), _num(o.vol_exec)
        if o.status == "closed":
            state = OrderStatus.FILLED if filled >= vol else OrderStatus.CANCELLED
        elif o.status in _STATUS:
            state = _STATUS[o.status]
            if state is OrderStatus.NEW and filled:
                state = OrderStatus.PARTIALLY_FILLED
        else:
            raise ValueError(f"unknown status {o.status!r}")
        if "fcib" in o.oflags.split(",") and _num(o.fee):
            raise ValueError("fee taken in the base asset (arb places orders with fciq)")
        reason = o.reason or ("expired: no more liquidity within the limit" if state is OrderStatus.CANCELLED else "")
        return OrderState(
            client_id=o.cl_ord_id or "", venue_order_id=txid, status=state, filled_qty=filled, quote=_num(o.cost),
            fee=_num(o.fee), fee_asset="", reason=reason,
        )
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_cancel(status: int, body: str) -> None:
    """``{"count": n}``: the cancel was taken (0: the venue had nothing open to cancel)."""
    try:
        result = msgspec.convert(_result(status, body), dict[str, Any])
        if not result.get("count"):
            raise VenueError(NAME, RejectReason.NOT_FOUND, "EOrder:Unknown order", "nothing was cancelled")
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_balances(status: int, body: str) -> dict[str, Balance]:
    """``BalanceEx``: free = balance + credit − credit used − held for trades. Suffixed
    variants (``USDT.F``, ``ETH2.S`` …) are left out: arb trades the plain asset only."""
    try:
        out: dict[str, Balance] = {}
        for asset_id, raw in msgspec.convert(_result(status, body), dict[str, _Held]).items():
            if is_variant(asset_id):
                continue
            code = asset_code(asset_id)
            held = _num(raw.hold_trade)
            out[code] = Balance(code, _num(raw.balance) + _num(raw.credit) - _num(raw.credit_used) - held, held)
        return out
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_fee_rates(status: int, body: str) -> dict[str, tuple[int, int]]:
    """``TradeVolume``: (maker, taker) by pair id, percent → rate; ``"*"``: the tier of
    :data:`FEE_PAIR`, the default for every symbol."""
    try:
        result = msgspec.convert(_result(status, body), dict[str, Any])
        takers = msgspec.convert(result.get("fees") or {}, dict[str, _Tier])
        makers = msgspec.convert(result.get("fees_maker") or {}, dict[str, _Tier])
        out = {pair: (_rate(makers[pair].fee if pair in makers else tier.fee), _rate(tier.fee)) for pair, tier in takers.items()}
        if out:
            out["*"] = next(iter(out.values()))
        return out
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise _bad(body, exc) from None


def _rate(percent: object) -> int:
    value = _num(percent)
    if value % 100:
        raise ValueError(f"fee {percent!r} % is finer than 10**-18")
    return value // 100


def classify(status: int, body: str, headers: dict[str, str]) -> VenueError:
    """Every Kraken error answer, classified: its first error string, else the HTTP status
    (a Cloudflare failure between us and Kraken)."""
    retry_after = retry_after_s(headers)
    try:
        errors = [e for e in _answer.decode(body).error if e.startswith("E")]
    except (msgspec.DecodeError, msgspec.ValidationError):
        errors = []
    if errors:
        reason = reason_of(errors[0])
        return VenueError(NAME, reason, errors[0], "; ".join(errors), retry_after if reason.retryable else None)
    if status == 429:
        reason = RejectReason.RATE_LIMIT
    elif status in (401, 403):
        reason = RejectReason.AUTH
    elif status in (504, 520, 524):
        reason = RejectReason.UNKNOWN_STATE  # the request reached Kraken; its answer did not come back
    elif status >= 500:
        reason = RejectReason.UNAVAILABLE
    else:
        reason = RejectReason.OTHER
    return VenueError(NAME, reason, str(status), body[:200], retry_after if reason.retryable else None)


def reason_of(error: str) -> RejectReason:
    """One Kraken error string's class: the longest known ``category:message[:detail]`` prefix."""
    parts = error.split(":")
    for n in range(len(parts), 1, -1):
        reason = ERRORS.get(":".join(parts[:n]))
        if reason is not None:
            return reason
    return _CATEGORY.get(parts[0], RejectReason.OTHER)


# -- the order's exact fee, when a push cannot say it --------------------------------------------
def trades(rest_url: str, credentials: Credentials, venue_symbol: str, venue_order_id: str, now_ms: int) -> RestRequest:
    """``QueryOrders txid=…``: the order's cumulative ``vol_exec``, ``cost`` and ``fee`` (what a
    stream push after several fills does not carry exactly)."""
    return query_by_venue_id(rest_url, credentials, venue_order_id, venue_symbol, now_ms)


def decode_trades(status: int, body: str) -> Executions:
    state = decode_order(status, body)
    return Executions(state.filled_qty, state.quote, state.fee, state.fee_asset)


# -- the private websocket (v2 ``executions``) ---------------------------------------------------
#: The authenticated endpoint's host for each public one (the private channels live there only);
#: any other host (a simulator) serves both.
_AUTH_HOSTS = {"ws.kraken.com": "ws-auth.kraken.com", "beta-ws.kraken.com": "beta-ws-auth.kraken.com"}
_WS_STATUS = {"pending_new": OrderStatus.NEW, "new": OrderStatus.NEW, "partially_filled": OrderStatus.PARTIALLY_FILLED,
              "filled": OrderStatus.FILLED, "canceled": OrderStatus.CANCELLED, "expired": OrderStatus.CANCELLED}


def stream_token(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    """``POST /0/private/GetWebSocketsToken`` (signed; a new token for every connection)."""
    return _signed(rest_url, "/0/private/GetWebSocketsToken", credentials, {}, now_ms)


def decode_stream_token(status: int, body: str) -> str:
    """``{"error":[],"result":{"token":"1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw","expires":900}}``;
    an answer carrying an error raises it, classified."""
    try:
        token = msgspec.convert(_result(status, body), dict[str, Any]).get("token")
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise _bad(body, exc) from None
    if not isinstance(token, str) or not token or not token.isascii() or not token.isprintable():
        raise _bad(body, ValueError("no token"))
    return token


def stream_url(ws_url: str, token: str) -> str:
    """``wss://ws-auth.kraken.com/v2`` for Kraken's own hosts; any other host (a simulator)
    serves the private channels on the same URL."""
    parts = urlsplit(ws_url)
    host = _AUTH_HOSTS.get(parts.hostname or "")
    if host is None:
        return ws_url
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return parts._replace(netloc=netloc).geturl()


def stream_subscribe(token: str) -> list[str]:
    """The ``executions`` subscription with the connection's token: open orders in the
    snapshot (``snap_orders``), no past trades."""
    params = {"channel": "executions", "token": token, "snap_orders": True, "snap_trades": False}
    return [msgspec.json.encode({"method": "subscribe", "params": params}).decode()]


class _Fee(msgspec.Struct):
    asset: str
    qty: Any


class _Execution(msgspec.Struct):
    """One event of ``executions`` (the fields arb reads; numbers as their JSON text)."""

    exec_type: str
    order_id: str
    order_status: str = ""
    cl_ord_id: str | None = None
    symbol: str = ""
    order_qty: Any = None
    cum_qty: Any = None
    cum_cost: Any = None
    last_qty: Any = None
    cost: Any = None
    fees: list[_Fee] | None = None
    reason: str | None = None


class _WsFrame(msgspec.Struct):
    """A frame of the private endpoint: a push (``channel`` + ``data``), or an answer to a
    request (``method``, ``success``, ``error``); ``status``/``heartbeat`` pushes carry nothing."""

    channel: str = ""
    type: str = ""
    data: list[Any] | None = None
    method: str = ""
    success: bool | None = None
    error: str | None = None
    result: Any = None


#: Kraken v2 writes quantities and prices as JSON numbers: read them as their text, never as floats.
_ws_frames = msgspec.json.Decoder(_WsFrame, float_hook=str)


def _execution_state(e: _Execution) -> OrderState:
    """One execution event → the order's cumulative state.

    ``cum_qty``/``cum_cost`` are the order's totals; a ``trade`` event's ``cost`` and ``fees``
    are that execution's only (``fee_usd_equiv`` is a USD equivalent, never used). So the state
    carries an exact fee when nothing filled, or on the order's first execution (``last_qty`` =
    ``cum_qty``: its fees are the order's); otherwise ``fee_known`` is False and the port asks
    ``QueryOrders`` (:func:`trades`) for the exact total. An event without ``cum_qty`` says
    nothing cumulative: only a new order's may lack it. A trade event may say
    ``partially_filled`` when it fills the whole order (the separate ``filled`` event follows):
    ``cum_qty`` = ``order_qty`` says filled."""
    status = _WS_STATUS.get(e.order_status)
    if status is None:
        raise ValueError(f"unknown order_status {e.order_status!r}")
    if e.cum_qty is None:
        if status is not OrderStatus.NEW:
            raise ValueError(f"{e.exec_type} event without cum_qty")
        filled = quote = 0
    else:
        filled = _num(e.cum_qty)
        quote = _num(e.cum_cost) if e.cum_cost is not None else 0
        if filled and e.cum_cost is None:
            raise ValueError("cum_qty without cum_cost")
    if status is OrderStatus.NEW and filled:
        status = OrderStatus.PARTIALLY_FILLED
    if status is OrderStatus.PARTIALLY_FILLED and e.order_qty is not None and filled == _num(e.order_qty):
        status = OrderStatus.FILLED  # a trade that completes the order may still say partially_filled
    fee, known = 0, not filled
    if e.exec_type == "trade" and filled and e.last_qty is not None and _num(e.last_qty) == filled:
        quote_asset = e.symbol.rpartition("/")[2]
        for item in e.fees or []:
            if item.asset != quote_asset:
                raise ValueError(f"fee in {item.asset}, not the quote {quote_asset!r} (arb places orders with fciq)")
            fee += _num(item.qty)
        # Its cost must be the order's too; if the two disagree, the order query says exactly.
        known = e.fees is not None and bool(quote_asset) and (e.cost is None or _num(e.cost) == quote)
    reason = ""
    if status is OrderStatus.CANCELLED:
        reason = e.reason or ("expired: no more liquidity within the limit" if e.order_status == "expired" else "cancelled")
    return OrderState(client_id=e.cl_ord_id or "", venue_order_id=e.order_id, status=status, filled_qty=filled,
                      quote=quote, fee=fee if known else 0, fee_asset="", fee_known=known, reason=reason)


def decode_stream(frame: str | bytes) -> StreamMessage:
    """One frame of the authenticated endpoint::

        {"method":"subscribe","result":{"channel":"executions","snap_orders":true,…},"success":true,…}
        {"channel":"executions","type":"snapshot"|"update","data":[{"exec_type":"trade",
         "order_id":"OK4GJX-KSTLS-7DZZO5","cl_ord_id":…,"order_status":"partially_filled",
         "last_qty":0.005,"cost":132.9995,"cum_qty":0.005,"cum_cost":132.9995,
         "fees":[{"asset":"USD","qty":0.3458}],…}],"sequence":4}
        {"error":"ESession:Invalid session","method":"subscribe","success":false,…}

    A refused subscription raises its error, classified (:func:`reason_of`: a bad or expired
    token is ``ESession:Invalid session``, AUTH). ``status``, ``heartbeat`` and ``pong`` carry
    no order."""
    try:
        msg = _ws_frames.decode(frame)
        if msg.success is False or (msg.error and not msg.channel):
            error = msg.error or "EGeneral:Internal error"
            raise VenueError(NAME, reason_of(error), error, f"{msg.method or 'request'} refused")
        if msg.method == "subscribe":
            channel = msg.result.get("channel") if isinstance(msg.result, dict) else None
            return StreamMessage(subscribed=channel == "executions")
        if msg.channel != "executions" or not msg.data:
            return StreamMessage()
        events = msgspec.convert(msg.data, list[_Execution])
        return StreamMessage(states=tuple(_execution_state(e) for e in events))
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        text = frame if isinstance(frame, str) else frame.decode(errors="replace")
        raise VenueError(NAME, RejectReason.OTHER, "decode", f"unreadable frame ({exc}): {text[:200]}") from None


STREAM = PrivateStreamSpec(
    url=stream_url, decode=decode_stream, subscribe_token=stream_subscribe, token=stream_token,
    decode_token=decode_stream_token, ping='{"method":"ping"}', ping_interval_s=30.0,
)

TRADING = TradingSpec(
    venue=NAME, place=place, decode_place=decode_place, cancel=cancel, query=query, decode_order=decode_order,
    balances=balances, decode_balances=decode_balances, classify=classify, client_id=client_id,
    fee_rates=fee_rates, decode_fee_rates=decode_fee_rates, query_by_venue_id=query_by_venue_id,
    query_done=query_done, decode_cancel=decode_cancel, trades=trades, decode_trades=decode_trades,
    budget=RestBudget(20, 40.0), stream=STREAM,
)
