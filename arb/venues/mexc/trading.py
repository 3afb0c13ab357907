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
- User data stream (:data:`STREAM`, docs "Websocket User Data Streams"): ``POST
  /api/v3/userDataStream`` (signed like every private call) → ``{"listenKey": …}``, valid 60
  minutes, ``PUT ?listenKey=`` extends it (every 30 minutes, as recommended); the stream is
  ``wss://wbs-api.mexc.com/ws?listenKey=<key>``, where ``{"method":"SUBSCRIPTION","params":
  ["spot@private.orders.v3.api.pb"]}`` (and ``…deals…``) are acknowledged ``{"id":0,"code":0,
  "msg":"<channel>"}`` and ``{"method":"PING"}`` answered ``{"id":0,"code":0,"msg":"PONG"}``.
  Pushes are binary ``PushDataV3ApiWrapper`` (:mod:`.proto`): ``privateOrders`` carry an
  order's cumulative quantity and amount and its status, no fee; ``privateDeals`` carry one
  execution each, with its ``feeAmount``/``feeCurrency``. :class:`StreamDecoder` joins the two
  on one connection so that an order's state carries its exact fees (see there).
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import msgspec

from arb.core.errors import DecodeError
from arb.venues.base import Credentials, RestBudget, RestRequest
from arb.venues.mexc import proto as pb
from arb.venues.mexc.signing import sign
from arb.venues.trading import (
    Balance, Executions, OrderRequest, OrderState, OrderStatus, PrivateStreamSpec, RejectReason, StreamMessage,
    TradingSpec, VenueError, fee_text, fixed_text, retry_after_s, ws_origin,
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
_json = msgspec.json.Encoder()


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
            fee += fee_text(t.commission)  # an MX fee can be finer than 10**-18: rounded up
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
    retry_after = retry_after_s(headers)
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


# -- the user data stream -----------------------------------------------------------------------
ORDERS_CHANNEL = "spot@private.orders.v3.api.pb"
DEALS_CHANNEL = "spot@private.deals.v3.api.pb"
#: ``privateOrders.status`` → status (docs: 1 not traded, 2 fully traded, 3 partially traded,
#: 4 canceled, 5 partially canceled).
_PUSH_STATUS = {1: OrderStatus.NEW, 2: OrderStatus.FILLED, 3: OrderStatus.PARTIALLY_FILLED, 4: OrderStatus.CANCELLED,
                5: OrderStatus.CANCELLED}


def stream_token(rest_url: str, credentials: Credentials, now_ms: int) -> RestRequest:
    """``POST /api/v3/userDataStream``, signed: a new listenKey (permission SPOT_ACCOUNT_R)."""
    return signed("POST", rest_url, "/api/v3/userDataStream", credentials, {}, now_ms)


def stream_keepalive(rest_url: str, credentials: Credentials, listen_key: str, now_ms: int) -> RestRequest:
    """``PUT /api/v3/userDataStream?listenKey=…``, signed: valid for another 60 minutes."""
    return signed("PUT", rest_url, "/api/v3/userDataStream", credentials, {"listenKey": listen_key}, now_ms)


class _ListenKey(msgspec.Struct):
    listenKey: str


_listen_key = msgspec.json.Decoder(_ListenKey)


def decode_stream_token(status: int, body: str) -> str:
    """``{"listenKey":"pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"}``."""
    try:
        key = _listen_key.decode(body).listenKey
    except msgspec.DecodeError as exc:
        raise _bad(body, exc) from None
    if not key or not key.isascii() or not key.isalnum():
        raise _bad(body, ValueError("no listenKey"))
    return key


def stream_url(ws_url: str, listen_key: str) -> str:
    """``wss://wbs-api.mexc.com/ws?listenKey=<key>``: the market-data URL's host."""
    return f"{ws_origin(ws_url)}/ws?listenKey={listen_key}"


class _Reply(msgspec.Struct):
    id: int | None = None
    code: int | None = None
    msg: str | None = None


_reply = msgspec.json.Decoder(_Reply)


def _unreadable(frame: str | bytes, exc: Exception) -> VenueError:
    text = frame if isinstance(frame, str) else frame[:100].hex()
    return VenueError(NAME, RejectReason.OTHER, "decode", f"unreadable frame ({exc}): {text[:200]}")


def _control(frame: str) -> tuple[str, ...]:
    """A text frame: the channels an acknowledgement names (none for a ``PONG``); raises the
    :class:`VenueError` a refusal says. An invalid listenKey is answered by the bare text
    ``Invalid listen key`` (what ccxt's MEXC client recognises) — an ``AUTH`` error."""
    if frame.strip() == "Invalid listen key":
        raise VenueError(NAME, RejectReason.AUTH, "listenKey", "Invalid listen key")
    try:
        reply = _reply.decode(frame)
    except msgspec.DecodeError as exc:
        raise _unreadable(frame, exc) from None
    if reply.msg is None:
        raise _unreadable(frame, ValueError("no msg"))
    if reply.code not in (0, None) or reply.msg.startswith("Not Subscribed successfully"):
        raise VenueError(NAME, RejectReason.OTHER, str(reply.code or "subscribe"), reply.msg[:200])
    if reply.msg == "PONG":
        return ()
    return tuple(reply.msg.split(","))


def _figure(text: str) -> int:
    """A decimal field of a push; proto3 does not send an empty string: empty means zero."""
    return fixed_text(text) if text else 0


def _order_state(o: pb.PrivateOrder, fee: int = 0, fee_asset: str = "", fee_known: bool = True,
                 quote: int | None = None) -> OrderState:
    status = _PUSH_STATUS.get(o.status)
    if status is None:
        raise ValueError(f"unknown order status {o.status}")
    filled = _figure(o.cumulative_quantity)
    reason = ""
    if status is OrderStatus.CANCELLED:
        reason = "cancelled" if o.status == 4 and not filled else "cancelled: the rest of the order"
    return OrderState(
        client_id=o.client_id, venue_order_id=o.id, status=status, filled_qty=filled,
        quote=_figure(o.cumulative_amount) if quote is None else quote, fee=fee, fee_asset=fee_asset,
        fee_known=fee_known or not filled, reason=reason,
    )


def decode_stream(frame: str | bytes) -> StreamMessage:
    """One frame of the private stream, on its own: an order push is its state without fees
    (``fee_known`` False once something filled: the port asks the order's trades); a deal
    push, a balance push and a ``PONG`` say nothing; an acknowledgement naming the orders
    channel says ``subscribed``. :class:`StreamDecoder` (what a connection uses) does better."""
    if isinstance(frame, str):
        return StreamMessage(subscribed=ORDERS_CHANNEL in _control(frame))
    try:
        body = pb.decode_private_wrapper(frame).body
        if type(body) is pb.PrivateOrder:
            return StreamMessage(states=(_order_state(body, fee_known=False),))
        return StreamMessage()
    except (DecodeError, ValueError) as exc:
        raise _unreadable(frame, exc) from None


class _Fills(msgspec.Struct):
    """The deals of one order seen on a connection, summed (``trades``: their ids, once each)."""

    trades: set[str] = msgspec.field(default_factory=set)
    qty: int = 0
    quote: int = 0
    fee: int = 0
    fee_assets: set[str] = msgspec.field(default_factory=set)


class StreamDecoder:
    """One connection's decoder: order pushes joined with their deals, so that states carry
    exact cumulative fees.

    An order push says the order's cumulative quantity ``Q`` and no fee; each deal push one
    execution and its fee. Deals are positive, so when the deals seen for the order (distinct
    trade ids) add up to exactly ``Q``, they are all of its executions: the state carries
    their summed fee and amount (``fee_known``). Until they do, the order's latest push is
    held — when this connection saw the order from its start (a push with nothing filled, or
    one whose ``lastDealQuantity`` is all of ``Q``), its deals are on their way here —,
    otherwise (the order filled partly before the connection) it goes out at once with
    ``fee_known`` False and the port asks the venue for the order's trades. Deals in several
    fee assets (MX deduction on some fills) also go out with ``fee_known`` False. A fee finer
    than arb's 10**-18 (the docs' MX fee ``0.0003998377369698171``) is rounded up to it
    (:func:`~arb.venues.trading.fee_text`), as ``decode_trades`` rounds it. A held state
    whose deals never come is found by the port's backup queries.

    The connection is ``subscribed`` once both channels are acknowledged.
    """

    def __init__(self) -> None:
        self._acked: set[str] = set()
        self._fills: dict[str, _Fills] = {}
        self._held: dict[str, pb.PrivateOrder] = {}
        self._from_start: set[str] = set()

    def __call__(self, frame: str | bytes) -> StreamMessage:
        if isinstance(frame, str):
            before = len(self._acked)
            self._acked.update(c for c in _control(frame) if c in (ORDERS_CHANNEL, DEALS_CHANNEL))
            return StreamMessage(subscribed=len(self._acked) == 2 and before < 2)
        try:
            body = pb.decode_private_wrapper(frame).body
            if type(body) is pb.PrivateOrder:
                state = self._order(body)
            elif type(body) is pb.PrivateDeal:
                state = self._deal(body)
            else:
                return StreamMessage()
        except (DecodeError, ValueError) as exc:
            raise _unreadable(frame, exc) from None
        return StreamMessage(states=(state,)) if state is not None else StreamMessage()

    def _order(self, o: pb.PrivateOrder) -> OrderState | None:
        if not o.id:
            raise ValueError("order push without an order id")
        filled = _figure(o.cumulative_quantity)
        if not filled or (o.last_deal_quantity is not None and _figure(o.last_deal_quantity) == filled):
            self._from_start.add(o.id)
        state = self._joined(o)
        if state is not None:
            return state
        fills = self._fills.get(o.id)
        if o.id in self._from_start or (fills is not None and fills.qty > filled):
            self._held[o.id] = o  # its deals are coming (or it is older than the deals seen)
            _order_state(o)  # its status is checked now, not when the deals come
            return None
        return self._done(o, _order_state(o, fee_known=False))

    def _deal(self, d: pb.PrivateDeal) -> OrderState | None:
        if not d.order_id or not d.trade_id:
            raise ValueError("deal push without an order or trade id")
        qty, quote = _figure(d.quantity), _figure(d.amount)
        fee = fee_text(d.fee_amount) if d.fee_amount else 0
        if qty <= 0:
            raise ValueError(f"deal of quantity {d.quantity!r}")
        fills = self._fills.setdefault(d.order_id, _Fills())
        if d.trade_id in fills.trades:
            return None
        fills.trades.add(d.trade_id)
        fills.qty += qty
        fills.quote += quote
        fills.fee += fee
        if fee or d.fee_currency:
            fills.fee_assets.add(d.fee_currency)
        held = self._held.get(d.order_id)
        return self._joined(held) if held is not None else None

    def _joined(self, o: pb.PrivateOrder) -> OrderState | None:
        """The state with its deals' fees, if the deals seen are all of its executions."""
        filled = _figure(o.cumulative_quantity)
        if not filled:
            return self._done(o, _order_state(o))
        fills = self._fills.get(o.id)
        if fills is None or fills.qty != filled:
            return None
        if len(fills.fee_assets) > 1:
            return self._done(o, _order_state(o, fee_known=False))
        asset = next(iter(fills.fee_assets), "")
        return self._done(o, _order_state(o, fee=fills.fee, fee_asset=asset, quote=fills.quote))

    def _done(self, o: pb.PrivateOrder, state: OrderState) -> OrderState:
        """``state`` goes out: nothing is held for the order any more; a finished order is forgotten."""
        self._held.pop(o.id, None)
        if state.status.done:
            self._fills.pop(o.id, None)
            self._from_start.discard(o.id)
        return state


STREAM = PrivateStreamSpec(
    url=stream_url, decode=decode_stream, decoder=StreamDecoder,
    subscribe=tuple(_json.encode({"method": "SUBSCRIPTION", "params": [c]}).decode() for c in (ORDERS_CHANNEL, DEALS_CHANNEL)),
    ping='{"method":"PING"}', ping_interval_s=20.0,
    token=stream_token, decode_token=decode_stream_token, keepalive=stream_keepalive, keepalive_s=1800.0,
)

TRADING = TradingSpec(
    venue=NAME, place=place, decode_place=decode_place, cancel=cancel, query=query, decode_order=decode_order,
    balances=balances, decode_balances=decode_balances, classify=classify, client_id=client_id,
    trades=trades, decode_trades=decode_trades,
    # "Each endpoint with UID limits has an independent 500 every 10 second limit", requests
    # weighing what the docs say (order 1, query 2, account 10 …). Kept over all endpoints
    # together as a token bucket of half that: never more than 500 in any 10 s on one endpoint.
    budget=RestBudget(250, 10.0), stream=STREAM,
)
