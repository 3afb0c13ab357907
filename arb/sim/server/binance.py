"""Binance spot, server side: streams named in the URL, diff depth + bookTicker, ``/api/v3/depth``.

- ``/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker`` (combined: every payload
  wrapped as ``{"stream":…,"data":…}``) or ``/ws/btcusdt@depth@100ms`` (raw payloads).
- Live requests: ``{"method":"SUBSCRIBE"|"UNSUBSCRIBE","params":[…],"id":1}`` →
  ``{"result":null,"id":1}``; ``LIST_SUBSCRIPTIONS``; ``GET_PROPERTY ["combined"]`` →
  ``{"result":true,"id":n}`` (the client's liveness probe). Errors
  ``{"code":2,"msg":"Invalid request: …","id":…}``.
- The server pings at protocol level (websockets keepalive); no application heartbeat.
- ``GET /api/v3/depth?symbol=BTCUSDT&limit=1000`` → ``{"lastUpdateId":…,"bids":…,"asks":…}``
  (the true book at the current update id); unknown symbol → 400 ``{"code":-1121,…}``.
- User data stream: ``POST /api/v3/userDataStream`` (``X-MBX-APIKEY`` only; unknown key → 401
  ``-2015``) → ``{"listenKey":…}`` (the account's active one again while it lives), ``PUT``/
  ``DELETE ?listenKey=`` → ``{}`` (unknown key → 400 ``-1125``); ``/ws/<listenKey>`` then
  carries an ``executionReport`` for every change of the account's orders (NEW, each TRADE,
  CANCELED — ``c`` the cancel's id, ``C`` the order's —, EXPIRED for an IOC's rest).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import msgspec
from aiohttp import web

from arb.book.book import OrderBook
from arb.sim.market import BookChange
from arb.sim.server.frames import Out
from arb.sim.server.protocol import BOOK, TICKER, Limits, Route, VenueProtocol, json_response, read_json
from arb.sim.server.session import Session
from arb.sim.server.venue import Stream
from arb.core.numbers import ONE, from_decimal, parse_fixed, to_plain
from arb.core.symbols import split
from arb.sim.exchange import Account, Rejected, SimOrder, SimTrade
from arb.sim.server.protocol import synthetic_volume
from arb.venues.binance import Encoder
from arb.venues.binance.signing import sign
from arb.venues.trading import OrderStatus, RejectReason
from arb.venues.base import VenueSpec
from arb.venues.wire import Frame

if TYPE_CHECKING:
    from arb.sim.server.venue import VenueServer

_json = msgspec.json.Encoder()
#: Depth stream names the server serves (the 1000 ms stream carries the same diffs).
_DEPTH_STREAMS = ("depth@100ms", "depth")
_MAX_LIMIT = 5000


def _restyle(frame: Frame, old: str, new: str, raw: bool) -> Frame:
    """A combined-stream frame for another stream name, or unwrapped (raw ``/ws`` streams)."""
    text = frame if isinstance(frame, str) else frame.decode()  # Binance frames are JSON text
    if raw:
        return text[text.index('"data":') + 7 : -1]
    return text.replace(f"@{old}", f"@{new}", 1)


# -- instruments, tickers and the private API ---------------------------------------------------
#: Binance error codes by reason (errors.md).
_REJECT_CODES = {
    RejectReason.AUTH: -1022, RejectReason.RATE_LIMIT: -1003, RejectReason.UNAVAILABLE: -1001,
    RejectReason.NOT_FOUND: -2013, RejectReason.BALANCE: -2010, RejectReason.DUPLICATE: -2010,
    RejectReason.LOT: -1013, RejectReason.PRICE: -1013, RejectReason.MIN_NOTIONAL: -1013, RejectReason.OTHER: -2010,
}
#: Messages the codes carry (the ones a client classifies by).
_REJECT_TEXT = {
    RejectReason.BALANCE: "Account has insufficient balance for requested action.",
    RejectReason.DUPLICATE: "Duplicate order sent.",
    RejectReason.LOT: "Filter failure: LOT_SIZE",
    RejectReason.PRICE: "Filter failure: PRICE_FILTER",
    RejectReason.MIN_NOTIONAL: "Filter failure: NOTIONAL",
    RejectReason.NOT_FOUND: "Order does not exist.",
}
_STATUS_TEXT = {
    OrderStatus.NEW: "NEW", OrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED", OrderStatus.FILLED: "FILLED",
    OrderStatus.CANCELLED: "CANCELED", OrderStatus.REJECTED: "REJECTED",
}


class BinancePrivate(VenueProtocol):
    """Binance's instruments, tickers and private REST API (rest-api.md), on an
    :class:`~arb.sim.exchange.Exchange`. HMAC-SHA256 signatures over the query string plus the
    body (the ``signature`` parameter in either), ``timestamp`` within ``recvWindow``."""


    def public_routes(self) -> list[Route]:
        return [
            Route("GET", "/api/v3/exchangeInfo", self._exchange_info),
            Route("GET", "/api/v3/ticker/24hr", self._tickers),
            Route("GET", "/api/v3/ticker/bookTicker", self._book_tickers),
            Route("GET", "/api/v3/time", self._time),
            Route("GET", "/api/v3/ping", self._ping),
            # Spot only: the futures markets a generic client asks for are empty here.
            Route("GET", "/fapi/v1/exchangeInfo", self._no_markets),
            Route("GET", "/dapi/v1/exchangeInfo", self._no_markets),
        ]

    def __init__(self, server: VenueServer, spec: VenueSpec) -> None:
        super().__init__(server, spec)
        #: listenKey → account name, and each account's active listenKey.
        self.listen_keys: dict[str, str] = {}
        self._listen_key_of: dict[str, str] = {}

    def private_routes(self) -> list[Route]:
        r = self.private_route
        return [
            Route("POST", "/api/v3/userDataStream", self._user_stream),
            Route("PUT", "/api/v3/userDataStream", self._user_stream),
            Route("DELETE", "/api/v3/userDataStream", self._user_stream),
            r("GET", "/api/v3/account", 20, self._account),
            r("GET", "/api/v3/account/commission", 20, self._commission),
            r("POST", "/api/v3/order", 1, self._place, order=True),
            r("GET", "/api/v3/order", 4, self._query),
            r("DELETE", "/api/v3/order", 1, self._cancel),
            r("GET", "/api/v3/openOrders", 6, self._open_orders),
            r("GET", "/api/v3/myTrades", 20, self._my_trades),
            r("GET", "/sapi/v1/capital/config/getall", 10, self._coins),
            r("GET", "/sapi/v1/margin/allPairs", 1, self._margin_pairs),
            r("GET", "/sapi/v1/margin/isolated/allPairs", 10, self._margin_pairs),
        ]

    # -- public --------------------------------------------------------------------------------
    async def _ping(self, request: web.Request) -> web.StreamResponse:
        return json_response("{}")

    async def _time(self, request: web.Request) -> web.StreamResponse:
        return json_response(_json.encode({"serverTime": self.server.clock() // 1_000_000}).decode())

    async def _no_markets(self, request: web.Request) -> web.StreamResponse:
        return json_response(_json.encode({"timezone": "UTC", "serverTime": self.server.clock() // 1_000_000,
                                           "rateLimits": [], "exchangeFilters": [], "symbols": []}).decode())

    async def _exchange_info(self, request: web.Request) -> web.StreamResponse:
        symbols = []
        exchange = self.server.exchange
        for symbol in self.server.symbols:
            inst = self.server.instruments.get(self.name, symbol)
            if inst is None:
                continue
            base, quote = split(symbol)
            halted = exchange is not None and symbol in exchange.halted
            symbols.append({
                "symbol": inst.venue_symbol, "status": "HALT" if halted else "TRADING", "baseAsset": base,
                "baseAssetPrecision": 8, "quoteAsset": quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
                "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
                "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
                "icebergAllowed": True, "ocoAllowed": True, "quoteOrderQtyMarketAllowed": True,
                "allowTrailingStop": False, "cancelReplaceAllowed": True, "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": False, "permissions": [], "permissionSets": [["SPOT"]],
                "defaultSelfTradePreventionMode": "EXPIRE_MAKER", "allowedSelfTradePreventionModes": ["EXPIRE_MAKER"],
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": to_plain(inst.tick_size), "maxPrice": "1000000.00000000",
                     "tickSize": to_plain(inst.tick_size)},
                    {"filterType": "LOT_SIZE", "minQty": to_plain(inst.min_qty or inst.lot_size), "maxQty": "9000000.00000000",
                     "stepSize": to_plain(inst.lot_size)},
                    {"filterType": "NOTIONAL", "minNotional": to_plain(inst.min_notional), "applyMinToMarket": True,
                     "maxNotional": "9000000.00000000", "applyMaxToMarket": False, "avgPriceMins": 5},
                ],
            })
        low, _window_s = self.private_budget
        body = {
            "timezone": "UTC", "serverTime": self.server.clock() // 1_000_000,
            "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": low},
                           {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100}],
            "exchangeFilters": [], "symbols": symbols,
        }
        return json_response(_json.encode(body).decode())

    def _ticker(self, symbol: str) -> dict[str, object] | None:
        inst = self.server.instruments.get(self.name, symbol)
        book = self.server.book(symbol)
        bid, ask = book.best_bid(), book.best_ask()
        if inst is None or bid is None or ask is None:
            return None
        mid = (parse_fixed(bid[0]) + parse_fixed(ask[0])) // 2
        volume = synthetic_volume(symbol, mid)
        return {
            "symbol": inst.venue_symbol, "priceChange": "0", "priceChangePercent": "0", "weightedAvgPrice": to_plain(mid),
            "prevClosePrice": to_plain(mid), "lastPrice": to_plain(mid), "lastQty": "0", "bidPrice": bid[0], "bidQty": bid[1],
            "askPrice": ask[0], "askQty": ask[1], "openPrice": to_plain(mid), "highPrice": to_plain(mid), "lowPrice": to_plain(mid),
            "volume": to_plain(volume), "quoteVolume": to_plain(volume * mid // ONE),
            "openTime": self.server.clock() // 1_000_000 - 86_400_000, "closeTime": self.server.clock() // 1_000_000,
            "firstId": 0, "lastId": 0, "count": 0,
        }

    async def _tickers(self, request: web.Request) -> web.StreamResponse:
        native = request.query.get("symbol")
        if native is not None:
            symbol = self.server.unified(native)
            ticker = self._ticker(symbol) if symbol is not None else None
            if ticker is None:
                return json_response(self.rest_error(400, "Invalid symbol."), 400)
            return json_response(_json.encode(ticker).decode())
        tickers = [t for t in (self._ticker(s) for s in self.server.symbols) if t is not None]
        return json_response(_json.encode(tickers).decode())

    async def _book_tickers(self, request: web.Request) -> web.StreamResponse:
        out = []
        for symbol in self.server.symbols:
            t = self._ticker(symbol)
            if t is not None:
                out.append({k: t[k] for k in ("symbol", "bidPrice", "bidQty", "askPrice", "askQty")})
        return json_response(_json.encode(out).decode())

    # -- auth --------------------------------------------------------------------------------
    async def authenticate(self, request: web.Request, body: str) -> Account | web.StreamResponse:
        exchange = self.server.exchange
        key = request.headers.get("X-MBX-APIKEY", "")
        account = exchange.account_of(key) if exchange is not None else None
        if exchange is None or account is None:
            return self._error_response(401, -2015, "Invalid API-key, IP, or permissions for action.")
        query = request.query_string
        signed_query, sig_q = _strip_signature(query)
        signed_body, sig_b = _strip_signature(body)
        signature = sig_q or sig_b
        secret = exchange.keys[key].secret
        if not signature or not hmac.compare_digest(sign(secret, signed_query + signed_body), signature):
            return self._error_response(400, -1022, "Signature for this request is not valid.")
        params = _params(query, body)
        try:
            ts = int(params.get("timestamp", ""))
            window = int(params.get("recvWindow", "5000"))
        except ValueError:
            return self._error_response(400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")
        now_ms = self.server.clock() // 1_000_000
        if not (ts - 1000 <= now_ms and now_ms - ts <= min(window, 60_000)):
            return self._error_response(400, -1021, "Timestamp for this request is outside of the recvWindow.")
        return account

    def private_error(self, status: int, reason: RejectReason, message: str) -> web.StreamResponse:
        code = _REJECT_CODES.get(reason, -2010)
        return self._error_response(status, code, _REJECT_TEXT.get(reason, message))

    def _error_response(self, status: int, code: int, message: str) -> web.StreamResponse:
        return json_response(_json.encode({"code": code, "msg": message}).decode(), status)

    # -- private handlers ----------------------------------------------------------------------
    async def _account(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        exchange = self.exchange
        omit = _params(request.query_string, body).get("omitZeroBalances") == "true"
        balances = [{"asset": a, "free": to_plain(f), "locked": to_plain(lk)} for a, (f, lk) in sorted(account.balances.items())
                    if not (omit and f == 0 and lk == 0)]
        rates = {"maker": to_plain(exchange.maker_fee), "taker": to_plain(exchange.taker_fee), "buyer": "0.00000000", "seller": "0.00000000"}
        return self._ok({
            "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
            "commissionRates": rates, "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
            "requireSelfTradePrevention": False, "preventSor": False, "updateTime": self.server.clock() // 1_000_000,
            "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"], "uid": 1,
        })

    async def _commission(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        params = _params(request.query_string, body)
        exchange = self.exchange
        rates = {"maker": to_plain(exchange.maker_fee), "taker": to_plain(exchange.taker_fee), "buyer": "0", "seller": "0"}
        return self._ok({"symbol": params.get("symbol", ""), "standardCommission": rates, "taxCommission": {"maker": "0", "taker": "0", "buyer": "0", "seller": "0"},
                         "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB", "discount": "0.75"}})

    async def _place(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        params = _params(request.query_string, body)
        symbol = self.server.unified(params.get("symbol", ""))
        if symbol is None:
            return self._error_response(400, -1121, "Invalid symbol.")
        kind = params.get("type", "")
        tif = params.get("timeInForce", "GTC")
        if kind not in ("LIMIT", "LIMIT_MAKER") or tif not in ("IOC", "GTC"):
            return self._error_response(400, -1116, "Invalid orderType.")  # only limit orders: never an unprotected market order
        try:
            qty, price = from_decimal(params["quantity"]), from_decimal(params["price"])
        except (KeyError, ValueError):
            return self._error_response(400, -1102, "Mandatory parameter 'quantity'/'price' was not sent, was empty/null, or malformed.")
        side = params.get("side", "").lower()
        client_id = params.get("newClientOrderId") or f"sim{self.exchange._next_order}"
        now_ms = self.server.clock() // 1_000_000
        try:
            order = self.exchange.place(account, symbol, side, qty, price, tif.lower(), client_id, now_ms)
        except Rejected as exc:
            return self.private_error(400, exc.reason, exc.message)
        return self._ok(self._order_json(order, full=params.get("newOrderRespType", "FULL") == "FULL"))

    def _find(self, request: web.Request, account: Account, body: str) -> SimOrder | web.StreamResponse:
        params = _params(request.query_string, body)
        order_id = params.get("orderId")
        try:
            return self.exchange.find(account, int(order_id) if order_id else None, params.get("origClientOrderId"))
        except (Rejected, ValueError):
            return self._error_response(400, -2013, "Order does not exist.")

    async def _query(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        order = self._find(request, account, body)
        return order if isinstance(order, web.StreamResponse) else self._ok(self._order_json(order, full=False))

    async def _cancel(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        order = self._find(request, account, body)
        if isinstance(order, web.StreamResponse):
            return self._error_response(400, -2011, "Unknown order sent.")
        try:
            self.exchange.cancel(account, order, self.server.clock() // 1_000_000)
        except Rejected:
            return self._error_response(400, -2011, "Unknown order sent.")
        return self._ok(self._order_json(order, full=False))

    async def _open_orders(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        native = _params(request.query_string, body).get("symbol")
        symbol = self.server.unified(native) if native else None
        orders = self.exchange.open_orders(account, symbol)
        return self._ok([self._order_json(o, full=False) for o in orders])

    async def _my_trades(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        params = _params(request.query_string, body)
        symbol = self.server.unified(params.get("symbol", ""))
        order_id = params.get("orderId")
        out = []
        for t in account.trades:
            if t.symbol != symbol or (order_id and str(t.order_id) != order_id):
                continue
            out.append({
                "symbol": params.get("symbol"), "id": t.trade_id, "orderId": t.order_id, "orderListId": -1,
                "price": to_plain(t.price), "qty": to_plain(t.qty), "quoteQty": to_plain(t.quote), "commission": to_plain(t.fee),
                "commissionAsset": t.fee_asset, "time": t.ts_ms, "isBuyer": t.side == "buy", "isMaker": t.maker, "isBestMatch": True,
            })
        return self._ok(out)

    async def _coins(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        assets = sorted({a for s in self.server.symbols for a in split(s)})
        coins = [{
            "coin": a, "name": a, "depositAllEnable": True, "withdrawAllEnable": True, "free": to_plain(account.free(a)),
            "locked": to_plain(account.locked(a)), "freeze": "0", "withdrawing": "0", "ipoing": "0", "ipoable": "0", "storage": "0",
            "isLegalMoney": False, "trading": True,
            "networkList": [{"network": a, "coin": a, "name": a, "isDefault": True, "depositEnable": True, "withdrawEnable": True,
                             "withdrawFee": "0", "withdrawMin": "0", "withdrawMax": "9999999999", "withdrawIntegerMultiple": "0.00000001",
                             "minConfirm": 1, "unLockConfirm": 0, "depositDesc": "", "withdrawDesc": "", "specialTips": "",
                             "addressRegex": "", "memoRegex": "", "sameAddress": False, "busy": False}],
        } for a in assets]
        return self._ok(coins)

    async def _margin_pairs(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        return self._ok([])

    def _ok(self, body: object) -> web.StreamResponse:
        return json_response(_json.encode(body).decode())

    # -- the user data stream ------------------------------------------------------------------
    async def _user_stream(self, request: web.Request) -> web.StreamResponse:
        """``POST|PUT|DELETE /api/v3/userDataStream`` (weight 2): the API key, no signature."""
        exchange = self.server.exchange
        account = exchange.account_of(request.headers.get("X-MBX-APIKEY", "")) if exchange is not None else None
        if account is None:
            return self._error_response(401, -2015, "Invalid API-key, IP, or permissions for action.")
        if self._limiter(account.name).spend(2, self.server.clock() / 1e9) > 0:
            return self.private_error(429, RejectReason.RATE_LIMIT, "Too many requests")
        if request.method == "POST":
            key = self._listen_key_of.get(account.name)
            if key is None:
                key = hashlib.sha256(f"{account.name}:{len(self.listen_keys)}:{self.server.clock()}".encode()).hexdigest()[:60]
                self.listen_keys[key] = account.name
                self._listen_key_of[account.name] = key
            return self._ok({"listenKey": key})
        key = _params(request.query_string, await request.text()).get("listenKey", "")
        if self.listen_keys.get(key) != account.name:
            return self._error_response(400, -1125, "This listenKey does not exist.")
        if request.method == "DELETE":
            del self.listen_keys[key]
            self._listen_key_of.pop(account.name, None)
        return self._ok({})

    def order_update(self, order: SimOrder, trade: SimTrade | None) -> list[str]:
        inst = self.server.instruments.get(self.name, order.symbol)
        status = _STATUS_TEXT[order.status]
        client_id, original = order.client_id, ""
        if trade is not None:
            execution = "TRADE"
        elif order.status is OrderStatus.CANCELLED and order.tif == "ioc":
            execution = status = "EXPIRED"
        elif order.status is OrderStatus.CANCELLED:  # the cancel request's own id, the order's in C
            execution, client_id, original = "CANCELED", f"cancel{order.order_id}", order.client_id
        else:
            execution = "NEW"
        now_ms = self.server.clock() // 1_000_000
        report = {
            "e": "executionReport", "E": now_ms, "s": inst.venue_symbol if inst is not None else order.symbol,
            "c": client_id, "S": order.side.upper(), "o": "LIMIT", "f": order.tif.upper(), "q": to_plain(order.qty),
            "p": to_plain(order.price), "P": "0.00000000", "F": "0.00000000", "g": -1, "C": original, "x": execution,
            "X": status, "r": "NONE", "i": order.order_id, "l": to_plain(trade.qty) if trade else "0.00000000",
            "z": to_plain(order.filled), "L": to_plain(trade.price) if trade else "0.00000000",
            "n": to_plain(trade.fee) if trade else "0", "N": trade.fee_asset if trade else None,
            "T": trade.ts_ms if trade else order.updated_ms, "t": trade.trade_id if trade else -1, "I": order.order_id * 2,
            "w": order.open and order.tif == "gtc", "m": trade.maker if trade else False, "M": False, "O": order.created_ms,
            "Z": to_plain(order.quote), "Y": to_plain(trade.quote) if trade else "0.00000000", "Q": "0.00000000",
            "W": order.created_ms, "V": "EXPIRE_MAKER",
        }
        return [_json.encode(report).decode()]

    def _order_json(self, order: SimOrder, full: bool) -> dict[str, object]:
        inst = self.server.instruments.get(self.name, order.symbol)
        status = _STATUS_TEXT[order.status]
        if order.status is OrderStatus.CANCELLED and order.tif == "ioc":
            status = "EXPIRED"
        out = {
            "symbol": inst.venue_symbol if inst is not None else order.symbol, "orderId": order.order_id, "orderListId": -1,
            "clientOrderId": order.client_id, "transactTime": order.created_ms, "price": to_plain(order.price),
            "origQty": to_plain(order.qty), "executedQty": to_plain(order.filled), "cummulativeQuoteQty": to_plain(order.quote),
            "status": status, "timeInForce": order.tif.upper(), "type": "LIMIT", "side": order.side.upper(),
            "workingTime": order.created_ms, "selfTradePreventionMode": "EXPIRE_MAKER",
        }
        if full:
            out["fills"] = [{"price": to_plain(t.price), "qty": to_plain(t.qty), "commission": to_plain(t.fee),
                             "commissionAsset": t.fee_asset, "tradeId": t.trade_id} for t in order.trades]
        else:
            out.update({"stopPrice": "0.00000000", "icebergQty": "0.00000000", "time": order.created_ms,
                        "updateTime": order.updated_ms, "isWorking": True, "origQuoteOrderQty": "0.00000000"})
        return out


def _strip_signature(text: str) -> tuple[str, str]:
    """``(text without its trailing signature parameter, the signature)``."""
    marker = "signature="
    at = text.find("&" + marker)
    if at >= 0:
        return text[:at], text[at + 1 + len(marker):].split("&", 1)[0]
    if text.startswith(marker):
        return "", text[len(marker):].split("&", 1)[0]
    return text, ""


def _params(query: str, body: str) -> dict[str, str]:
    params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    params.update({k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()})
    return params


class BinanceProtocol(BinancePrivate, VenueProtocol):
    name = "binance"
    limits = Limits(streams=1024, messages=(5, 1.0), connections=(300, 300.0), excess="close", error='{"code":2,"msg":"$msg","id":$id}')  # NOTES: 1024 streams, 5 msgs/s (then cut), 300 connects/5 min
    #: REQUEST_WEIGHT 6000 per minute (rest-api.md, enums.md).
    private_budget = (6000, 60.0)
    path = ""
    default_streams = ((BOOK, ("depth@100ms", False)), (TICKER, ("bookTicker", False)))

    def handshake(self, path: str) -> str | None:
        route = path.split("?", 1)[0]
        if route == "/stream" or route == "/ws" or route.startswith("/ws/"):
            return None
        return f"no websocket endpoint at {route}"

    def on_open(self, session: Session) -> None:
        route, _, query = session.path.partition("?")
        account = self.listen_keys.get(route[4:]) if route.startswith("/ws/") else None
        if account is not None:  # a user data stream
            self.server.watch_orders(session, account)
            return
        combined = route == "/stream"
        session.state["combined"] = combined
        names = parse_qs(query).get("streams", [""])[0].split("/") if combined else route[4:].split("/")
        for name in names:
            if name:
                self._subscribe(session, name)

    def is_ping(self, message: str | bytes) -> bool:
        msg = read_json(message)
        # arb's feed pings with SET_PROPERTY ["combined", true] (answered with null); other
        # clients use GET_PROPERTY. Both are property calls that keep a connection alive.
        return isinstance(msg, dict) and msg.get("method") in ("GET_PROPERTY", "SET_PROPERTY")

    def on_message(self, session: Session, message: str | bytes) -> None:
        msg = read_json(message)
        if not isinstance(msg, dict):
            self._error(session, 3, "Invalid JSON: expected an object", None)
            return
        method, params, req_id = msg.get("method"), msg.get("params", []), msg.get("id")
        if not isinstance(req_id, int) or isinstance(req_id, bool) or req_id < 0:
            self._error(session, 2, "Invalid request: request ID must be an unsigned integer", None)
            return
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                self._error(session, 2, "Invalid request: params must be a list of stream names", req_id)
                return
            for name in params:
                if method == "SUBSCRIBE":
                    self._subscribe(session, name)
                else:
                    self._unsubscribe(session, name)
            self._reply(session, None, req_id)
        elif method == "LIST_SUBSCRIPTIONS":
            self._reply(session, sorted(session.state.get("names", ())), req_id)
        elif method == "GET_PROPERTY":
            self._reply(session, bool(session.state.get("combined")), req_id)
        elif method == "SET_PROPERTY":
            if params and params[0] == "combined" and len(params) == 2 and isinstance(params[1], bool):
                session.state["combined"] = params[1]
                self._reply(session, None, req_id)
            else:
                self._error(session, 2, "Invalid request: unknown property", req_id)
        else:
            self._error(session, 2, f"Invalid request: unknown method {str(method)[:40]}", req_id)

    def _stream_for(self, session: Session, name: str) -> Stream | None:
        native, _, kind = name.partition("@")
        symbol = self.server.unified(native.upper()) if native == native.lower() else None
        if symbol is None:
            return None
        raw = not session.state.get("combined")
        if kind in _DEPTH_STREAMS:
            return self.server.stream(symbol, BOOK, (kind, raw))
        if kind == "bookTicker":
            return self.server.stream(symbol, TICKER, (kind, raw))
        return None  # trades, klines …: listed, never sent

    def _subscribe(self, session: Session, name: str) -> None:
        session.state.setdefault("names", set()).add(name)
        stream = self._stream_for(session, name)
        if stream is not None:
            self.server.subscribe(session, stream)

    def _unsubscribe(self, session: Session, name: str) -> None:
        session.state.setdefault("names", set()).discard(name)
        stream = self._stream_for(session, name)
        if stream is not None:
            self.server.unsubscribe(session, stream)

    def _reply(self, session: Session, result: Any, req_id: int) -> None:
        self.send(session, [_json.encode({"result": result, "id": req_id}).decode()])

    def _error(self, session: Session, code: int, msg: str, req_id: int | None) -> None:
        self.send(session, [_json.encode({"code": code, "msg": msg, "id": req_id}).decode()])

    # -- streams --------------------------------------------------------------------------
    def encoder(self, kind: str, param: Any) -> Encoder:
        return Encoder(self.server.symbol_map)

    def delta(self, stream: Stream, change: BookChange, first: int, last: int, ts_ns: int) -> Sequence[Frame | Out]:
        frames = stream.encoder.delta(stream.symbol, change.bids, change.asks, first, last, ts_ns, change.book)
        name, raw = stream.param
        if name != "depth@100ms" or raw:
            frames = [_restyle(f, "depth@100ms", name, raw) for f in frames]
        return frames

    def ticker(self, stream: Stream, book: OrderBook, seq: int, ts_ns: int) -> Sequence[Frame | Out]:
        top = (book.best_bid(), book.best_ask())
        if top == stream.state:
            return ()
        stream.state = top
        frame = stream.encoder.book_ticker(stream.symbol, top[0], top[1], seq)
        return [_restyle(frame, "bookTicker", "bookTicker", True)] if stream.param[1] else [frame]

    # -- REST -----------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [Route("GET", "/api/v3/depth", self._depth), *self.public_routes()]

    async def _depth(self, request: web.Request) -> web.StreamResponse:
        query = self.book_query(request, "symbol", "limit", 100, _MAX_LIMIT)
        if isinstance(query, str):
            code = -1121 if query.startswith("unknown symbol") else -1100
            return json_response(self.rest_error(code, query), 400)
        symbol, limit = query
        bids, asks, seq, _ = self.snapshot_args(symbol, limit)
        _, body = self.encoder(BOOK, None).rest_snapshot(self.server.rest_url, symbol, bids, asks, seq, 0)
        return json_response(body)

    def rest_error(self, status: int, message: str) -> str:
        code = -1003 if status == 429 else status
        return _json.encode({"code": code, "msg": message}).decode()
