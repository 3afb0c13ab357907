"""KuCoin (classic websocket API), server side: bullet tokens, welcome, level2 + ticker topics.

- ``POST /api/v1/bullet-public`` → a token and this server's endpoint
  (``instanceServers[0]``: ``pingInterval`` 18000, ``pingTimeout`` 10000 ms). Connections
  without a token it issued are refused (HTTP 401) unless ``require_auth`` is off.
- On connect ``{"id":"<connectId>","type":"welcome"}``.
- ``{"id":"1","type":"subscribe","topic":"/market/level2:BTC-USDT,ETH-USDT","response":true}``
  → ``{"id":"1","type":"ack"}``; ``trade.l2update`` messages follow, each change with its
  own sequence. ``/market/ticker:…`` → ``trade.ticker`` at the book's sequence whenever
  the top changes. ``unsubscribe`` likewise. Unknown topics:
  ``{"id":"1","type":"error","code":404,"data":"topic … is not found"}``.
- ``{"id":"n","type":"ping"}`` → ``{"id":"n","type":"pong"}``.
- Private: ``POST /api/v1/bullet-private`` (signed as every private request; a bad signature
  gets the venue's 401 and code) → a token of the key's account and this server's endpoint. A
  connection with it may subscribe ``/spotMarket/tradeOrdersV2`` (or ``/spotMarket/tradeOrders``)
  with ``"privateChannel": true`` → ``ack``, then every change of the account's orders is a
  ``message`` (subject ``orderChange``): ``received`` on acceptance, ``match`` per execution
  (``matchPrice``, ``matchSize``, ``filledSize`` cumulative), ``filled`` when done filled,
  ``canceled`` when cancelled or an IOC's rest expires — no fees, as on the venue. A public
  token subscribing it gets an error frame (401). Pushes are written in the V2 form whichever
  of the two topics was named; they end with the connection (no unsubscribe here).
- REST books: ``GET /api/v3/market/orderbook/level2`` (full; needs an API key — a request
  without ``KC-API-KEY`` gets 401 unless ``require_auth`` is off) and the public
  ``/api/v1/market/orderbook/level2_20`` / ``level2_100``, all with ``data.sequence``.
- Listings and the private API: :class:`KucoinPrivate`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

import msgspec
from aiohttp import web

from arb.book.book import OrderBook
from arb.core.numbers import ONE, from_decimal, parse_fixed, to_plain
from arb.sim.exchange import Account, Rejected, SimOrder, SimTrade
from arb.sim.server.frames import Out
from arb.sim.server.protocol import BOOK, TICKER, Limits, Route, VenueProtocol, json_response, read_json, synthetic_volume
from arb.sim.server.session import Session
from arb.sim.server.venue import Stream
from arb.venues.kucoin import Encoder
from arb.venues.kucoin import market_data as kucoin
from arb.venues.kucoin import signing
from arb.venues.kucoin.trading import BULLET_PRIVATE_PATH, ORDERS_TOPIC
from arb.venues.trading import OrderStatus, RejectReason
from arb.venues.wire import Frame

_json = msgspec.json.Encoder()
_TOPICS = {"/market/level2": BOOK, "/market/ticker": TICKER}
_PING_INTERVAL_MS = 18000
_PING_TIMEOUT_MS = 10000
_CLIENT_OID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_ORDER_TOPICS = (ORDERS_TOPIC, "/spotMarket/tradeOrders")


# -- listings and the private API ---------------------------------------------------------------
#: Auth failures: ``(code, msg)`` as the venue words them (HTTP 401).
_AUTH_HEADERS = ("400001", "Please check the header of your request for KC-API-KEY, KC-API-SIGN, KC-API-TIMESTAMP, KC-API-PASSPHRASE")
_AUTH_KEY = ("400003", "KC-API-KEY not exists")
_AUTH_TIMESTAMP = ("400002", "KC-API-TIMESTAMP Invalid -- Time differs from server time by more than 5 seconds")
_AUTH_PASSPHRASE = ("400004", "KC-API-PASSPHRASE error")
_AUTH_SIGN = ("400005", "Signature error -- Please check your signature")
#: Order refusals ``(code, msg)`` (answered with HTTP 200, the code saying it).
_REFUSALS = {
    RejectReason.BALANCE: ("200004", "Balance insufficient!"),
    RejectReason.LOT: ("400100", "Order size increment invalid."),
    RejectReason.PRICE: ("400100", "Price increment invalid."),
    RejectReason.MIN_NOTIONAL: ("400100", "Order funds below the minimum requirement."),
    RejectReason.DUPLICATE: ("126044", "clientOid duplicate"),
    RejectReason.NOT_FOUND: ("400100", "order not exist."),
    RejectReason.OTHER: ("400200", "Forbidden to place an order"),
}
_CANCEL_GONE = ("400100", "order_not_exist_or_not_allow_to_cancel")
#: How far a request's KC-API-TIMESTAMP may be from the venue's clock (ms).
TIMESTAMP_WINDOW_MS = 5000


def order_key(order: SimOrder) -> str:
    """The venue's 24-hex order id of a simulated order (its number in the last 12 digits)."""
    return f"{order.created_ms // 1000 % 2**32:08x}0007{order.order_id:012x}"


