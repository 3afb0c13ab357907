"""Gate spot trading requests (API v4), sans-I/O: signed builders and decoders.

- Every private call carries headers ``KEY``, ``Timestamp`` (unix seconds) and ``SIGN`` =
  ``hex(HMAC-SHA512(secret, METHOD\\n/api/v4/path\\nquery\\nhex(SHA512(body))\\nTimestamp))``
  (:mod:`.signing`); the server refuses a ``Timestamp`` more than 60 s off its clock.
- ``POST /api/v4/spot/orders`` with a JSON body ``{"text":"t-…","currency_pair":"BTC_USDT",
  "type":"limit","account":"spot","side":"buy","amount":"0.001","price":"65000",
  "time_in_force":"ioc"|"gtc"}`` answers ``201`` with the order in ``FULL`` mode, fees
  included (a buy's fee is taken in the base asset, a sell's in the quote)::

    {"id":"1852454420","text":"t-abc123","status":"closed","currency_pair":"BTC_USDT",
     "type":"limit","account":"unified","side":"buy","amount":"0.001","price":"65000",
     "time_in_force":"gtc","left":"0","filled_amount":"0.001","filled_total":"63.4693",
     "avg_deal_price":"63469.3","fee":"0.00000022","fee_currency":"BTC","point_fee":"0",
     "gt_fee":"0", …, "finish_as":"filled"}

  ``status`` is ``open``, ``closed`` (filled) or ``cancelled`` (``finish_as`` says why:
  ``ioc`` for the unfilled rest of an immediate-or-cancel order, ``cancelled``, ``stp`` …).
- ``GET``/``DELETE /api/v4/spot/orders/{order_id}?currency_pair=…&account=spot``: the id is
  the venue's or the client's ``text``. The documentation: "Operations based on custom IDs can
  only be checked in pending orders. Only order ID can be used after the order is finished"
  (earlier: within 1 hour after it finished) — so the port asks by the venue's id once it has
  it (:data:`TRADING`'s ``query_by_venue_id``). Orders that ended with nothing filled are kept for
  about a minute only (Gate's maintainers, gateapi-go#11).
- ``GET /api/v4/spot/accounts`` → ``[{"currency","available","locked","update_id"}]``;
  ``GET /api/v4/wallet/fee`` (``/spot/fee`` is its deprecated twin) → ``{"taker_fee","maker_fee",…}``.
- Errors: a non-2xx status with ``{"label":"BALANCE_NOT_ENOUGH","message":"Not enough
  balance"}``; ``429`` ``TOO_MANY_REQUESTS``; labels classified once in :func:`classify`.
- Private websocket (:data:`STREAM`): the public endpoint ``wss://api.gateio.ws/ws/v4/``; the
  ``spot.orders`` subscribe request carries ``auth`` = ``{"method":"api_key","KEY","SIGN"}``,
  ``SIGN`` = hex HMAC-SHA512(secret, ``channel=spot.orders&event=subscribe&time=<t>``); every
  change of an order is pushed with the order's fields (``event`` put, update, finish).
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote, urlencode

import msgspec

from arb.venues.base import Credentials, RestBudget, RestRequest
from arb.venues.gateio.signing import auth_headers, ws_sign
from arb.venues.trading import (
    Balance, OrderRequest, OrderState, OrderStatus, PrivateStreamSpec, RejectReason, StreamMessage, TradingSpec,
    VenueError, fixed_text, retry_after_s,
)

NAME = "gateio"
API = "/api/v4"
#: Client ids: ``t-`` then at most 28 bytes of ``0-9 A-Z a-z _ - .`` (the ``text`` field rules).
TEXT_PREFIX = "t-"
TEXT_MAX = 28


def client_id(order_id: str) -> str:
    """``text`` = ``t-arb`` + 25 hex digits of a hash of arb's order id (28 bytes after ``t-``)."""
    return TEXT_PREFIX + "arb" + hashlib.sha256(order_id.encode()).hexdigest()[: TEXT_MAX - 3]


