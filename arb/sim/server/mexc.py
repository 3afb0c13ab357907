"""MEXC spot v3, server side: JSON requests, binary protobuf pushes, ``/api/v3/depth``.

- ``/ws``. ``{"method":"SUBSCRIPTION","params":["spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT",
  "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT"]}`` → ``{"id":0,"code":0,"msg":"<channels>"}``
  (text); pushes are binary ``PushDataV3ApiWrapper`` frames: diff depth (body 313,
  ``fromVersion``/``toVersion``) and book ticker (body 315, at the book's version, when the
  top changes). ``UNSUBSCRIPTION`` likewise. At most 30 subscriptions per connection; a
  refused channel gets ``{"id":0,"code":0,"msg":"Not Subscribed successfully! [...].  Reason： Blocked! "}``.
- ``{"method":"PING"}`` → ``{"id":0,"code":0,"msg":"PONG"}``.
- ``GET /api/v3/depth?symbol=BTCUSDT&limit=1000`` → ``{"lastUpdateId":…,"bids":…,"asks":…}``;
  the listings and the private API are :class:`MexcPrivate`'s.
- User data streams: ``POST /api/v3/userDataStream`` (signed, verified like every private
  call) → ``{"listenKey":…}``, a new key valid 60 minutes; ``PUT``/``DELETE ?listenKey=`` →
  ``{"listenKey":…}`` (extended 60 minutes / closed; a key that is not the account's →
  400 ``-1125`` "This listenKey does not exist.", Binance's code: MEXC documents none);
  ``GET`` → ``{"listenKey":[…]}``. ``/ws?listenKey=<key>`` with a key that is unknown or
  expired gets the text ``Invalid listen key`` and is closed; with a valid one,
  ``spot@private.orders.v3.api.pb`` and ``spot@private.deals.v3.api.pb`` are acknowledged like
  public channels (on a connection without a key they are refused "Blocked!") and every change
  of the account's orders is pushed as a binary ``privateOrders`` wrapper (cumulative figures,
  status 1..5), each execution also as a ``privateDeals`` one (with its fee) right after.
  A connection that subscribed to one of the two channels hears both (the simulator follows
  orders per account, not per channel); balance pushes (``spot@private.account.v3.api.pb``)
  are not simulated (refused "Blocked!"); an ``UNSUBSCRIPTION`` of a private channel is
  acknowledged, the pushes go on until the connection closes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import msgspec
from aiohttp import web

from arb.book.book import OrderBook
from arb.core.numbers import ONE, from_decimal, parse_fixed, to_plain
from arb.core.symbols import split
from arb.sim.exchange import Account, Rejected, SimOrder, SimTrade
from arb.sim.server.frames import Out
from arb.sim.server.protocol import BOOK, TICKER, Limits, Route, VenueProtocol, json_response, read_json, synthetic_volume
from arb.sim.server.session import Session
from arb.sim.server.venue import Stream
from arb.venues.mexc import Encoder
from arb.venues.base import VenueSpec
from arb.venues.mexc import market_data as mexc
from arb.venues.mexc import proto as pb
from arb.venues.mexc.signing import sign
from arb.venues.mexc.trading import DEALS_CHANNEL, ORDERS_CHANNEL
from arb.venues.trading import OrderStatus, RejectReason
from arb.venues.wire import Frame

if TYPE_CHECKING:
    from arb.sim.server.venue import VenueServer

_json = msgspec.json.Encoder()
_KINDS = {mexc.DEPTH_CHANNEL.format(""): BOOK, mexc.BOOK_TICKER_CHANNEL.format(""): TICKER}


# -- listings and the private API -------------------------------------------------------------
#: ``newClientOrderId`` the simulator accepts (MEXC documents no rule; clients keep to 32 of these).
_CLIENT_ID = re.compile(r"[0-9A-Za-z_\-]{1,32}")
_ORDER_TYPES = {"LIMIT": "gtc", "IMMEDIATE_OR_CANCEL": "ioc"}
_TYPE_TEXT = {tif: kind for kind, tif in _ORDER_TYPES.items()}
#: A refusal by reason: (code, msg), from the docs' "Error Code" table (-2010 is Binance's
#: duplicate-order code, which MEXC's -20xx family keeps; MEXC documents no code of its own).
_REFUSALS = {
    RejectReason.AUTH: (700002, "Signature for this request is not valid."),
    RejectReason.RATE_LIMIT: (429, "Too Many Requests"),
    RejectReason.UNAVAILABLE: (503, "service not available, please try again"),
    RejectReason.UNKNOWN_STATE: (500, "Internal error"),
    RejectReason.NOT_FOUND: (-2013, "Order does not exist."),
    RejectReason.BALANCE: (30004, "Insufficient position"),
    RejectReason.DUPLICATE: (-2010, "Duplicate order sent."),
    RejectReason.PRICE: (400, "price scale is invalid"),
    RejectReason.LOT: (400, "quantity scale is invalid"),
    RejectReason.MIN_NOTIONAL: (30002, "The minimum transaction volume cannot be less than:"),
    RejectReason.OTHER: (33333, "param is error"),
}
_MAX_RECV_WINDOW_MS = 60_000
#: A listenKey lives this long after its creation or last ``PUT`` (docs: 60 minutes).
LISTEN_KEY_MS = 60 * 60 * 1000
_PRIVATE_CHANNELS = (ORDERS_CHANNEL, DEALS_CHANNEL)
#: ``privateOrders.status``: 1 not traded, 2 fully traded, 3 partially traded, 4 canceled, 5 partially canceled.
_PUSH_STATUS = {OrderStatus.NEW: 1, OrderStatus.FILLED: 2, OrderStatus.PARTIALLY_FILLED: 3}
#: ``privateOrders.orderType``: LIMIT_ORDER (1), IMMEDIATE_OR_CANCEL (3).
_PUSH_TYPE = {"gtc": 1, "ioc": 3}


@dataclass
class ListenKey:
    """One user data stream's key: whose, and until when (server ms)."""

    account: str
    expires_ms: int


