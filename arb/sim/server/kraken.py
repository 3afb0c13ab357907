"""Kraken websocket v2, server side: ``book`` subscriptions, in-stream snapshots, heartbeats.

- ``/v2``; on connect a ``status`` message (``system":"online"``).
- ``{"method":"subscribe","params":{"channel":"book","symbol":[…],"depth":100,"snapshot":true}}``
  → per symbol an ack carrying the depth, then the snapshot (CRC32 checksum), then updates
  (checksummed; levels entering the subscribed depth republished after deletes).
  ``unsubscribe`` → per-symbol ack; streaming stops. A subscribe for a book already
  streaming is answered like a fresh one (ack + snapshot).
- Errors: ``{"error":"…","method":"subscribe","success":false,"symbol":…,"time_in":…,"time_out":…}``.
- ``{"method":"ping","req_id":n}`` → ``{"method":"pong","req_id":n,"time_in":…,"time_out":…}``.
- ``{"channel":"heartbeat"}`` every second a subscribed connection has been otherwise quiet.
- REST (:class:`KrakenPrivate`): ``/0/public/AssetPairs``, ``Assets``, ``Ticker``, ``Depth``
  and the signed ``/0/private/*`` API, ``GetWebSocketsToken`` included (a token to use within
  15 minutes; once a connection used it, it stays valid).
- Private channel ``executions`` (Kraken serves it on ``ws-auth.kraken.com``; here on the same
  ``/v2``): ``{"method":"subscribe","params":{"channel":"executions","token":…,
  "snap_orders":true}}`` → the ack, a ``snapshot`` of the account's open orders, then an
  ``update`` for every change of its orders: ``new``; per execution a ``trade`` event (its own
  ``last_qty``, ``cost``, ``fees`` in the quote asset, the order's ``cum_qty``/``cum_cost``),
  and a separate ``filled`` event once it completes; ``canceled`` (by the user, reason
  "User requested") or ``expired`` (an IOC's rest). Numbers are JSON numbers, as Kraken writes
  them. An unknown or expired token: ``{"error":"ESession:Invalid session","method":
  "subscribe","success":false,…}``. (Simplification: no ``sequence`` numbers.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

import msgspec
from aiohttp import web

from arb.core.numbers import ONE, from_decimal, parse_fixed, to_decimal, to_plain
from arb.core.symbols import split
from arb.sim.exchange import Account, Rejected, SimOrder, SimTrade
from arb.sim.server.frames import Out
from arb.sim.server.protocol import BOOK, Route, VenueProtocol, json_response, read_json, synthetic_volume
from arb.sim.server.session import Session
from arb.venues.kraken import Encoder
from arb.venues.kraken import market_data as kraken
from arb.venues.kraken.assets import LEGACY, altname, asset_id
from arb.venues.kraken.signing import sign
from arb.venues.trading import OrderStatus, RejectReason
from arb.venues.wire import Frame

_json = msgspec.json.Encoder()
_HEARTBEAT = '{"channel":"heartbeat"}'
#: Channels a client may subscribe to that carry nothing here (acked, never sent).
_QUIET_CHANNELS = frozenset({"heartbeat", "status"})


def _rfc3339(ts_ns: int) -> str:
    """``2023-10-06T17:35:55.440295Z`` (Kraken's microsecond UTC times)."""
    secs, ns = divmod(ts_ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{ns // 1000:06d}Z"


# -- instruments, tickers and the private API ---------------------------------------------------
_DIGITS36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: How Kraken words a refusal, by reason (its answers are HTTP 200 with an ``error`` list).
_REFUSALS: dict[RejectReason, str] = {
    RejectReason.AUTH: "EAPI:Invalid key", RejectReason.RATE_LIMIT: "EAPI:Rate limit exceeded",
    RejectReason.UNAVAILABLE: "EService:Unavailable", RejectReason.NOT_FOUND: "EOrder:Unknown order",
    RejectReason.BALANCE: "EOrder:Insufficient funds", RejectReason.PRICE: "EOrder:Tick size check failed",
    RejectReason.MIN_NOTIONAL: "EOrder:Cost minimum not met", RejectReason.DUPLICATE: "EOrder:Duplicate order",
    RejectReason.UNKNOWN_STATE: "EGeneral:Internal error",
}
_STATUS_TEXT = {
    OrderStatus.NEW: "open", OrderStatus.PARTIALLY_FILLED: "open", OrderStatus.FILLED: "closed",
    OrderStatus.CANCELLED: "canceled", OrderStatus.REJECTED: "canceled",
}
_TIF = {"GTC": "gtc", "IOC": "ioc"}
#: A websockets token must be used within this long of being issued (then it lasts while used).
_TOKEN_UNUSED_MS = 900_000
_WS_ORDER_STATUS = {
    OrderStatus.NEW: "new", OrderStatus.PARTIALLY_FILLED: "partially_filled", OrderStatus.FILLED: "filled",
    OrderStatus.CANCELLED: "canceled", OrderStatus.REJECTED: "canceled",
}
_HEX = frozenset("0123456789abcdefABCDEF")


def _txid(prefix: str, n: int) -> str:
    """A Kraken-shaped id (``OUF4EM-FRGI2-MQMWZD``) that encodes ``n`` (base 36)."""
    digits = ""
    while n:
        n, d = divmod(n, 36)
        digits = _DIGITS36[d] + digits
    digits = digits.rjust(16, "0")
    return f"{prefix}{digits[:5]}-{digits[5:10]}-{digits[10:]}"


def _untxid(prefix: str, txid: str) -> int | None:
    text = txid.strip()
    if len(text) != 19 or not text.startswith(prefix) or text[6] != "-" or text[12] != "-":
        return None
    try:
        return int(text[1:].replace("-", ""), 36)
    except ValueError:
        return None


def _valid_cl_ord_id(text: str) -> bool:
    """A UUID (with or without hyphens) or free ASCII text of at most 18 characters."""
    bare = text.replace("-", "")
    if len(bare) == 32 and set(bare) <= _HEX and (len(text) == 32 or [len(p) for p in text.split("-")] == [8, 4, 4, 4, 12]):
        return True
    return 0 < len(text) <= 18 and text.isascii() and text.isprintable()


def _places(value: int, places: int) -> str:
    """A fixed int with exactly ``places`` decimals (truncated: Kraken prints to the pair's precision)."""
    whole, frac = divmod(value, ONE)
    return f"{whole}.{frac // 10 ** (18 - places):0{places}d}" if places else str(whole)


def _percent(rate: int) -> str:
    return _places(rate * 100, 4)


class KrakenCounter:
    """Kraken's REST call counter: each call adds its cost, the counter decays at
    ``decay_per_s``; a call that would take it over ``maximum`` is refused."""

    __slots__ = ("maximum", "decay_per_s", "level", "updated")

    def __init__(self, maximum: int, decay_per_s: float) -> None:
        self.maximum = maximum
        self.decay_per_s = decay_per_s
        self.level = 0.0
        self.updated = 0.0

    def spend(self, weight: int, now_s: float) -> float:
        """Spend ``weight`` now; 0 when allowed, else seconds until it would fit."""
        self.level = max(0.0, self.level - (now_s - self.updated) * self.decay_per_s)
        self.updated = now_s
        if self.level + weight > self.maximum:
            return (self.level + weight - self.maximum) / self.decay_per_s
        self.level += weight
        return 0.0


class KrakenPrivate(VenueProtocol):
    """Kraken's asset pairs, assets, tickers, depth and private REST API (``/0/private/*``),
    on an :class:`~arb.sim.exchange.Exchange`. Every private call is a ``POST`` (form or
    JSON) carrying ``nonce``, signed ``API-Sign`` = base64 HMAC-SHA512(b64decode(secret),
    path + SHA256(nonce + body)). A nonce must exceed the key's highest one, less its nonce
    window (:attr:`nonce_window`), and never repeat. Answers are HTTP 200 with an ``error``
    list; the call counter is Kraken's (:class:`KrakenCounter`, Intermediate tier). Fees are
    taken in the quote asset; ``cl_ord_id`` is unique among open orders only."""

    fee_asset = "quote"
    client_id_scope = "open"
    #: Kraken's REST counter: (maximum, decay per second) — the Intermediate tier.
    counter = (20, 0.5)
    #: How far below the highest nonce seen a nonce is still taken, once (the API key's
    #: "nonce window" setting; arb's nonce is the send time in ms, and its requests run
    #: concurrently, so they may arrive out of order).
    nonce_window = 5_000

    def public_routes(self) -> list[Route]:
        return [
            Route("GET", "/0/public/AssetPairs", self._asset_pairs),
            Route("GET", "/0/public/Assets", self._assets),
            Route("GET", "/0/public/Ticker", self._tickers),
            Route("GET", "/0/public/Depth", self._depth),
            Route("GET", "/0/public/Time", self._time),
            Route("GET", "/0/public/SystemStatus", self._system_status),
        ]

    def private_routes(self) -> list[Route]:
        r = self.private_route
        return [
            r("POST", "/0/private/Balance", 1, self._balance),
            r("POST", "/0/private/BalanceEx", 1, self._balance_ex),
            r("POST", "/0/private/TradeVolume", 1, self._trade_volume),
            # Placing and cancelling count against the matching engine's limits, not the counter.
            r("POST", "/0/private/AddOrder", 0, self._add_order, order=True),
            r("POST", "/0/private/CancelOrder", 0, self._cancel),
            r("POST", "/0/private/QueryOrders", 1, self._query_orders),
            r("POST", "/0/private/OpenOrders", 1, self._open_orders),
            r("POST", "/0/private/ClosedOrders", 1, self._closed_orders),
            r("POST", "/0/private/GetWebSocketsToken", 1, self._ws_token),
        ]

    # -- names ---------------------------------------------------------------------------------
    def _names(self) -> dict[str, tuple[str, str, str]]:
        """Unified symbol → (pair id, altname, wsname), Kraken's way: ids of two prefixed
        assets concatenate (``XXBTZUSD``), any other pair's id is its altname (``XBTUSDT``)."""
        names = self.__dict__.get("_pair_names")
        if names is None:
            names = {}
            for symbol in self.server.symbols:
                base, quote = split(symbol)
                ids, alts = (asset_id(base), asset_id(quote)), (altname(base), altname(quote))
                alt = alts[0] + alts[1]
                key = ids[0] + ids[1] if all(i in LEGACY for i in ids) else alt
                names[symbol] = (key, alt, f"{alts[0]}/{alts[1]}")
            self.__dict__["_pair_names"] = names
            self.__dict__["_pair_lookup"] = {n: s for s, ns in names.items() for n in ns} | {
                self.server.native(s): s for s in self.server.symbols}
        return names

    def _pair(self, name: str) -> str | None:
        """The listed symbol a pair name (id, altname, wsname or websocket v2 name) names."""
        self._names()
        return self.__dict__["_pair_lookup"].get(name.strip())

    def _now_ms(self) -> int:
        return self.server.clock() // 1_000_000

    def _ok(self, result: object) -> web.StreamResponse:
        return json_response(_json.encode({"error": [], "result": result}).decode())

    def _fail(self, *errors: str) -> web.StreamResponse:
        return json_response(_json.encode({"error": list(errors)}).decode())

    # -- public --------------------------------------------------------------------------------
    async def _time(self, request: web.Request) -> web.StreamResponse:
        now = self.server.clock() // 1_000_000_000
        return self._ok({"unixtime": now, "rfc1123": time.strftime("%a, %d %b %y %H:%M:%S +0000", time.gmtime(now))})

    async def _system_status(self, request: web.Request) -> web.StreamResponse:
        return self._ok({"status": "online", "timestamp": _rfc3339(self.server.clock()).split(".")[0] + "Z"})

    def _wanted(self, request: web.Request) -> list[str] | web.StreamResponse:
        """The symbols a ``pair=`` list names (all listed ones without it), or the refusal."""
        names = [n for n in request.query.get("pair", "").split(",") if n.strip()]
        if not names:
            return list(self._names())
        pairs = [self._pair(n) for n in names]
        symbols = [s for s in pairs if s is not None]
        if len(symbols) < len(pairs):
            return self._fail("EQuery:Unknown asset pair")
        return symbols

    async def _asset_pairs(self, request: web.Request) -> web.StreamResponse:
        wanted = self._wanted(request)
        if isinstance(wanted, web.StreamResponse):
            return wanted
        exchange, names = self.server.exchange, self._names()
        taker = float(to_decimal(exchange.taker_fee * 100)) if exchange else 0.0
        maker = float(to_decimal(exchange.maker_fee * 100)) if exchange else 0.0
        result = {}
        for symbol in wanted:
            inst = self.server.instruments.get(self.name, symbol)
            if inst is None:
                continue
            base, quote = split(symbol)
            key, alt, wsname = names[symbol]
            result[key] = {
                "altname": alt, "wsname": wsname, "aclass_base": "currency", "base": asset_id(base), "aclass_quote": "currency",
                "quote": asset_id(quote), "lot": "unit", "cost_decimals": inst.price_precision + inst.qty_precision,
                "pair_decimals": inst.price_precision, "lot_decimals": inst.qty_precision, "lot_multiplier": 1,
                "leverage_buy": [], "leverage_sell": [], "fees": [[0, taker]], "fees_maker": [[0, maker]],
                "fee_volume_currency": "ZUSD", "margin_call": 80, "margin_stop": 40,
                "ordermin": to_plain(inst.min_qty or inst.lot_size), "costmin": to_plain(inst.min_notional),
                "tick_size": to_plain(inst.tick_size),
                "status": "cancel_only" if exchange is not None and symbol in exchange.halted else "online",
            }
        return self._ok(result)

    async def _assets(self, request: web.Request) -> web.StreamResponse:
        codes = sorted({a for s in self.server.symbols for a in split(s)})
        return self._ok({asset_id(c): {"aclass": "currency", "altname": altname(c), "decimals": 4 if asset_id(c).startswith("Z") else 8,
                                       "display_decimals": 2 if asset_id(c).startswith("Z") else 5, "status": "enabled"}
                         for c in codes})

    async def _tickers(self, request: web.Request) -> web.StreamResponse:
        wanted = self._wanted(request)
        if isinstance(wanted, web.StreamResponse):
            return wanted
        result = {}
        for symbol in wanted:
            book = self.server.book(symbol)
            bid, ask = book.best_bid(), book.best_ask()
            if bid is None or ask is None:
                continue
            mid = (parse_fixed(bid[0]) + parse_fixed(ask[0])) // 2
            price, volume = to_plain(mid), to_plain(synthetic_volume(symbol, mid))
            result[self._names()[symbol][0]] = {
                "a": [ask[0], "1", ask[1]], "b": [bid[0], "1", bid[1]], "c": [price, "0"], "v": [volume, volume],
                "p": [price, price], "t": [0, 0], "l": [price, price], "h": [price, price], "o": price,
            }
        return self._ok(result)

    async def _depth(self, request: web.Request) -> web.StreamResponse:
        symbol = self._pair(request.query.get("pair", ""))
        if symbol is None:
            return self._fail("EQuery:Unknown asset pair")
        try:
            count = int(request.query.get("count", "100"))
        except ValueError:
            return self._fail("EGeneral:Invalid arguments:count")
        count = min(max(count, 1), 500)
        bids, asks, _, _ = self.snapshot_args(symbol, count)
        now_s = self.server.clock() // 1_000_000_000
        return self._ok({self._names()[symbol][0]: {"asks": [[p, q, now_s] for p, q, *_ in asks],
                                                     "bids": [[p, q, now_s] for p, q, *_ in bids]}})

    # -- auth ----------------------------------------------------------------------------------
    def _params(self, body: str) -> dict[str, str] | None:
        """A private call's parameters: form-encoded, or JSON (None when unreadable)."""
        if body.lstrip().startswith("{"):
            data = read_json(body)
            if not isinstance(data, dict):
                return None
            return {k: v if isinstance(v, str) else _json.encode(v).decode() for k, v in data.items()}
        return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}

    async def authenticate(self, request: web.Request, body: str) -> Account | web.StreamResponse:
        exchange = self.server.exchange
        key = request.headers.get("API-Key", "")
        account = exchange.account_of(key) if exchange is not None and key else None
        if exchange is None or account is None:
            return self._fail("EAPI:Invalid key")
        params = self._params(body)
        nonce_text = (params or {}).get("nonce", "").strip('"')
        if not (nonce_text.isdigit() and nonce_text.isascii()):
            return self._fail("EAPI:Invalid nonce")
        signature = request.headers.get("API-Sign", "")
        if not hmac.compare_digest(sign(exchange.keys[key].secret, request.path, nonce_text, body).encode(), signature.encode()):
            return self._fail("EAPI:Invalid signature")
        nonces = self.server.__dict__.setdefault("_kraken_nonces", {}).setdefault(key, [0, set()])
        nonce, window = int(nonce_text), self.nonce_window
        if nonce <= nonces[0] - window or nonce in nonces[1]:
            return self._fail("EAPI:Invalid nonce")
        if nonce > nonces[0]:
            nonces[0] = nonce
            nonces[1] = {n for n in nonces[1] if n > nonce - window}
        nonces[1].add(nonce)
        return account

    def _limiter(self, key: str) -> KrakenCounter:
        limiters = self.server.__dict__.setdefault("_private_limiters", {})
        limiter = limiters.get(key)
        if limiter is None:
            limiter = limiters[key] = KrakenCounter(*self.counter)
        return limiter

    def private_error(self, status: int, reason: RejectReason, message: str) -> web.StreamResponse:
        return self._fail(_REFUSALS.get(reason, "EGeneral:Invalid arguments"))

    def rest_error(self, status: int, message: str) -> str:
        error = "EAPI:Rate limit exceeded" if status == 429 else f"EService:{message[:60]}" if status >= 500 else f"EGeneral:{message[:60]}"
        return _json.encode({"error": [error]}).decode()

    # -- private handlers ----------------------------------------------------------------------
    async def _balance(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        return self._ok({asset_id(a): to_plain(f + lk) for a, (f, lk) in sorted(account.balances.items())})

    async def _balance_ex(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        return self._ok({asset_id(a): {"balance": to_plain(f + lk), "hold_trade": to_plain(lk)}
                         for a, (f, lk) in sorted(account.balances.items())})

    async def _trade_volume(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        params = self._params(body) or {}
        exchange = self.exchange
        fees, makers = {}, {}
        for name in (n.strip() for n in params.get("pair", "").split(",") if n.strip()):
            symbol = self._pair(name)
            key = self._names()[symbol][0] if symbol is not None else name  # one schedule for every pair here
            fees[key] = {"fee": _percent(exchange.taker_fee), "minfee": _percent(exchange.taker_fee),
                         "maxfee": _percent(exchange.taker_fee), "nextfee": None, "nextvolume": None, "tiervolume": "0.0000"}
            makers[key] = {"fee": _percent(exchange.maker_fee), "minfee": _percent(exchange.maker_fee),
                           "maxfee": _percent(exchange.maker_fee), "nextfee": None, "nextvolume": None, "tiervolume": "0.0000"}
        result: dict[str, object] = {"currency": "ZUSD", "volume": "0.0000"}
        if fees:
            result.update(fees=fees, fees_maker=makers)
        return self._ok(result)

    def _refusal(self, reason: RejectReason, symbol: str, qty: int) -> str:
        inst = self.server.instruments.get(self.name, symbol)
        if reason is RejectReason.LOT:
            return "EOrder:Order minimum not met" if inst is not None and qty < inst.min_qty else "EGeneral:Invalid arguments:volume"
        if reason is RejectReason.OTHER:
            halted = symbol in self.exchange.halted  # private: the server has an exchange
            return "EService:Market in cancel_only mode" if halted else "EQuery:Unknown asset pair"
        return _REFUSALS.get(reason, "EGeneral:Invalid arguments")

    async def _add_order(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        p = self._params(body) or {}
        symbol = self._pair(p.get("pair", ""))
        if symbol is None:
            return self._fail("EQuery:Unknown asset pair")
        side, tif = p.get("type", ""), _TIF.get(p.get("timeinforce", "GTC").upper())
        flags = {f for f in p.get("oflags", "").split(",") if f}
        # Limit orders only (never an unprotected market order); no post-only or volume-in-quote here.
        for name, bad in (("ordertype", p.get("ordertype") != "limit"), ("type", side not in ("buy", "sell")),
                          ("timeinforce", tif is None), ("oflags", bool(flags - {"fciq", "fcib", "nompp"}))):
            if bad:
                return self._fail(f"EGeneral:Invalid arguments:{name}")
        assert tif is not None  # refused above
        cl_ord_id = p.get("cl_ord_id", "")
        if cl_ord_id and ("userref" in p or not _valid_cl_ord_id(cl_ord_id)):
            return self._fail("EGeneral:Invalid arguments:cl_ord_id")
        try:
            qty = from_decimal(p.get("volume", ""))
        except ValueError:
            return self._fail("EGeneral:Invalid arguments:volume")
        try:
            price = from_decimal(p.get("price", ""))
        except ValueError:
            return self._fail("EGeneral:Invalid arguments:price")
        inst = self.server.instruments.get(self.name, symbol)
        descr = {"order": f"{side} {_places(qty, 8)} {self._names()[symbol][1]} @ limit "
                          f"{_places(price, inst.price_precision if inst else 8)}"}
        if p.get("validate") in ("true", "1"):
            return self._ok({"descr": descr})
        try:
            order = self.exchange.place(account, symbol, side, qty, price, tif, cl_ord_id, self._now_ms())
        except Rejected as exc:
            return self._fail(self._refusal(exc.reason, symbol, qty))
        if p.get("userref"):
            self.server.__dict__.setdefault("_kraken_userrefs", {})[order.order_id] = p["userref"]
        return self._ok({"descr": descr, "txid": [_txid("O", order.order_id)]})

    def _order_json(self, order: SimOrder, trades: bool) -> dict[str, object]:
        inst = self.server.instruments.get(self.name, order.symbol)
        price_places = inst.price_precision if inst else 8
        pair = self._names()[order.symbol][1]
        done = not order.open
        if order.status is OrderStatus.CANCELLED:
            reason = "Immediate or cancel" if order.tif == "ioc" else "User requested"
        else:
            reason = None
        userref = self.server.__dict__.get("_kraken_userrefs", {}).get(order.order_id)
        out: dict[str, object] = {
            "refid": None, "userref": int(userref) if userref and userref.lstrip("-").isdigit() else None,
            "cl_ord_id": order.client_id or None, "status": _STATUS_TEXT[order.status], "reason": reason,
            "opentm": order.created_ms / 1000, "starttm": 0, "expiretm": 0,
            "descr": {"pair": pair, "type": order.side, "ordertype": "limit", "price": _places(order.price, price_places),
                      "price2": "0", "leverage": "none",
                      "order": f"{order.side} {_places(order.qty, 8)} {pair} @ limit {_places(order.price, price_places)}",
                      "close": ""},
            "vol": _places(order.qty, 8), "vol_exec": to_plain(order.filled), "cost": to_plain(order.quote),
            "fee": to_plain(order.fee), "price": to_plain(order.quote * ONE // order.filled) if order.filled else "0",
            "stopprice": "0", "limitprice": "0", "misc": "", "oflags": "fciq",
        }
        if done:
            out["closetm"] = order.updated_ms / 1000
        if trades:
            out["trades"] = [_txid("T", t.trade_id) for t in order.trades]
        return out

    def _matches(self, order: SimOrder, p: dict[str, str]) -> bool:
        if p.get("cl_ord_id") and order.client_id != p["cl_ord_id"]:
            return False
        if p.get("userref"):
            return self.server.__dict__.get("_kraken_userrefs", {}).get(order.order_id) == p["userref"]
        return True

    async def _open_orders(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        p = self._params(body) or {}
        trades = p.get("trades") in ("true", "1")
        orders = [o for o in account.orders.values() if o.open and self._matches(o, p)]
        return self._ok({"open": {_txid("O", o.order_id): self._order_json(o, trades) for o in orders}})

    async def _closed_orders(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        p = self._params(body) or {}
        trades = p.get("trades") in ("true", "1")
        orders = sorted((o for o in account.orders.values() if not o.open and self._matches(o, p)),
                        key=lambda o: o.order_id, reverse=True)
        return self._ok({"closed": {_txid("O", o.order_id): self._order_json(o, trades) for o in orders[:50]},
                         "count": len(orders)})

    async def _query_orders(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        p = self._params(body) or {}
        txids = [t.strip() for t in p.get("txid", "").split(",") if t.strip()]
        if not txids or len(txids) > 50:
            return self._fail("EGeneral:Invalid arguments:txid")
        trades = p.get("trades") in ("true", "1")
        result = {}
        for txid in txids:
            order_id = _untxid("O", txid)
            order = account.orders.get(order_id) if order_id is not None else None
            if order is None:
                return self._fail("EOrder:Invalid order")
            result[txid] = self._order_json(order, trades)
        return self._ok(result)

    async def _cancel(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        p = self._params(body) or {}
        if p.get("cl_ord_id"):
            orders = [o for o in account.orders.values() if o.open and o.client_id == p["cl_ord_id"]]
        elif p.get("txid"):
            order_id = _untxid("O", p["txid"])
            orders = [account.orders[order_id]] if order_id in account.orders else []
            if not orders:  # a userref cancels every open order carrying it
                refs = self.server.__dict__.get("_kraken_userrefs", {})
                orders = [o for o in account.orders.values() if o.open and refs.get(o.order_id) == p["txid"]]
        else:
            return self._fail("EGeneral:Invalid arguments")
        orders = [o for o in orders if o.open]
        if not orders:
            return self._fail("EOrder:Unknown order")
        for order in orders:
            self.exchange.cancel(account, order, self._now_ms())
        return self._ok({"count": len(orders)})

    # -- the private websocket -----------------------------------------------------------------
    def _tokens(self) -> dict[str, list[Any]]:
        """token → [account name, issued ms, used by a connection]."""
        tokens: dict[str, list[Any]] = self.server.__dict__.setdefault("_kraken_ws_tokens", {})
        return tokens

    async def _ws_token(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        tokens = self._tokens()
        token = hashlib.sha256(f"{account.name}:{len(tokens)}:{self.server.clock()}".encode()).digest()
        text = base64.b64encode(token).decode().rstrip("=").replace("+", "A").replace("/", "B")
        tokens[text] = [account.name, self._now_ms(), False]
        return self._ok({"token": text, "expires": _TOKEN_UNUSED_MS // 1000})

    def token_account(self, token: object) -> str | None:
        """The account a websockets token opens (None: unknown, or unused past 15 minutes)."""
        entry = self._tokens().get(token) if isinstance(token, str) else None
        if entry is None or (not entry[2] and self._now_ms() - entry[1] > _TOKEN_UNUSED_MS):
            return None
        entry[2] = True
        return str(entry[0])

    def execution(self, order: SimOrder, exec_type: str, trade: SimTrade | None = None) -> dict[str, object]:
        """One event of ``executions`` for ``order`` (numbers as raw JSON numbers)."""
        def num(value: int) -> msgspec.Raw:
            return msgspec.Raw(to_plain(value).encode())

        quote_asset = split(order.symbol)[1]
        status = _WS_ORDER_STATUS[order.status]
        if exec_type == "trade" and status == "filled":
            status = "partially_filled"  # the docs: completion comes in the separate "filled" event
        if exec_type == "expired":
            status = "expired"
        event: dict[str, object] = {
            "order_id": _txid("O", order.order_id), "symbol": self.server.native(order.symbol), "side": order.side,
            "order_type": "limit", "order_qty": num(order.qty), "limit_price": num(order.price),
            "time_in_force": order.tif.upper(), "exec_type": exec_type, "order_status": status,
            "cum_qty": num(order.filled), "cum_cost": num(order.quote),
            "avg_price": num(order.quote * ONE // order.filled if order.filled else 0),
            "fee_ccy_pref": "fciq", "timestamp": _rfc3339(self.server.clock()),
        }
        if order.client_id:
            event["cl_ord_id"] = order.client_id
        if trade is not None:
            event.update(
                exec_id=_txid("T", trade.trade_id), trade_id=trade.trade_id, last_qty=num(trade.qty),
                last_price=num(trade.price), cost=num(trade.quote), liquidity_ind="m" if trade.maker else "t",
                fees=[{"asset": quote_asset, "qty": num(trade.fee)}],
            )
        if exec_type == "canceled":
            event["reason"] = "User requested"
        return event

    def _executions(self, events: list[dict[str, object]], kind: str) -> str:
        return _json.encode({"channel": "executions", "type": kind, "data": events}).decode()

    def order_update(self, order: SimOrder, trade: SimTrade | None) -> list[str]:
        if trade is not None:
            events = [self.execution(order, "trade", trade)]
            if order.status is OrderStatus.FILLED:
                events.append(self.execution(order, "filled"))
        elif order.status is OrderStatus.CANCELLED:
            events = [self.execution(order, "expired" if order.tif == "ioc" else "canceled")]
        elif order.status is OrderStatus.FILLED:  # already told with its last trade
            return []
        else:
            events = [self.execution(order, "new")]
        return [self._executions(events, "update")]



class KrakenProtocol(KrakenPrivate, VenueProtocol):
    name = "kraken"
    path = "/v2"
    heartbeats = True
    default_streams = ((BOOK, kraken.DEPTH),)

    def on_open(self, session: Session) -> None:
        status = {"version": "2.0.10", "system": "online", "api_version": "v2", "connection_id": session.conn_id}
        self.send(session, [_json.encode({"channel": "status", "type": "update", "data": [status]}).decode()])

    def is_ping(self, message: str | bytes) -> bool:
        msg = read_json(message)
        return isinstance(msg, dict) and msg.get("method") == "ping"

    def on_message(self, session: Session, message: str | bytes) -> None:
        msg = read_json(message)
        stamp = _rfc3339(self.server.clock())
        if not isinstance(msg, dict):
            self._error(session, "", "Malformed request", None, None, stamp)
            return
        method, req_id = msg.get("method"), msg.get("req_id")
        if method == "ping":
            self._reply(session, {"method": "pong", "req_id": req_id, "time_in": stamp, "time_out": stamp})
            return
        if method not in ("subscribe", "unsubscribe"):
            self._error(session, str(method)[:40], "Method not found", req_id, None, stamp)
            return
        params = msg.get("params")
        if not isinstance(params, dict):
            self._error(session, method, "Missing params", req_id, None, stamp)
            return
        channel = params.get("channel")
        if channel == "executions":
            self._subscribe_executions(session, method, params, req_id, stamp)
            return
        if channel in _QUIET_CHANNELS:
            self._ack(session, method, {"channel": channel}, req_id, stamp)
            return
        if channel != "book":
            self._error(session, method, f"Channel {str(channel)[:40]} not supported", req_id, None, stamp)
            return
        depth = params.get("depth", kraken.DEFAULT_DEPTH)
        if depth not in kraken.DEPTHS:
            self._error(session, method, "Invalid depth", req_id, None, stamp)
            return
        natives = params.get("symbol")
        if not isinstance(natives, list) or not natives:
            self._error(session, method, "Missing symbol", req_id, None, stamp)
            return
        for native in natives:
            symbol = self.server.unified(native) if isinstance(native, str) else None
            if symbol is None:
                self._error(session, method, "Currency pair not supported", req_id, str(native)[:40], stamp)
                continue
            stream = self.server.stream(symbol, BOOK, depth)
            if method == "subscribe":
                self.server.subscribe(session, stream)
                frames = stream.encoder.subscribe_ack(symbol, self.server.clock())
                if params.get("snapshot", True):
                    bids, asks, seq, book = self.snapshot_args(symbol)
                    frames += stream.encoder.snapshot(symbol, bids, asks, seq, self.server.clock(), book)
                self.send(session, frames)
            else:
                self.server.unsubscribe(session, stream)
                result = {"channel": "book", "depth": depth, "symbol": native}
                self._ack(session, "unsubscribe", result, req_id, stamp)

    def _subscribe_executions(self, session: Session, method: str, params: dict[str, Any], req_id: Any, stamp: str) -> None:
        """The private ``executions`` channel: the token checked, then the ack, the snapshot of
        open orders and every later change of the account's orders."""
        account = self.token_account(params.get("token"))
        exchange = self.server.exchange
        if account is None or exchange is None:
            self._error(session, method, "ESession:Invalid session", req_id, None, stamp)
            return
        if method == "unsubscribe":
            self._ack(session, method, {"channel": "executions"}, req_id, stamp)
            return
        snap_orders = params.get("snap_orders", True) is not False
        self._ack(session, method, {"channel": "executions", "maxratecount": 125, "snap_orders": snap_orders,
                                    "snap_trades": params.get("snap_trades", False) is True}, req_id, stamp)
        open_orders = [o for o in exchange.accounts[account].orders.values() if o.open] if snap_orders else []
        self.send(session, [self._executions([self.execution(o, "new") for o in open_orders], "snapshot")])
        self.server.watch_orders(session, account)

    def _ack(self, session: Session, method: str, result: dict[str, object], req_id: Any, stamp: str) -> None:
        reply: dict[str, Any] = {"method": method, "result": result, "success": True, "time_in": stamp, "time_out": stamp}
        if req_id is not None:
            reply["req_id"] = req_id
        self._reply(session, reply)

    def _error(self, session: Session, method: str, error: str, req_id: Any, native: str | None, stamp: str) -> None:
        reply: dict[str, Any] = {"error": error, "method": method, "success": False}
        if req_id is not None:
            reply["req_id"] = req_id
        if native is not None:
            reply["symbol"] = native
        reply.update(time_in=stamp, time_out=stamp)
        self._reply(session, reply)

    def _reply(self, session: Session, reply: dict[str, object]) -> None:
        self.send(session, [_json.encode(reply).decode()])

    def encoder(self, kind: str, param: Any) -> Encoder:
        return Encoder(self.server.symbol_map, param)

    def routes(self) -> list[Route]:
        return self.public_routes()

    def heartbeat(self, session: Session, ts_ns: int, idle_s: float) -> Sequence[Frame | Out]:
        if session.streams and idle_s >= 0.5 * self.server.options.heartbeat_s:
            return [_HEARTBEAT]
        return ()