def _signed(method: str, rest_url: str, path: str, credentials: Credentials, params: dict[str, str], body: str,
            now_ms: int, weight: int = 1) -> RestRequest:
    query = urlencode(params)
    headers = auth_headers(credentials.key, credentials.secret, method, API + path, query, body, now_ms // 1000)
    headers["Accept"] = "application/json"
    if body:
        headers["Content-Type"] = "application/json"
    url = f"{rest_url}{API}{path}" + (f"?{query}" if query else "")
    return RestRequest(method, url, headers=headers, body=body, weight=weight)


def place(rest_url: str, credentials: Credentials, order: OrderRequest, now_ms: int) -> RestRequest:
    """A limit order, ``ioc`` or ``gtc`` (never ``market``), answered in ``FULL`` mode."""
    body = msgspec.json.encode({
        "text": order.client_id, "currency_pair": order.venue_symbol, "type": "limit", "account": "spot",
        "side": order.side, "amount": order.qty_text, "price": order.price_text, "time_in_force": order.tif,
    }).decode()
    return _signed("POST", rest_url, "/spot/orders", credentials, {}, body, now_ms)


def _order_path(order_id: str) -> str:
    return "/spot/orders/" + quote(order_id, safe="")


def cancel(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    params = {"currency_pair": venue_symbol, "account": "spot"}
    return _signed("DELETE", rest_url, _order_path(client_order_id), credentials, params, "", now_ms)


def query(rest_url: str, credentials: Credentials, client_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    """The order by its ``text`` (answered while it is open, and for a while after)."""
    params = {"currency_pair": venue_symbol, "account": "spot"}
    return _signed("GET", rest_url, _order_path(client_order_id), credentials, params, "", now_ms)


def query_by_venue_id(rest_url: str, credentials: Credentials, venue_order_id: str, venue_symbol: str, now_ms: int) -> RestRequest:
    """The order by Gate's own id (answered after it finished, too)."""
    return query(rest_url, credentials, venue_order_id, venue_symbol, now_ms)


def balances(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed("GET", rest_url, "/spot/accounts", credentials, {}, "", now_ms)


def fee_rates(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    return _signed("GET", rest_url, "/wallet/fee", credentials, {}, "", now_ms)


# -- decoding -----------------------------------------------------------------------------------
class _Order(msgspec.Struct):
    id: str
    status: str
    amount: str
    text: str = ""
    left: str = "0"
    filled_amount: str | None = None
    filled_total: str = "0"
    fee: str = "0"
    fee_currency: str = ""
    point_fee: str = "0"
    gt_fee: str = "0"
    finish_as: str = ""


class _Account(msgspec.Struct):
    currency: str
    available: str
    locked: str


class _Fee(msgspec.Struct):
    taker_fee: str
    maker_fee: str


class _Error(msgspec.Struct):
    label: str = ""
    message: str = ""
    detail: str = ""


_order = msgspec.json.Decoder(_Order)
_accounts = msgspec.json.Decoder(list[_Account])
_fee = msgspec.json.Decoder(_Fee)
_error = msgspec.json.Decoder(_Error)

#: ``finish_as`` of a cancelled order → why, in words (the documented values).
_FINISH = {
    "ioc": "expired: no more liquidity within the limit", "cancelled": "cancelled",
    "stp": "cancelled by self-trade prevention", "liquidate_cancelled": "cancelled by a liquidation",
    "small": "cancelled: the rest is below the minimum size", "depth_not_enough": "cancelled: not enough depth",
    "trader_not_enough": "cancelled: no counterparty", "poc": "cancelled: post-only would have taken",
    "fok": "cancelled: fill-or-kill not filled",
}


def _bad(body: str, exc: Exception) -> VenueError:
    return VenueError(NAME, RejectReason.UNKNOWN_STATE, "decode", f"unreadable answer ({exc}): {body[:200]}")


def decode_order(status: int, body: str) -> OrderState:
    """An order (place, query and cancel answers share it), fees included."""
    try:
        o = _order.decode(body)
        filled = fixed_text(o.filled_amount) if o.filled_amount is not None else fixed_text(o.amount) - fixed_text(o.left)
        if o.status == "open":
            state = OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.NEW
        elif o.status == "closed":
            state = OrderStatus.FILLED
        elif o.status == "cancelled":
            state = OrderStatus.CANCELLED
        else:
            raise ValueError(f"unknown status {o.status!r}")
        fee, fee_asset = _fee_of(o)
        return OrderState(
            client_id=o.text, venue_order_id=o.id, status=state, filled_qty=filled, quote=fixed_text(o.filled_total),
            fee=fee, fee_asset=fee_asset,
            reason=_FINISH.get(o.finish_as, o.finish_as) if state is OrderStatus.CANCELLED else "",
        )
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def _fee_of(o: _Order) -> tuple[int, str]:
    """The fee and its asset: ``fee`` in ``fee_currency``, or GT / point-card deduction when that
    paid instead (an order never reports two of them here: it would not be one asset)."""
    paid = [(amount, asset) for amount, asset in ((fixed_text(o.fee), o.fee_currency), (fixed_text(o.gt_fee), "GT"),
                                                  (fixed_text(o.point_fee), "POINT")) if amount]
    if len(paid) > 1:
        raise ValueError(f"fees in several assets: {paid}")
    return paid[0] if paid else (0, o.fee_currency)


def decode_place(status: int, body: str) -> OrderState:
    """A ``FULL`` order answer (201)."""
    return decode_order(status, body)


def decode_balances(status: int, body: str) -> dict[str, Balance]:
    try:
        return {a.currency: Balance(a.currency, fixed_text(a.available), fixed_text(a.locked)) for a in _accounts.decode(body)}
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


def decode_fee_rates(status: int, body: str) -> dict[str, tuple[int, int]]:
    """The account's (maker, taker) rates, for every pair (``"*"``)."""
    try:
        fee = _fee.decode(body)
        return {"*": (fixed_text(fee.maker_fee), fixed_text(fee.taker_fee))}
    except (msgspec.DecodeError, ValueError) as exc:
        raise _bad(body, exc) from None


#: Every documented label arb can meet, classified once. Labels not here are ``OTHER``.
_LABELS = {
    "BALANCE_NOT_ENOUGH": RejectReason.BALANCE, "MARGIN_BALANCE_NOT_ENOUGH": RejectReason.BALANCE,
    "INSUFFICIENT_AVAILABLE": RejectReason.BALANCE,
    "AMOUNT_TOO_LITTLE": RejectReason.LOT, "AMOUNT_TOO_MUCH": RejectReason.LOT, "SIZE_TOO_SMALL": RejectReason.LOT,
    "SIZE_TOO_LARGE": RejectReason.LOT,
    "PRICE_TOO_DEVIATED": RejectReason.PRICE, "PRICE_THRESHOLD_EXCEEDED": RejectReason.PRICE,
    "REPEATED_CREATION": RejectReason.DUPLICATE,
    "ORDER_NOT_FOUND": RejectReason.NOT_FOUND, "CLIENT_ID_NOT_FOUND": RejectReason.NOT_FOUND,
    "ORDER_CLOSED": RejectReason.NOT_FOUND, "ORDER_CANCELLED": RejectReason.NOT_FOUND,
    "ORDER_FINISHED": RejectReason.NOT_FOUND,
    "INVALID_KEY": RejectReason.AUTH, "INVALID_SIGNATURE": RejectReason.AUTH, "INVALID_CREDENTIALS": RejectReason.AUTH,
    "AUTHENTICATION_FAILED": RejectReason.AUTH, "MISSING_REQUIRED_HEADER": RejectReason.AUTH,
    "REQUEST_EXPIRED": RejectReason.AUTH, "IP_FORBIDDEN": RejectReason.AUTH, "READ_ONLY": RejectReason.AUTH,
    "FORBIDDEN": RejectReason.AUTH, "ACCOUNT_LOCKED": RejectReason.AUTH, "USER_NOT_FOUND": RejectReason.AUTH,
    "TOO_MANY_REQUESTS": RejectReason.RATE_LIMIT, "TOO_FAST": RejectReason.RATE_LIMIT,
    # "Server is too busy": refused at the door, nothing happened — try again later.
    "TOO_BUSY": RejectReason.UNAVAILABLE,
    # An internal error may come after the order reached the matching engine.
    "SERVER_ERROR": RejectReason.UNKNOWN_STATE, "INTERNAL": RejectReason.UNKNOWN_STATE,
}


def classify(status: int, body: str, headers: dict[str, str]) -> VenueError:
    """Every Gate error answer, classified by its label (two labels need their message:
    ``INVALID_PRECISION`` names price or amount, and the minimum order value comes as
    ``INVALID_PARAM_VALUE`` "Your order size … is too small. The minimum is 3 USDT")."""
    retry_after = retry_after_s(headers)
    try:
        err = _error.decode(body)
    except msgspec.DecodeError:
        err = _Error("", body[:200])
    label, message = err.label, err.message or err.detail
    code = label or str(status)
    if label in _LABELS:
        reason = _LABELS[label]
    elif label == "INVALID_PRECISION":
        reason = RejectReason.PRICE if "price" in message.lower() else RejectReason.LOT
    elif label == "INVALID_PARAM_VALUE" and "too small" in message.lower() and "minimum" in message.lower():
        reason = RejectReason.MIN_NOTIONAL
    elif status == 429:
        reason = RejectReason.RATE_LIMIT
    elif status in (401, 403):
        reason = RejectReason.AUTH
    elif status >= 500:  # any other 5xx (a gateway's bare one too): the request may have been executed
        reason = RejectReason.UNKNOWN_STATE
    else:
        reason = RejectReason.OTHER
    return VenueError(NAME, reason, code, message, retry_after if reason.retryable else None)


# -- the private websocket (``spot.orders``) -----------------------------------------------------
ORDERS_CHANNEL = "spot.orders"
#: Websocket error codes (docs "Error"): 1 invalid request body, 2 invalid argument, 3 server
#: error, 4 authentication failed.
_WS_AUTH_FAILED = 4


def stream_url(ws_url: str, token: str) -> str:
    """The private channels are on the public endpoint (``wss://api.gateio.ws/ws/v4/``)."""
    return ws_url


def stream_login(credentials: Credentials, now_ms: int) -> list[str]:
    """The signed ``spot.orders`` subscription of every pair (``!all``): ``time`` in unix
    seconds (within 60 s of the server's clock), ``auth.SIGN`` over
    ``channel=spot.orders&event=subscribe&time=<time>``. Its answer is the login's."""
    stamp = now_ms // 1000
    auth = {"method": "api_key", "KEY": credentials.key,
            "SIGN": ws_sign(credentials.secret, ORDERS_CHANNEL, "subscribe", stamp)}
    request = {"time": stamp, "id": stamp, "channel": ORDERS_CHANNEL, "event": "subscribe", "payload": ["!all"],
               "auth": auth}
    return [msgspec.json.encode(request).decode()]


class _PushedOrder(msgspec.Struct):
    """An order of a ``spot.orders`` push (the fields arb reads)."""

    id: str
    event: str
    amount: str
    left: str
    text: str = ""
    filled_total: str = "0"
    fee: str = "0"
    fee_currency: str = ""
    point_fee: str = "0"
    gt_fee: str = "0"
    finish_as: str = ""


class _WsError(msgspec.Struct):
    code: int = 0
    message: str = ""


class _WsFrame(msgspec.Struct):
    channel: str = ""
    event: str = ""
    error: _WsError | None = None
    result: msgspec.Raw = msgspec.Raw(b"null")


_ws_frames = msgspec.json.Decoder(_WsFrame)
_pushed = msgspec.json.Decoder(list[_PushedOrder])


def _pushed_state(o: _PushedOrder) -> OrderState:
    """A pushed order as a cumulative state. Filled = ``amount`` − ``left`` (the channel's
    ``filled_amount``, added in 2025, is not read: the docs' own example gives one that
    contradicts ``left``); ``filled_total`` and ``fee`` are the order's totals, as in the order
    query's answer (the push carries the order's fields)."""
    filled = fixed_text(o.amount) - fixed_text(o.left)
    if filled < 0:
        raise ValueError(f"left {o.left} exceeds amount {o.amount}")
    if o.event in ("put", "update"):
        status = OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.NEW
    elif o.event == "finish":
        status = OrderStatus.FILLED if o.finish_as == "filled" else OrderStatus.CANCELLED
        if status is OrderStatus.FILLED and o.left and fixed_text(o.left):
            raise ValueError(f"finished as filled with {o.left} left")
    else:
        raise ValueError(f"unknown event {o.event!r}")
    paid = _Order(id=o.id, status="", amount=o.amount, fee=o.fee, fee_currency=o.fee_currency, point_fee=o.point_fee,
                  gt_fee=o.gt_fee)
    fee, fee_asset = _fee_of(paid)
    return OrderState(
        client_id=o.text, venue_order_id=o.id, status=status, filled_qty=filled, quote=fixed_text(o.filled_total),
        fee=fee, fee_asset=fee_asset, reason=_FINISH.get(o.finish_as, o.finish_as) if status is OrderStatus.CANCELLED else "",
    )


def decode_stream(frame: str | bytes) -> StreamMessage:
    """One frame of the websocket::

        {"time":1611541000,"channel":"spot.orders","event":"subscribe","error":null,"result":{"status":"success"}}
        {"time":1611541000,"channel":"spot.orders","event":"subscribe",
         "error":{"code":4,"message":"{\"label\":\"INVALID_KEY\",\"message\":\"Invalid key provided\"}\n"},"result":null}
        {"time":1694655225,"channel":"spot.orders","event":"update","result":[{"id":"399123456",
         "text":"t-testtext","event":"put","amount":"0.0001","left":"0.0001","filled_total":"0",
         "fee":"0","fee_currency":"USDT","finish_as":"open",…}]}

    The subscription's acknowledgement is the login (the request carried the credentials) and
    the subscription at once. An error answer raises its :class:`VenueError` (code 4, a refused
    signature or key: AUTH). Other channels (``spot.pong``) carry no order."""
    try:
        msg = _ws_frames.decode(frame)
        if msg.error is not None:
            reason = RejectReason.AUTH if msg.error.code == _WS_AUTH_FAILED else RejectReason.OTHER
            raise VenueError(NAME, reason, str(msg.error.code), msg.error.message.strip())
        if msg.channel != ORDERS_CHANNEL:
            return StreamMessage()
        if msg.event == "subscribe":
            return StreamMessage(logged_in=True, subscribed=True)
        if msg.event != "update":
            return StreamMessage()
        return StreamMessage(states=tuple(_pushed_state(o) for o in _pushed.decode(msg.result)))
    except (msgspec.DecodeError, ValueError) as exc:
        text = frame if isinstance(frame, str) else frame.decode(errors="replace")
        raise VenueError(NAME, RejectReason.OTHER, "decode", f"unreadable frame ({exc}): {text[:200]}") from None


#: No application ping: Gate's server pings at the protocol level (and a ``spot.ping`` must carry
#: a current ``time``, which a fixed frame cannot).
STREAM = PrivateStreamSpec(url=stream_url, decode=decode_stream, login=stream_login, ping=None)

TRADING = TradingSpec(
    venue=NAME, place=place, decode_place=decode_place, cancel=cancel, query=query, decode_order=decode_order,
    balances=balances, decode_balances=decode_balances, classify=classify, client_id=client_id,
    fee_rates=fee_rates, decode_fee_rates=decode_fee_rates, query_by_venue_id=query_by_venue_id,
    # Private endpoints: 200 requests per 10 s per endpoint per UID (each request weighs 1).
    # Kept over all of them together as a token bucket of half that: never more than 200 in any
    # 10 s, on any one endpoint (a full bucket at the start of a window, then its refill).
    budget=RestBudget(100, 10.0), stream=STREAM,
)