def _order_status(order: SimOrder) -> str:
    if order.status is OrderStatus.CANCELLED:
        return "PARTIALLY_CANCELED" if order.filled else "CANCELED"
    return {OrderStatus.NEW: "NEW", OrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED", OrderStatus.FILLED: "FILLED"}.get(
        order.status, "CANCELED")


def _places(step: int, what: str) -> int:
    """Decimal places of a power-of-ten step (MEXC states ticks and lots only that way)."""
    places = 18
    while places > 0 and step % 10 == 0:
        step //= 10
        places -= 1
    if step != 1:
        raise ValueError(f"mexc states a {what} as decimal places: {to_plain(step * 10 ** (18 - places))} is not a power of ten")
    return places


def _split_signature(text: str) -> tuple[str, str]:
    """``(text without its trailing signature parameter, the signature)``."""
    at = text.find("&signature=")
    if at >= 0:
        return text[:at], text[at + len("&signature="):].split("&", 1)[0]
    if text.startswith("signature="):
        return "", text[len("signature="):].split("&", 1)[0]
    return text, ""


def _params(query: str, body: str) -> dict[str, str]:
    """Query and form-body parameters (the query wins, as MEXC documents)."""
    params = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()} if "=" in body and not body.startswith("{") else {}
    params.update({k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()})
    return params