def _order_number(text: str) -> int | None:
    if len(text) != 24:
        return None
    try:
        return int(text[12:], 16)
    except ValueError:
        return None


class KucoinPrivate(VenueProtocol):
    """KuCoin's spot listings and private REST API (high-frequency orders), on an
    :class:`~arb.sim.exchange.Exchange`.

    - Signed requests (API key v1–v3): ``KC-API-KEY``, ``KC-API-TIMESTAMP`` (within 5 s of
      the server's clock), ``KC-API-SIGN`` (HMAC-SHA256 over timestamp + method + raw path and
      query + body, base64), ``KC-API-PASSPHRASE`` (HMAC-signed for key versions 2 and 3, plain
      for 1). A failure is HTTP 401 with the venue's code: 400001 (headers missing), 400002
      (timestamp), 400003 (unknown key), 400004 (passphrase), 400005 (signature).
    - Orders are limit orders (``IOC``, ``GTC``) on ``/api/v1/hf/orders``: never an unprotected
      market order. A refusal is HTTP 200 with its code (``200004`` balance, ``400100`` with a
      message for lot, price and minimum funds, ``126044`` duplicate ``clientOid``). Fees are
      charged in the quote currency.
    - One spot trading account per key, listed as ``type: trade`` (and as ``trade_hf``, the
      name a client that sees high-frequency trading opened asks for).
    - ``private_budget``: the Spot resource pool, 4000 weight per 30 s (VIP 0).
    """

    name: str
    fee_asset = "quote"
    private_budget = (4000, 30.0)

    def public_routes(self) -> list[Route]:
        return [
            Route("GET", "/api/v2/symbols", self._symbols),
            Route("GET", "/api/v2/symbols/{symbol}", self._symbol),
            Route("GET", "/api/v1/market/allTickers", self._tickers),
            Route("GET", "/api/v3/currencies", self._currencies),
            Route("GET", "/api/v1/timestamp", self._timestamp),
            # Spot only: the futures contracts a generic client asks for are none here.
            Route("GET", "/api/v1/contracts/active", self._empty_list),
        ]

    def private_routes(self) -> list[Route]:
        r = self.private_route
        hf = "/api/v1/hf/orders"
        return [
            r("GET", "/api/v1/accounts", 5, self._accounts),
            r("GET", "/api/v1/base-fee", 3, self._base_fee),
            r("GET", "/api/v1/trade-fees", 3, self._trade_fees),
            r("GET", "/api/v1/hf/accounts/opened", 3, self._hf_opened),
            r("GET", "/api/ua/v1/account/mode", 3, self._account_mode),
            r("GET", "/api/v3/margin/symbols", 3, self._margin_symbols),
            r("GET", "/api/v1/isolated/symbols", 3, self._isolated_symbols),
            r("POST", hf, 1, self._place, order=True),
            r("GET", f"{hf}/active", 2, self._active),
            r("GET", f"{hf}/done", 2, self._done),
            r("GET", f"{hf}/client-order/{{clientOid}}", 2, self._order),
            r("DELETE", f"{hf}/client-order/{{clientOid}}", 1, self._cancel),
            r("GET", f"{hf}/{{orderId}}", 2, self._order),
            r("DELETE", f"{hf}/{{orderId}}", 1, self._cancel),
            r("GET", "/api/v1/hf/fills", 2, self._fills),
        ]

    # -- public ------------------------------------------------------------------------------
    def _now_ms(self) -> int:
        return self.server.clock() // 1_000_000

    def _ok(self, data: object) -> web.StreamResponse:
        return json_response(_json.encode({"code": "200000", "data": data}).decode())

    def _code(self, status: int, code: str, msg: str) -> web.StreamResponse:
        return json_response(_json.encode({"code": code, "msg": msg}).decode(), status)

    def _symbol_json(self, symbol: str) -> dict[str, object] | None:
        inst = self.server.instruments.get(self.name, symbol)
        if inst is None:
            return None
        base, quote = inst.venue_symbol.split("-", 1)
        exchange = self.server.exchange
        trading = exchange is None or symbol not in exchange.halted
        return {
            "symbol": inst.venue_symbol, "name": inst.venue_symbol, "baseCurrency": base, "quoteCurrency": quote,
            "feeCurrency": quote, "market": "USDS", "baseMinSize": to_plain(inst.min_qty or inst.lot_size),
            "quoteMinSize": to_plain(inst.min_notional), "baseMaxSize": "10000000000", "quoteMaxSize": "99999999",
            "baseIncrement": to_plain(inst.lot_size), "quoteIncrement": to_plain(inst.tick_size),
            "priceIncrement": to_plain(inst.tick_size), "priceLimitRate": "0.1", "minFunds": to_plain(inst.min_notional),
            "isMarginEnabled": False, "enableTrading": trading, "feeCategory": 1, "makerFeeCoefficient": "1.00",
            "takerFeeCoefficient": "1.00", "st": False, "callauctionIsEnabled": False, "callauctionPriceFloor": None,
            "callauctionPriceCeiling": None, "callauctionFirstStageStartTime": None, "callauctionSecondStageStartTime": None,
            "callauctionThirdStageStartTime": None, "tradingStartTime": None,
        }

    async def _symbols(self, request: web.Request) -> web.StreamResponse:
        return self._ok([s for s in (self._symbol_json(x) for x in self.server.symbols) if s is not None])

    async def _symbol(self, request: web.Request) -> web.StreamResponse:
        symbol = self.server.unified(request.match_info["symbol"])
        data = self._symbol_json(symbol) if symbol is not None else None
        return self._ok(data) if data is not None else self._code(200, "400100", "Unsupported trading pair.")

    async def _tickers(self, request: web.Request) -> web.StreamResponse:
        exchange = self.server.exchange
        maker = to_plain(exchange.maker_fee) if exchange else "0.001"
        taker = to_plain(exchange.taker_fee) if exchange else "0.001"
        out = []
        for symbol in self.server.symbols:
            book = self.server.book(symbol)
            bid, ask = book.best_bid(), book.best_ask()
            if bid is None or ask is None:
                continue
            mid = (parse_fixed(bid[0]) + parse_fixed(ask[0])) // 2
            volume = synthetic_volume(symbol, mid)
            out.append({
                "symbol": self.server.native(symbol), "symbolName": self.server.native(symbol), "buy": bid[0],
                "bestBidSize": bid[1], "sell": ask[0], "bestAskSize": ask[1], "changeRate": "0", "changePrice": "0",
                "high": to_plain(mid), "low": to_plain(mid), "vol": to_plain(volume), "volValue": to_plain(volume * mid // ONE),
                "last": to_plain(mid), "averagePrice": to_plain(mid), "takerFeeRate": taker, "makerFeeRate": maker,
                "takerCoefficient": "1", "makerCoefficient": "1",
            })
        return self._ok({"time": self._now_ms(), "ticker": out})

    async def _currencies(self, request: web.Request) -> web.StreamResponse:
        assets = sorted({a for s in self.server.symbols for a in self.server.native(s).split("-", 1)})
        return self._ok([{
            "currency": a, "name": a, "fullName": a, "precision": 8, "confirms": None, "contractAddress": None,
            "isMarginEnabled": False, "isDebitEnabled": False,
            "chains": [{"chainName": a, "withdrawalMinSize": "0", "depositMinSize": "0", "withdrawFeeRate": "0",
                        "withdrawalMinFee": "0", "isWithdrawEnabled": True, "isDepositEnabled": True, "confirms": 1,
                        "preConfirms": 1, "contractAddress": "", "withdrawPrecision": 8, "maxWithdraw": None,
                        "maxDeposit": None, "needTag": False, "chainId": a.lower()}],
        } for a in assets])

    async def _timestamp(self, request: web.Request) -> web.StreamResponse:
        return self._ok(self._now_ms())

    async def _empty_list(self, request: web.Request) -> web.StreamResponse:
        return self._ok([])

    # -- auth --------------------------------------------------------------------------------
    async def authenticate(self, request: web.Request, body: str) -> Account | web.StreamResponse:
        headers = request.headers
        key, signature = headers.get("KC-API-KEY", ""), headers.get("KC-API-SIGN", "")
        timestamp, passphrase = headers.get("KC-API-TIMESTAMP", ""), headers.get("KC-API-PASSPHRASE", "")
        if not (key and signature and timestamp and passphrase):
            return self._code(401, *_AUTH_HEADERS)
        exchange = self.server.exchange
        api_key = exchange.keys.get(key) if exchange is not None else None
        if exchange is None or api_key is None:
            return self._code(401, *_AUTH_KEY)
        try:
            ts = int(timestamp)
        except ValueError:
            return self._code(401, *_AUTH_TIMESTAMP)
        if abs(self._now_ms() - ts) > TIMESTAMP_WINDOW_MS:
            return self._code(401, *_AUTH_TIMESTAMP)
        version = headers.get("KC-API-KEY-VERSION", "1")
        expected = api_key.passphrase if version == "1" else signing.sign_passphrase(api_key.secret, api_key.passphrase)
        if not hmac.compare_digest(expected, passphrase):
            return self._code(401, *_AUTH_PASSPHRASE)
        if not hmac.compare_digest(signing.sign(api_key.secret, ts, request.method, request.raw_path, body), signature):
            return self._code(401, *_AUTH_SIGN)
        return exchange.accounts[api_key.account]

    def private_error(self, status: int, reason: RejectReason, message: str) -> web.StreamResponse:
        if reason is RejectReason.AUTH:
            return self._code(401, *_AUTH_SIGN)
        if reason is RejectReason.RATE_LIMIT:
            return self._code(429, "429000", "Too many requests. System-level rate limit exceeded.")
        if reason is RejectReason.UNAVAILABLE:
            return self._code(status if status >= 500 else 503, "500000", "Internal Server Error")
        return self._code(200, *_REFUSALS.get(reason, _REFUSALS[RejectReason.OTHER]))

    # -- accounts and fees ---------------------------------------------------------------------
    async def _accounts(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        kind = request.query.get("type", "")
        if kind not in ("", "trade", "trade_hf"):  # main, margin …: this account keeps nothing there
            return self._ok([])
        currency = request.query.get("currency")
        out = [{
            "id": hashlib.sha256(f"{account.name}:{a}".encode()).hexdigest()[:24], "currency": a, "type": kind or "trade",
            "balance": to_plain(free + locked), "available": to_plain(free), "holds": to_plain(locked),
        } for a, (free, locked) in sorted(account.balances.items()) if currency in (None, a)]
        return self._ok(out)

    async def _base_fee(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        exchange = self.exchange
        return self._ok({"takerFeeRate": to_plain(exchange.taker_fee), "makerFeeRate": to_plain(exchange.maker_fee)})

    async def _trade_fees(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        exchange = self.exchange
        natives = [n for n in request.query.get("symbols", "").split(",") if n]
        return self._ok([{"symbol": n, "takerFeeRate": to_plain(exchange.taker_fee), "makerFeeRate": to_plain(exchange.maker_fee)}
                         for n in natives if self.server.unified(n) is not None])

    async def _hf_opened(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        return self._ok(True)

    async def _account_mode(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        return self._ok({"selfAccountMode": "CLASSIC"})

    async def _margin_symbols(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        return self._ok({"timestamp": self._now_ms(), "items": []})

    async def _isolated_symbols(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        return self._ok([])

    # -- orders ------------------------------------------------------------------------------
    async def _place(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        req = read_json(body)
        if not isinstance(req, dict):
            return self._code(200, "400100", "Parameter error: the body must be a JSON object")
        client_id = req.get("clientOid")
        if not isinstance(client_id, str) or not _CLIENT_OID.fullmatch(client_id):
            return self._code(200, "400100", "clientOid must be 1 to 40 letters, digits, _ or -")
        symbol = self.server.unified(str(req.get("symbol", "")))
        if symbol is None:
            return self._code(200, "400100", "Unsupported trading pair.")
        tif = str(req.get("timeInForce", "GTC"))
        if req.get("type") != "limit" or tif not in ("IOC", "GTC"):  # only limit orders: never an unprotected market order
            return self._code(200, "400100", "Parameter error: type must be limit and timeInForce IOC or GTC")
        try:
            qty, price = from_decimal(str(req["size"])), from_decimal(str(req["price"]))
        except (KeyError, ValueError):
            return self._code(200, "400100", "Parameter error: size and price must be decimals")
        try:
            order = self.exchange.place(account, symbol, str(req.get("side", "")), qty, price, tif.lower(), client_id, self._now_ms())
        except Rejected as exc:
            return self.private_error(200, exc.reason, exc.message)
        return self._ok({"orderId": order_key(order), "clientOid": order.client_id})

    def _order_json(self, order: SimOrder) -> dict[str, object]:
        funds = order.price * order.qty // ONE
        cancelled = order.qty - order.filled if order.status is OrderStatus.CANCELLED else 0
        return {
            "id": order_key(order), "clientOid": order.client_id, "symbol": self.server.native(order.symbol), "opType": "DEAL",
            "type": "limit", "side": order.side, "price": to_plain(order.price), "size": to_plain(order.qty),
            "funds": to_plain(funds), "dealSize": to_plain(order.filled), "dealFunds": to_plain(order.quote),
            "remainSize": to_plain(order.remaining if order.open else 0),
            "remainFunds": to_plain(funds - order.quote if order.open else 0), "cancelledSize": to_plain(cancelled),
            "cancelledFunds": to_plain(order.price * cancelled // ONE), "fee": to_plain(order.fee),
            "feeCurrency": self.server.native(order.symbol).split("-", 1)[1], "stp": None, "timeInForce": order.tif.upper(),
            "postOnly": False, "hidden": False, "iceberg": False, "visibleSize": "0", "cancelAfter": 0, "channel": "API",
            "remark": None, "tags": None, "cancelExist": bool(cancelled), "tradeType": "TRADE", "inOrderBook": order.open,
            "active": order.open, "tax": "0", "createdAt": order.created_ms, "lastUpdatedAt": order.updated_ms,
        }

    def _lookup(self, request: web.Request, account: Account) -> SimOrder | None:
        """The order a path names (``orderId`` or ``clientOid``) in the ``symbol`` the query names."""
        symbol = self.server.unified(request.query.get("symbol", ""))
        match = request.match_info
        order: SimOrder | None
        try:
            if "clientOid" in match:
                order = self.exchange.find(account, client_id=match["clientOid"])
            else:
                number = _order_number(match["orderId"])
                order = self.exchange.find(account, order_id=number) if number is not None else None
        except Rejected:
            return None
        if order is None or order.symbol != symbol or ("orderId" in match and order_key(order) != match["orderId"]):
            return None
        return order

    async def _order(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        if self.server.unified(request.query.get("symbol", "")) is None:
            return self._code(200, "400100", "Parameter error: symbol is required")
        order = self._lookup(request, account)
        if order is None:
            return self.private_error(200, RejectReason.NOT_FOUND, "order not found")
        return self._ok(self._order_json(order))

    async def _cancel(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        if self.server.unified(request.query.get("symbol", "")) is None:
            return self._code(200, "400100", "Parameter error: symbol is required")
        order = self._lookup(request, account)
        if order is None or not order.open:
            return self._code(200, *_CANCEL_GONE)
        self.exchange.cancel(account, order, self._now_ms())
        named = {"clientOid": order.client_id} if "clientOid" in request.match_info else {"orderId": order_key(order)}
        return self._ok(named)

    def _of_symbol(self, request: web.Request, account: Account) -> list[SimOrder] | None:
        symbol = self.server.unified(request.query.get("symbol", ""))
        if symbol is None:
            return None
        return sorted((o for o in account.orders.values() if o.symbol == symbol), key=lambda o: o.order_id, reverse=True)

    async def _active(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        orders = self._of_symbol(request, account)
        if orders is None:
            return self._code(200, "400100", "Parameter error: symbol is required")
        return self._ok([self._order_json(o) for o in orders if o.open])

    async def _done(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        orders = self._of_symbol(request, account)
        if orders is None:
            return self._code(200, "400100", "Parameter error: symbol is required")
        done = [o for o in orders if not o.open]
        return self._ok({"lastId": done[-1].order_id if done else 0, "items": [self._order_json(o) for o in done]})

    async def _fills(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        symbol = self.server.unified(request.query.get("symbol", ""))
        if symbol is None:
            return self._code(200, "400100", "Parameter error: symbol is required")
        wanted = request.query.get("orderId")
        items = []
        for t in reversed(account.trades):
            order = account.orders[t.order_id]
            if t.symbol != symbol or (wanted and order_key(order) != wanted):
                continue
            items.append({
                "id": t.trade_id, "orderId": order_key(order), "counterOrderId": "", "tradeId": t.trade_id,
                "symbol": self.server.native(symbol), "side": t.side, "liquidity": "maker" if t.maker else "taker",
                "type": "limit", "forceTaker": False, "price": to_plain(t.price), "size": to_plain(t.qty),
                "funds": to_plain(t.quote), "fee": to_plain(t.fee), "feeCurrency": self.server.native(symbol).split("-", 1)[1],
                "feeRate": to_plain(self.exchange.maker_fee if t.maker else self.exchange.taker_fee),
                "stop": "", "tradeType": "TRADE", "taxRate": "0", "tax": "0", "createdAt": t.ts_ms,
            })
        return self._ok({"items": items, "lastId": items[-1]["id"] if items else 0})


class KucoinProtocol(KucoinPrivate, VenueProtocol):
    name = "kucoin"
    path = "/"
    default_streams = ((BOOK, None), (TICKER, None))
    limits = Limits(streams=100, messages=(100, 10.0), error='{"id":$id,"type":"error","code":509,"data":"$msg"}')  # NOTES: 100 per session, 100 msgs/10 s

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.tokens: set[str] = set()
        #: Private tokens (``bullet-private``) → the account they were issued for.
        self.private_tokens: dict[str, str] = {}

    def handshake(self, path: str) -> str | None:
        route, _, query = path.partition("?")
        if route != self.path:
            return f"no websocket endpoint at {route}"
        token = parse_qs(query).get("token", [""])[0]
        if self.server.options.require_auth and token not in self.tokens and token not in self.private_tokens:
            return "invalid token: get one from POST /api/v1/bullet-public"
        return None

    def on_open(self, session: Session) -> None:
        connect_id = parse_qs(session.path.partition("?")[2]).get("connectId", [f"conn{session.conn_id}"])[0]
        self.send(session, [_json.encode({"id": connect_id, "type": "welcome"}).decode()])

    def is_ping(self, message: str | bytes) -> bool:
        msg = read_json(message)
        return isinstance(msg, dict) and msg.get("type") == "ping"

    def on_message(self, session: Session, message: str | bytes) -> None:
        msg = read_json(message)
        if not isinstance(msg, dict):
            self._error(session, None, 400, "invalid request: not a JSON object")
            return
        kind, req_id = msg.get("type"), msg.get("id")
        if kind == "ping":
            self.send(session, [_json.encode({"id": req_id, "type": "pong"}).decode()])
            return
        if kind not in ("subscribe", "unsubscribe"):
            self._error(session, req_id, 400, f"invalid request type {str(kind)[:40]}")
            return
        topic = msg.get("topic")
        if topic in _ORDER_TOPICS:
            self._order_topic(session, msg, str(topic))
            return
        prefix, _, natives = topic.partition(":") if isinstance(topic, str) else ("", "", "")
        stream_kind = _TOPICS.get(prefix)
        named = [self.server.unified(n) for n in natives.split(",")] if natives else []
        symbols = [s for s in named if s is not None]
        if stream_kind is None or not symbols or len(symbols) < len(named) or len(symbols) > kucoin.TOPIC_SYMBOLS:
            self._error(session, req_id, 404, f"topic {str(topic)[:80]} is not found")
            return
        for symbol in symbols:
            stream = self.server.stream(symbol, stream_kind)
            if kind == "subscribe":
                self.server.subscribe(session, stream)
            else:
                self.server.unsubscribe(session, stream)
        if msg.get("response", True):
            self.send(session, [_json.encode({"id": req_id, "type": "ack"}).decode()])

    def _error(self, session: Session, req_id: Any, code: int, data: str) -> None:
        self.send(session, [_json.encode({"id": req_id, "type": "error", "code": code, "data": data}).decode()])

    # -- the private order topic ------------------------------------------------------------
    def _order_topic(self, session: Session, msg: dict[str, Any], topic: str) -> None:
        req_id = msg.get("id")
        token = parse_qs(session.path.partition("?")[2]).get("token", [""])[0]
        account = self.private_tokens.get(token)
        if account is None or msg.get("privateChannel") is not True:
            self._error(session, req_id, 401, f"topic {topic} needs a private connection (POST /api/v1/bullet-private)")
            return
        if msg.get("type") != "subscribe":  # arb never unsubscribes: the pushes end with the connection
            self._error(session, req_id, 400, f"unsubscribe of {topic}: not supported here, close the connection")
            return
        self.server.watch_orders(session, account)
        if msg.get("response", True):
            self.send(session, [_json.encode({"id": req_id, "type": "ack"}).decode()])

    def order_update(self, order: SimOrder, trade: SimTrade | None) -> list[str]:
        """The ``orderChange`` messages of one change (see the module docstring)."""
        native = self.server.native(order.symbol)
        base: dict[str, object] = {
            "symbol": native, "orderType": "limit", "side": order.side, "orderId": order_key(order),
            "orderTime": order.created_ms, "size": to_plain(order.qty), "originSize": to_plain(order.qty),
            "filledSize": to_plain(order.filled), "price": to_plain(order.price), "clientOid": order.client_id,
            "remainSize": to_plain(order.remaining if order.open else 0), "remainFunds": "0",
            "ts": self.server.clock(),
        }
        changes: list[dict[str, object]] = []
        if trade is not None:
            changes.append({**base, "type": "match", "status": "match" if not trade.maker else "open",
                            "liquidity": "maker" if trade.maker else "taker", "feeType": "makerFee" if trade.maker else "takerFee",
                            "matchPrice": to_plain(trade.price), "matchSize": to_plain(trade.qty), "tradeId": str(trade.trade_id)})
            if order.status is OrderStatus.FILLED:
                changes.append({**base, "type": "filled", "status": "done"})
        elif order.status is OrderStatus.CANCELLED:
            changes.append({**base, "type": "canceled", "status": "done", "canceledSize": to_plain(order.qty - order.filled)})
        elif order.status is OrderStatus.NEW:
            changes.append({**base, "type": "received", "status": "new"})
        topic = ORDERS_TOPIC
        return [_json.encode({"type": "message", "topic": topic, "subject": "orderChange", "channelType": "private",
                              "userId": order.account, "data": change}).decode() for change in changes]

    # -- streams --------------------------------------------------------------------------
    def encoder(self, kind: str, param: Any) -> Encoder:
        return Encoder(self.server.symbol_map)

    def ticker(self, stream: Stream, book: OrderBook, seq: int, ts_ns: int) -> Sequence[Frame | Out]:
        top = (book.best_bid(), book.best_ask())
        if top == stream.state or top[0] is None or top[1] is None:
            return ()
        stream.state = top
        return [stream.encoder.ticker(stream.symbol, seq, top[0][:2], top[1][:2], ts_ns)]

    # -- REST -----------------------------------------------------------------------------
    def control_routes(self) -> list[Route]:
        return [Route("POST", kucoin.BULLET_PATH, self._bullet)]

    def private_routes(self) -> list[Route]:
        return [*super().private_routes(), self.private_route("POST", BULLET_PRIVATE_PATH, 10, self._bullet_private)]

    async def _bullet_private(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        n = len(self.private_tokens) + 1
        token = f"simprivate{n:06d}" + hashlib.sha256(f"{self.server.name}:{account.name}:{n}".encode()).hexdigest()[:16]
        self.private_tokens[token] = account.name
        server = {
            "endpoint": self.server.ws_url, "encrypt": False, "protocol": "websocket",
            "pingInterval": _PING_INTERVAL_MS, "pingTimeout": _PING_TIMEOUT_MS,
        }
        return self._ok({"token": token, "instanceServers": [server]})

    async def _bullet(self, request: web.Request) -> web.StreamResponse:
        token = f"sim{len(self.tokens) + 1:06d}{self.server.name}"
        self.tokens.add(token)
        server = {
            "endpoint": self.server.ws_url, "encrypt": False, "protocol": "websocket",
            "pingInterval": _PING_INTERVAL_MS, "pingTimeout": _PING_TIMEOUT_MS,
        }
        return json_response(_json.encode({"code": "200000", "data": {"token": token, "instanceServers": [server]}}).decode())

    def routes(self) -> list[Route]:
        return [
            Route("GET", kucoin.SNAPSHOT_PATH, self._full_book),
            Route("GET", kucoin.PARTIAL_100_PATH, self._partial(100)),
            Route("GET", kucoin.PARTIAL_20_PATH, self._partial(20)),
            *self.public_routes(),
        ]

    async def _full_book(self, request: web.Request) -> web.StreamResponse:
        if self.server.options.require_auth and "KC-API-KEY" not in request.headers:
            return json_response(_json.encode({"code": "400003", "msg": "KC-API-KEY not exists"}).decode(), 401)
        return self._book(request, None)

    def _partial(self, depth: int) -> Any:
        async def partial(request: web.Request) -> web.StreamResponse:
            return self._book(request, depth)

        return partial

    def _book(self, request: web.Request, depth: int | None) -> web.StreamResponse:
        query = self.book_query(request, "symbol")
        if isinstance(query, str):
            return json_response(_json.encode({"code": "400100", "msg": query}).decode(), 400)
        symbol, _ = query
        bids, asks, seq, _ = self.snapshot_args(symbol, depth)
        bids, asks = [lv[:2] for lv in bids], [lv[:2] for lv in asks]
        _, body = self.encoder(BOOK, None).rest_snapshot(self.server.rest_url, symbol, bids, asks, seq, self.server.clock())
        return json_response(body)

    def rest_error(self, status: int, message: str) -> str:
        code = "429000" if status == 429 else f"{status}000"
        return _json.encode({"code": code, "msg": message}).decode()