class MexcPrivate(VenueProtocol):
    """MEXC's listings, tickers and private REST API (spot v3) on an
    :class:`~arb.sim.exchange.Exchange`: ``X-MEXC-APIKEY`` and a lowercase hex HMAC-SHA256 of
    the query string followed by the body, ``timestamp`` within ``recvWindow`` (at most
    60 000 ms), errors as ``{"code","msg"}``. Also the contract listing a generic client loads
    (empty: spot only)."""

    name: str

    def __init__(self, server: VenueServer, spec: VenueSpec) -> None:
        super().__init__(server, spec)
        #: listenKey → its account and expiry.
        self.listen_keys: dict[str, ListenKey] = {}

    def public_routes(self) -> list[Route]:
        return [
            Route("GET", "/api/v3/exchangeInfo", self._exchange_info),
            Route("GET", "/api/v3/ticker/24hr", self._tickers),
            Route("GET", "/api/v3/ticker/bookTicker", self._book_tickers),
            Route("GET", "/api/v3/time", self._time),
            Route("GET", "/api/v3/ping", self._ping),
            Route("GET", "/api/v3/defaultSymbols", self._default_symbols),
            Route("GET", "/api/v1/contract/detail", self._no_contracts),
        ]

    def private_routes(self) -> list[Route]:
        r = self.private_route
        return [
            r("GET", "/api/v3/capital/config/getall", 10, self._coins),
            r("GET", "/api/v3/account", 10, self._account),
            r("GET", "/api/v3/tradeFee", 20, self._trade_fee),
            r("POST", "/api/v3/order", 1, self._place, order=True),
            r("GET", "/api/v3/order", 2, self._query),
            r("DELETE", "/api/v3/order", 1, self._cancel),
            r("GET", "/api/v3/openOrders", 3, self._open_orders),
            r("GET", "/api/v3/myTrades", 10, self._my_trades),
            r("POST", "/api/v3/userDataStream", 1, self._user_stream),
            r("PUT", "/api/v3/userDataStream", 1, self._user_stream),
            r("DELETE", "/api/v3/userDataStream", 1, self._user_stream),
            r("GET", "/api/v3/userDataStream", 1, self._user_stream),
        ]

    def _ok(self, body: object) -> web.StreamResponse:
        return json_response(_json.encode(body).decode())

    def _refuse(self, status: int, code: int, msg: str) -> web.StreamResponse:
        return json_response(_json.encode({"code": code, "msg": msg}).decode(), status)

    def _now_ms(self) -> int:
        return self.server.clock() // 1_000_000

    # -- public --------------------------------------------------------------------------------
    async def _ping(self, request: web.Request) -> web.StreamResponse:
        return self._ok({})

    async def _time(self, request: web.Request) -> web.StreamResponse:
        return self._ok({"serverTime": self._now_ms()})

    async def _default_symbols(self, request: web.Request) -> web.StreamResponse:
        return self._ok({"code": 200, "data": [self.server.native(s) for s in self.server.symbols], "msg": None})

    async def _no_contracts(self, request: web.Request) -> web.StreamResponse:
        return self._ok({"success": True, "code": 0, "data": []})

    def _symbol_info(self, symbol: str) -> dict[str, object] | None:
        inst = self.server.instruments.get(self.name, symbol)
        if inst is None:
            return None
        base, quote = split(symbol)
        exchange = self.server.exchange
        halted = exchange is not None and symbol in exchange.halted
        price_places, qty_places = _places(inst.tick_size, "tick"), _places(inst.lot_size, "lot")
        maker, taker = (exchange.maker_fee, exchange.taker_fee) if exchange is not None else (0, 0)
        return {
            "symbol": inst.venue_symbol, "status": "2" if halted else "1", "baseAsset": base, "baseAssetPrecision": qty_places,
            "quoteAsset": quote, "quotePrecision": price_places, "quoteAssetPrecision": price_places,
            "baseCommissionPrecision": qty_places, "quoteCommissionPrecision": price_places,
            "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"], "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
            "quoteAmountPrecision": to_plain(inst.min_notional), "baseSizePrecision": to_plain(inst.min_qty or inst.lot_size),
            "permissions": ["SPOT"], "filters": [], "maxQuoteAmount": "2000000", "makerCommission": to_plain(maker),
            "takerCommission": to_plain(taker), "quoteAmountPrecisionMarket": to_plain(inst.min_notional),
            "maxQuoteAmountMarket": "100000", "fullName": base, "tradeSideType": 1,
        }

    async def _exchange_info(self, request: web.Request) -> web.StreamResponse:
        wanted = request.query.get("symbols") or request.query.get("symbol")
        natives = set(wanted.split(",")) if wanted else None
        symbols = [s for s in self.server.symbols if natives is None or self.server.native(s) in natives]
        if natives is not None and len(symbols) != len(natives):
            return self._refuse(400, 30014, "invalid symbol")
        infos = [i for i in (self._symbol_info(s) for s in symbols) if i is not None]
        return self._ok({"timezone": "CST", "serverTime": self._now_ms(), "rateLimits": [], "exchangeFilters": [], "symbols": infos})

    def _ticker(self, symbol: str) -> dict[str, object] | None:
        book = self.server.book(symbol)
        bid, ask = book.best_bid(), book.best_ask()
        if bid is None or ask is None or self.server.instruments.get(self.name, symbol) is None:
            return None
        mid = (parse_fixed(bid[0]) + parse_fixed(ask[0])) // 2
        volume = synthetic_volume(symbol, mid)
        now = self._now_ms()
        return {
            "symbol": self.server.native(symbol), "priceChange": "0", "priceChangePercent": "0", "prevClosePrice": to_plain(mid),
            "lastPrice": to_plain(mid), "bidPrice": bid[0], "bidQty": bid[1], "askPrice": ask[0], "askQty": ask[1],
            "openPrice": to_plain(mid), "highPrice": to_plain(mid), "lowPrice": to_plain(mid), "volume": to_plain(volume),
            "quoteVolume": to_plain(volume * mid // ONE), "openTime": now - 86_400_000, "closeTime": now, "count": None,
        }

    async def _tickers(self, request: web.Request) -> web.StreamResponse:
        native = request.query.get("symbol")
        if native is not None:
            symbol = self.server.unified(native)
            ticker = self._ticker(symbol) if symbol is not None else None
            return self._ok(ticker) if ticker is not None else self._refuse(400, 30014, "invalid symbol")
        return self._ok([t for t in (self._ticker(s) for s in self.server.symbols) if t is not None])

    async def _book_tickers(self, request: web.Request) -> web.StreamResponse:
        keys = ("symbol", "bidPrice", "bidQty", "askPrice", "askQty")
        return self._ok([{k: t[k] for k in keys} for t in (self._ticker(s) for s in self.server.symbols) if t is not None])

    # -- auth ----------------------------------------------------------------------------------
    async def authenticate(self, request: web.Request, body: str) -> Account | web.StreamResponse:
        exchange = self.server.exchange
        key = request.headers.get("X-MEXC-APIKEY", "")
        if not key:
            return self._refuse(400, 400, "api key required")
        account = exchange.account_of(key) if exchange is not None else None
        if exchange is None or account is None:
            return self._refuse(400, 10072, "invalid access key")
        secret = exchange.keys[key].secret
        signed_body, sig_b = _split_signature(body)
        valid = False
        # The signed text is the query as sent (percent-encoded where needed) followed by the body.
        for query in dict.fromkeys((request.rel_url.raw_query_string, request.query_string)):
            signed_query, sig_q = _split_signature(query)
            signature = sig_q or sig_b
            valid = valid or (bool(signature) and hmac.compare_digest(sign(secret, signed_query, signed_body), signature))
        if not valid:
            return self._refuse(400, 700002, "Signature for this request is not valid.")
        params = _params(request.query_string, body)
        try:
            sent = int(params.get("timestamp", ""))
            window = int(params.get("recvWindow", "5000"))
        except ValueError:
            return self._refuse(400, 44444, "param cannot be null: timestamp")
        if window > _MAX_RECV_WINDOW_MS:
            return self._refuse(400, 700005, "recvWindow must less than 60000")
        now = self._now_ms()
        if not (sent < now + 1000 and now - sent <= window):
            return self._refuse(400, 700003, "Timestamp for this request is outside of the recvWindow.")
        return account

    def private_error(self, status: int, reason: RejectReason, message: str) -> web.StreamResponse:
        code, default = _REFUSALS.get(reason, (33333, "param is error"))
        return self._refuse(status, code, message or default)

    # -- account -------------------------------------------------------------------------------
    async def _coins(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        return self._ok([
            {"coin": a, "Name": a, "networkList": [{
                "coin": a, "depositDesc": None, "depositEnable": True, "minConfirm": 1, "name": a, "network": a, "netWork": a,
                "withdrawEnable": True, "withdrawFee": "0", "withdrawIntegerMultiple": None, "withdrawMax": "9999999999",
                "withdrawMin": "0", "sameAddress": False, "contract": "", "withdrawTips": None, "depositTips": None}]}
            for a in sorted({a for s in self.server.symbols for a in split(s)})
        ])

    async def _account(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        balances = [{"asset": a, "free": to_plain(f), "locked": to_plain(lk)} for a, (f, lk) in sorted(account.balances.items()) if f or lk]
        return self._ok({"canTrade": True, "canWithdraw": True, "canDeposit": True, "updateTime": None, "accountType": "SPOT",
                         "balances": balances, "permissions": ["SPOT"]})

    async def _trade_fee(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        if self.server.unified(request.query.get("symbol", "")) is None:
            return self._refuse(400, 30014, "invalid symbol")
        exchange = self.exchange
        # The docs print the rates as JSON numbers: written from the exact text, never via float.
        data = {"makerCommission": msgspec.Raw(to_plain(exchange.maker_fee).encode()),
                "takerCommission": msgspec.Raw(to_plain(exchange.taker_fee).encode())}
        return self._ok({"data": data, "code": 0, "msg": "success", "timestamp": self._now_ms()})

    # -- orders --------------------------------------------------------------------------------
    async def _place(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        params = _params(request.query_string, body)
        symbol = self.server.unified(params.get("symbol", ""))
        if symbol is None:
            return self._refuse(400, 30014, "invalid symbol")
        tif = _ORDER_TYPES.get(params.get("type", ""))
        side = params.get("side", "").lower()
        if tif is None:  # limit orders only: never an unprotected market order
            return self._refuse(400, 30041, "current order type can not place order")
        if side not in ("buy", "sell"):
            return self._refuse(400, 33333, "param is error: side")
        client_id = params.get("newClientOrderId", "")
        if client_id and not _CLIENT_ID.fullmatch(client_id):
            return self._refuse(400, 700008, "Illegal characters found in parameter 'newClientOrderId'")
        try:
            qty, price = from_decimal(params["quantity"]), from_decimal(params["price"])
        except KeyError:
            return self._refuse(400, 44444, "param cannot be null: quantity and price")
        except ValueError:
            return self._refuse(400, 33333, "param is error: quantity or price")
        try:
            order = self.exchange.place(account, symbol, side, qty, price, tif, client_id, self._now_ms())
        except Rejected as exc:
            return self._rejected(exc, symbol, qty)
        return self._ok({
            "symbol": self.server.native(symbol), "orderId": str(order.order_id), "orderListId": -1, "price": to_plain(price),
            "origQty": to_plain(qty), "type": _TYPE_TEXT[tif], "side": side.upper(), "transactTime": order.created_ms,
        })

    def _rejected(self, exc: Rejected, symbol: str, qty: int) -> web.StreamResponse:
        inst = self.server.instruments.get(self.name, symbol)
        base, quote = split(symbol)
        if exc.reason is RejectReason.MIN_NOTIONAL and inst is not None:
            return self._refuse(400, 30002, f"The minimum transaction volume cannot be less than:{to_plain(inst.min_notional)}{quote}")
        if exc.reason is RejectReason.LOT and inst is not None and not (inst.lot_size and qty % inst.lot_size):
            return self._refuse(400, 30002, f"The minimum transaction volume cannot be less than:{to_plain(inst.min_qty)}{base}")
        if exc.reason is RejectReason.OTHER:
            return self._refuse(400, 30000, "suspended transaction for the symbol")
        code, msg = _REFUSALS[exc.reason]
        return self._refuse(400, code, msg)

    def _find(self, request: web.Request, account: Account, body: str,
              missing: tuple[int, str] = (-2013, "Order does not exist.")) -> SimOrder | web.StreamResponse:
        """An order by ``orderId`` or ``origClientOrderId`` (``missing``: the refusal when there is none)."""
        params = _params(request.query_string, body)
        order_id, client_id = params.get("orderId"), params.get("origClientOrderId")
        if not order_id and not client_id:
            return self._refuse(400, 700004, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null")
        try:
            order = self.exchange.find(account, int(order_id) if order_id else None, client_id)
        except (Rejected, ValueError):
            order = None
        native = params.get("symbol")
        if order is None or (native is not None and self.server.unified(native) != order.symbol):
            return self._refuse(400, *missing)
        return order

    async def _query(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        order = self._find(request, account, body)
        return order if isinstance(order, web.StreamResponse) else self._ok(self._order_json(order))

    async def _cancel(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        order = self._find(request, account, body, missing=(-2011, "Unknown order sent."))
        if isinstance(order, web.StreamResponse):
            return order
        if not order.open:
            return self._refuse(400, -2011, "Unknown order sent.")
        self.exchange.cancel(account, order, self._now_ms())
        out = self._order_json(order)
        return self._ok({"symbol": out["symbol"], "origClientOrderId": out["clientOrderId"], "orderId": out["orderId"],
                         **{k: out[k] for k in ("clientOrderId", "price", "origQty", "executedQty", "cummulativeQuoteQty",
                                                "status", "timeInForce", "type", "side")}})

    async def _open_orders(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        symbol = self.server.unified(_params(request.query_string, body).get("symbol", ""))
        if symbol is None:
            return self._refuse(400, 30014, "invalid symbol")
        return self._ok([self._order_json(o) for o in self.exchange.open_orders(account, symbol)])

    async def _my_trades(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        params = _params(request.query_string, body)
        symbol = self.server.unified(params.get("symbol", ""))
        if symbol is None:
            return self._refuse(400, 30014, "invalid symbol")
        order_id = params.get("orderId")
        out = []
        for t in account.trades:
            if t.symbol != symbol or (order_id and str(t.order_id) != order_id):
                continue
            client_id = account.orders[t.order_id].client_id
            out.append({
                "symbol": self.server.native(symbol), "id": str(t.trade_id), "orderId": str(t.order_id), "orderListId": -1,
                "price": to_plain(t.price), "qty": to_plain(t.qty), "quoteQty": to_plain(t.quote), "commission": to_plain(t.fee),
                "commissionAsset": t.fee_asset, "time": t.ts_ms, "isBuyer": t.side == "buy", "isMaker": t.maker,
                "isBestMatch": True, "isSelfTrade": False, "clientOrderId": client_id or None,
            })
        return self._ok(out)

    # -- user data streams ----------------------------------------------------------------------
    async def _user_stream(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        """``POST|PUT|DELETE|GET /api/v3/userDataStream`` (signed)."""
        now = self._now_ms()
        for key in [k for k, v in self.listen_keys.items() if v.expires_ms <= now]:
            del self.listen_keys[key]
        if request.method == "GET":
            return self._ok({"listenKey": [k for k, v in self.listen_keys.items() if v.account == account.name]})
        if request.method == "POST":
            key = hashlib.sha256(f"{account.name}:{len(self.listen_keys)}:{self.server.clock()}".encode()).hexdigest()
            self.listen_keys[key] = ListenKey(account.name, now + LISTEN_KEY_MS)
            return self._ok({"listenKey": key})
        key = _params(request.query_string, body).get("listenKey", "")
        entry = self.listen_keys.get(key)
        if entry is None or entry.account != account.name:
            return self._refuse(400, -1125, "This listenKey does not exist.")
        if request.method == "DELETE":
            del self.listen_keys[key]
        else:
            entry.expires_ms = now + LISTEN_KEY_MS
        return self._ok({"listenKey": key})

    def listen_key_account(self, key: str) -> str | None:
        """The account a listenKey streams, if it is valid now."""
        entry = self.listen_keys.get(key)
        return entry.account if entry is not None and entry.expires_ms > self._now_ms() else None

    def order_update(self, order: SimOrder, trade: SimTrade | None) -> list[bytes]:
        """A ``privateOrders`` push for the order's new state, then the execution's
        ``privateDeals`` push (the docs' examples: the order's push is sent first)."""
        native = self.server.native(order.symbol)
        status = _PUSH_STATUS.get(order.status) or (5 if order.filled else 4)
        push = pb.PrivateOrder(
            id=str(order.order_id), client_id=order.client_id, price=to_plain(order.price), quantity=to_plain(order.qty),
            amount=to_plain(order.price * order.qty // ONE), avg_price=to_plain(order.quote * ONE // order.filled) if order.filled else "0",
            order_type=_PUSH_TYPE[order.tif], trade_type=1 if order.side == "buy" else 2, is_maker=trade.maker if trade else False,
            remain_amount=to_plain(order.price * order.remaining // ONE), remain_quantity=to_plain(order.remaining),
            last_deal_quantity=to_plain(trade.qty) if trade else None, cumulative_quantity=to_plain(order.filled),
            cumulative_amount=to_plain(order.quote), status=status, create_time=order.created_ms,
        )
        now = self._now_ms()
        frames = [pb.encode_wrapper(pb.Wrapper(channel=ORDERS_CHANNEL, body=push, symbol=native, send_time=now))]
        if trade is not None:
            deal = pb.PrivateDeal(
                price=to_plain(trade.price), quantity=to_plain(trade.qty), amount=to_plain(trade.quote),
                trade_type=1 if trade.side == "buy" else 2, is_maker=trade.maker, trade_id=str(trade.trade_id),
                client_order_id=order.client_id, order_id=str(order.order_id), fee_amount=to_plain(trade.fee),
                fee_currency=trade.fee_asset, time=trade.ts_ms,
            )
            frames.append(pb.encode_wrapper(pb.Wrapper(channel=DEALS_CHANNEL, body=deal, symbol=native, send_time=now)))
        return frames

    def _order_json(self, order: SimOrder) -> dict[str, object]:
        return {
            "symbol": self.server.native(order.symbol), "orderId": str(order.order_id), "orderListId": -1,
            "clientOrderId": order.client_id or None, "price": to_plain(order.price), "origQty": to_plain(order.qty),
            "executedQty": to_plain(order.filled), "cummulativeQuoteQty": to_plain(order.quote), "status": _order_status(order),
            "timeInForce": None, "type": _TYPE_TEXT[order.tif], "side": order.side.upper(), "stopPrice": None,
            "icebergQty": None, "time": order.created_ms, "updateTime": order.updated_ms, "isWorking": order.open,
            "origQuoteOrderQty": "0",
        }


class MexcProtocol(MexcPrivate, VenueProtocol):
    name = "mexc"
    path = "/ws"
    limits = Limits(messages=(100, 1.0), error='{"id":0,"code":0,"msg":"$msg"}')  # NOTES: 100 msgs/s per connection (its 30 subscriptions: on_message)
    #: "Each endpoint with UID limits has an independent 500 every 10 second limit" (weighted).
    private_budget = (500, 10.0)
    private_budget_per_endpoint = True
    default_streams = ((BOOK, None), (TICKER, None))

    def is_ping(self, message: str | bytes) -> bool:
        msg = read_json(message)
        return isinstance(msg, dict) and msg.get("method") == "PING"

    def on_open(self, session: Session) -> None:
        """``/ws?listenKey=…``: a user data stream, if the key is valid now."""
        keys = parse_qs(session.path.partition("?")[2]).get("listenKey")
        if keys is None:
            return
        account = self.listen_key_account(keys[0])
        if account is None:
            self.send(session, ["Invalid listen key"])
            self.server.close_session(session, 1000, "Invalid listen key")
            return
        session.state["listen-account"] = account

    def on_message(self, session: Session, message: str | bytes) -> None:
        msg = read_json(message)
        method = msg.get("method") if isinstance(msg, dict) else None
        req_id = msg.get("id", 0) if isinstance(msg, dict) else 0
        if method == "PING":
            self._reply(session, "PONG", req_id)
            return
        params = msg.get("params") if isinstance(msg, dict) else None
        if method not in ("SUBSCRIPTION", "UNSUBSCRIPTION") or not isinstance(params, list):
            self._reply(session, f"Not Subscribed successfully! [{str(message)[:60]}].  Reason： Invalid request! ", req_id)
            return
        subscribed: set[str] = session.state.setdefault("channels", set())
        accepted, refused = [], []
        for channel in params:
            account = session.state.get("listen-account")
            if channel in _PRIVATE_CHANNELS and account is not None:
                if method == "SUBSCRIPTION":
                    subscribed.add(channel)
                    self.server.watch_orders(session, account)
                else:
                    subscribed.discard(channel)
                accepted.append(channel)
                continue
            stream = self._stream(channel)
            if stream is None:
                refused.append(str(channel)[:80])
                continue
            if method == "SUBSCRIPTION":
                if channel not in subscribed and len(subscribed) >= mexc.MAX_SUBSCRIPTIONS:
                    refused.append(channel)
                    continue
                subscribed.add(channel)
                self.server.subscribe(session, stream)
            else:
                subscribed.discard(channel)
                self.server.unsubscribe(session, stream)
            accepted.append(channel)
        if accepted:
            self._reply(session, ",".join(accepted), req_id)
        if refused:
            self._reply(session, f"Not Subscribed successfully! [{','.join(refused)}].  Reason： Blocked! ", req_id)

    def _stream(self, channel: Any) -> Stream | None:
        if not isinstance(channel, str):
            return None
        prefix, _, native = channel.rpartition("@")
        kind = _KINDS.get(prefix + "@")
        symbol = self.server.unified(native)
        return None if kind is None or symbol is None else self.server.stream(symbol, kind)

    def _reply(self, session: Session, text: str, req_id: Any) -> None:
        self.send(session, [_json.encode({"id": req_id if isinstance(req_id, int) else 0, "code": 0, "msg": text}).decode()])

    # -- streams --------------------------------------------------------------------------
    def encoder(self, kind: str, param: Any) -> Encoder:
        return Encoder(self.server.symbol_map)

    def ticker(self, stream: Stream, book: OrderBook, seq: int, ts_ns: int) -> Sequence[Frame | Out]:
        top = (book.best_bid(), book.best_ask())
        if top == stream.state:
            return ()
        stream.state = top
        bid, ask = (lv[:2] if lv else None for lv in top)
        return [stream.encoder.book_ticker(stream.symbol, bid, ask, seq, ts_ns)]

    # -- REST -----------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [Route("GET", "/api/v3/depth", self._depth), *self.public_routes()]

    async def _depth(self, request: web.Request) -> web.StreamResponse:
        query = self.book_query(request, "symbol", "limit", 100, 5000)
        if isinstance(query, str):
            return json_response(_json.encode({"code": -1121, "msg": query}).decode(), 400)
        symbol, limit = query
        bids, asks, seq, _ = self.snapshot_args(symbol, limit)
        _, body = self.encoder(BOOK, None).rest_snapshot(self.server.rest_url, symbol, bids, asks, seq, self.server.clock())
        return json_response(body)
