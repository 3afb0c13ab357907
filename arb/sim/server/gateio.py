"""Gate spot websocket v4, server side: ``spot.order_book_update`` and ``spot.obu``.

- ``/ws/v4/``. Requests ``{"time":<unix s>,"channel":…,"event":"subscribe"|"unsubscribe",
  "payload":[…]}``; a ``time`` more than 60 s off the server clock is refused. Acks echo the
  request with ``"result":{"status":"success"}``; errors carry
  ``"error":{"code":2,"message":…}``.
- ``spot.order_book_update`` ``[pair, "100ms"|"20ms"]``: ``U``/``u`` diffs; books start from
  ``GET /api/v4/spot/order_book?currency_pair=…&limit=…&with_id=true`` (``id``).
- ``spot.obu`` ``["ob.BTC_USDT.400"|"ob.BTC_USDT.50"]``: a ``full:true`` snapshot, then
  increments. A second subscribe to a live stream is refused (code 2, "Alert sub …"):
  gap recovery is unsubscribe + subscribe.
- ``{"time":t,"channel":"spot.ping"}`` → ``{"time":…,"channel":"spot.pong","event":"","result":null}``.
- ``spot.orders`` (private): the subscribe request carries ``auth`` = ``{"method":"api_key",
  "KEY","SIGN"}``, ``SIGN`` = hex HMAC-SHA512(secret, ``channel=spot.orders&event=subscribe&
  time=<time>``), ``time`` required and within 60 s; a bad key or signature gets ``error``
  code 4 with the REST label in its message (``INVALID_KEY``, ``INVALID_SIGNATURE``). Then every
  change of the account's orders is pushed (``event`` put, update per execution, finish) with
  the order's fields — cumulative ``left``, ``filled_total``, ``fee``. (Simplification: the
  payload's pairs, or ``!all``, are checked, but every order of the account is pushed.)
- REST: ``/api/v4/spot/order_book``; the listings and the private API are :class:`GateioPrivate`'s.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

import msgspec
from aiohttp import web

from arb.core.numbers import ONE, from_decimal, parse_fixed, to_plain
from arb.core.symbols import split
from arb.sim.exchange import Account, Rejected, SimOrder, SimTrade
from arb.sim.server.protocol import BOOK, Route, VenueProtocol, json_response, read_json, synthetic_volume
from arb.sim.server.session import Session
from arb.venues.gateio import Encoder
from arb.venues.gateio import market_data as gateio
from arb.venues.gateio.signing import sign, ws_sign
from arb.venues.trading import OrderStatus, RejectReason

_json = msgspec.json.Encoder()
_UPDATE = "spot.order_book_update"
_OBU = "spot.obu"
_ORDERS = "spot.orders"
_OBU_DEPTHS = {"400": 400, "50": 50}
#: Channels a client may subscribe to that carry nothing here (acked, never sent).
_QUIET_CHANNELS = frozenset({"spot.trades", "spot.tickers", "spot.book_ticker", "spot.candlesticks", "spot.order_book"})
_MAX_CLOCK_SKEW_S = 60


# -- listings and the private API -------------------------------------------------------------
#: Client ids Gate accepts (the ``text`` rules): ``t-`` then up to 28 of ``0-9 A-Z a-z _ - .``.
_TEXT = re.compile(r"t-[0-9A-Za-z_.\-]{1,28}")
#: Gate's maintainers: finished orders answer to their ``text`` for an hour (the current docs
#: say: while pending only); orders that ended with nothing filled are kept a minute at all.
_TEXT_WINDOW_MS = 3_600_000
_ZERO_FILL_KEEP_MS = 60_000
_MAX_SKEW_S = 60
#: A refusal by reason: (label, message) in Gate's words (labels from the docs' list).
_REFUSALS = {
    RejectReason.AUTH: ("FORBIDDEN", "Forbidden"),
    RejectReason.RATE_LIMIT: ("TOO_MANY_REQUESTS", "Request Rate limit Exceeded"),
    RejectReason.UNAVAILABLE: ("TOO_BUSY", "Server is too busy, please try again later"),
    RejectReason.UNKNOWN_STATE: ("SERVER_ERROR", "Internal server error"),
    RejectReason.NOT_FOUND: ("ORDER_NOT_FOUND", "Order not found"),
    RejectReason.BALANCE: ("BALANCE_NOT_ENOUGH", "Not enough balance"),
    RejectReason.DUPLICATE: ("REPEATED_CREATION", "Repeated creation: the text of an existing order"),
    RejectReason.PRICE: ("INVALID_PRECISION", "Invalid price precision"),
    RejectReason.LOT: ("INVALID_PRECISION", "Invalid amount precision"),
    RejectReason.MIN_NOTIONAL: ("INVALID_PARAM_VALUE", "Your order size is too small"),
    RejectReason.OTHER: ("INVALID_PARAM_VALUE", "Invalid request"),
}
_STATUS_TEXT = {
    OrderStatus.NEW: ("open", "open"), OrderStatus.PARTIALLY_FILLED: ("open", "open"),
    OrderStatus.FILLED: ("closed", "filled"), OrderStatus.CANCELLED: ("cancelled", "cancelled"),
    OrderStatus.REJECTED: ("cancelled", "unknown"),
}


def _places(step: int, what: str) -> int:
    """Decimal places of a power-of-ten step (Gate states ticks and lots only that way)."""
    places = 18
    while places > 0 and step % 10 == 0:
        step //= 10
        places -= 1
    if step != 1:
        raise ValueError(f"gateio states a {what} as decimal places: {to_plain(step * 10 ** (18 - places))} is not a power of ten")
    return places


class GateioPrivate(VenueProtocol):
    """Gate's listings, tickers and private REST API (API v4) on an
    :class:`~arb.sim.exchange.Exchange`: ``KEY``/``Timestamp``/``SIGN`` headers verified the
    venue's way (HMAC-SHA512 over method, path, query, the body's SHA-512 and the timestamp;
    the timestamp within 60 s), errors as ``{"label","message"}``. Also the listing endpoints a
    generic client loads first (margin pairs, futures, delivery and options contracts: empty)."""

    name: str

    def public_routes(self) -> list[Route]:
        return [
            Route("GET", "/api/v4/spot/currency_pairs", self._currency_pairs),
            Route("GET", "/api/v4/spot/currency_pairs/{pair}", self._currency_pair),
            Route("GET", "/api/v4/spot/tickers", self._tickers),
            Route("GET", "/api/v4/spot/currencies", self._currencies),
            Route("GET", "/api/v4/spot/time", self._time),
            Route("GET", "/api/v4/margin/currency_pairs", self._empty),
            Route("GET", "/api/v4/futures/{settle}/contracts", self._empty),
            Route("GET", "/api/v4/delivery/{settle}/contracts", self._empty),
            Route("GET", "/api/v4/options/underlyings", self._empty),
        ]

    def private_routes(self) -> list[Route]:
        r = self.private_route
        return [
            r("GET", "/api/v4/account/detail", 1, self._account_detail),
            r("GET", "/api/v4/spot/accounts", 1, self._accounts),
            r("GET", "/api/v4/spot/fee", 1, self._fee),
            r("GET", "/api/v4/wallet/fee", 1, self._fee),
            r("POST", "/api/v4/spot/orders", 1, self._place, order=True),
            r("GET", "/api/v4/spot/orders", 1, self._orders),
            r("GET", "/api/v4/spot/orders/{order_id}", 1, self._query),
            r("DELETE", "/api/v4/spot/orders/{order_id}", 1, self._cancel),
            r("GET", "/api/v4/spot/open_orders", 1, self._open_orders),
            r("GET", "/api/v4/spot/my_trades", 1, self._my_trades),
        ]

    # -- public --------------------------------------------------------------------------------
    def _ok(self, body: object, status: int = 200) -> web.StreamResponse:
        return json_response(_json.encode(body).decode(), status)

    def _refuse(self, status: int, label: str, message: str) -> web.StreamResponse:
        return self._ok({"label": label, "message": message}, status)

    async def _empty(self, request: web.Request) -> web.StreamResponse:
        return self._ok([])

    async def _time(self, request: web.Request) -> web.StreamResponse:
        return self._ok({"server_time": self.server.clock() // 1_000_000})

    def _pair(self, symbol: str) -> dict[str, object] | None:
        inst = self.server.instruments.get(self.name, symbol)
        if inst is None:
            return None
        base, quote = split(symbol)
        exchange = self.server.exchange
        halted = exchange is not None and symbol in exchange.halted
        taker = exchange.taker_fee if exchange is not None else 0
        return {
            "id": inst.venue_symbol, "base": base, "base_name": base, "quote": quote, "quote_name": quote,
            "fee": to_plain(taker * 100), "min_base_amount": to_plain(inst.min_qty or inst.lot_size),
            "min_quote_amount": to_plain(inst.min_notional), "max_base_amount": None, "max_quote_amount": "5000000",
            "amount_precision": _places(inst.lot_size, "lot"), "precision": _places(inst.tick_size, "tick"),
            "trade_status": "untradable" if halted else "tradable", "sell_start": 0, "buy_start": 0, "delisting_time": 0,
            "type": "normal", "trade_url": f"https://www.gate.io/trade/{inst.venue_symbol}", "st_tag": False,
        }

    async def _currency_pairs(self, request: web.Request) -> web.StreamResponse:
        return self._ok([p for p in (self._pair(s) for s in self.server.symbols) if p is not None])

    async def _currency_pair(self, request: web.Request) -> web.StreamResponse:
        symbol = self.server.unified(request.match_info["pair"])
        pair = self._pair(symbol) if symbol is not None else None
        if pair is None:
            return self._refuse(400, "INVALID_CURRENCY_PAIR", f"Invalid currency pair {request.match_info['pair'][:40]}")
        return self._ok(pair)

    def _ticker(self, symbol: str, single: bool) -> dict[str, object] | None:
        inst = self.server.instruments.get(self.name, symbol)
        book = self.server.book(symbol)
        bid, ask = book.best_bid(), book.best_ask()
        if inst is None or bid is None or ask is None:
            return None
        mid = (parse_fixed(bid[0]) + parse_fixed(ask[0])) // 2
        volume = synthetic_volume(symbol, mid)
        out: dict[str, object] = {"currency_pair": inst.venue_symbol, "last": to_plain(mid), "lowest_ask": ask[0], "highest_bid": bid[0]}
        if single:
            out.update(lowest_size=ask[1], highest_size=bid[1])
        out.update({"change_percentage": "0", "change_utc0": "0", "change_utc8": "0", "base_volume": to_plain(volume),
                    "quote_volume": to_plain(volume * mid // ONE), "high_24h": to_plain(mid), "low_24h": to_plain(mid)})
        return out

    async def _tickers(self, request: web.Request) -> web.StreamResponse:
        native = request.query.get("currency_pair")
        if native is not None:
            symbol = self.server.unified(native)
            ticker = self._ticker(symbol, True) if symbol is not None else None
            if ticker is None:
                return self._refuse(400, "INVALID_CURRENCY_PAIR", f"Invalid currency pair {native[:40]}")
            return self._ok([ticker])
        return self._ok([t for t in (self._ticker(s, False) for s in self.server.symbols) if t is not None])

    async def _currencies(self, request: web.Request) -> web.StreamResponse:
        chain = {"withdraw_disabled": False, "withdraw_delayed": False, "deposit_disabled": False}
        return self._ok([
            {"currency": a, "name": a, "delisted": False, "withdraw_disabled": False, "withdraw_delayed": False,
             "deposit_disabled": False, "trade_disabled": False, "fixed_rate": "", "chain": a,
             "chains": [{"name": a, "addr": "", **chain}]}
            for a in sorted({a for s in self.server.symbols for a in split(s)})
        ])

    # -- auth ----------------------------------------------------------------------------------
    async def authenticate(self, request: web.Request, body: str) -> Account | web.StreamResponse:
        exchange = self.server.exchange
        key, stamp, signature = (request.headers.get(h, "") for h in ("KEY", "Timestamp", "SIGN"))
        if not key or not stamp or not signature:
            return self._refuse(401, "MISSING_REQUIRED_HEADER", "Missing required header: KEY, Timestamp and SIGN")
        account = exchange.account_of(key) if exchange is not None else None
        if exchange is None or account is None:
            return self._refuse(401, "INVALID_KEY", "Invalid key provided")
        try:
            sent_s = float(stamp)
        except ValueError:
            return self._refuse(401, "INVALID_SIGNATURE", "Signature mismatch")
        if abs(self.server.clock() / 1e9 - sent_s) > _MAX_SKEW_S:
            return self._refuse(401, "REQUEST_EXPIRED", f"gap between request Timestamp and server time exceeds {_MAX_SKEW_S}")
        secret = exchange.keys[key].secret
        path = request.rel_url.raw_path
        # Gate signs the query "without URL encode"; a client may have signed either form.
        for query in dict.fromkeys((request.query_string, request.rel_url.raw_query_string)):
            if hmac.compare_digest(sign(secret, request.method, path, query, body, stamp), signature):
                return account
        return self._refuse(401, "INVALID_SIGNATURE", "Signature mismatch")

    def private_error(self, status: int, reason: RejectReason, message: str) -> web.StreamResponse:
        label, default = _REFUSALS.get(reason, ("INVALID_PARAM_VALUE", message))
        return self._refuse(status, label, message or default)

    # -- account -------------------------------------------------------------------------------
    def _user_id(self, account: Account) -> int:
        return 10_000_000 + list(self.exchange.accounts).index(account.name) + 1

    async def _account_detail(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        return self._ok({"user_id": self._user_id(account), "ip_whitelist": [], "currency_pairs": [], "key": {"mode": 1},
                         "tier": 0, "tier_expire_time": "0001-01-01T00:00:00Z", "copy_trading_role": 0})

    async def _accounts(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        only = request.query.get("currency")
        return self._ok([
            {"currency": a, "available": to_plain(free), "locked": to_plain(locked), "update_id": 1}
            for a, (free, locked) in sorted(account.balances.items()) if only is None or a == only
        ])

    async def _fee(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        exchange = self.exchange
        maker, taker = to_plain(exchange.maker_fee), to_plain(exchange.taker_fee)
        return self._ok({
            "user_id": self._user_id(account), "taker_fee": taker, "maker_fee": maker, "gt_discount": False,
            "gt_taker_fee": "0", "gt_maker_fee": "0", "loan_fee": "0.18", "point_type": "1",
            "currency_pair": request.query.get("currency_pair", ""), "debit_fee": 3,
        })

    # -- orders --------------------------------------------------------------------------------
    async def _place(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        params = read_json(body)
        if not isinstance(params, dict):
            return self._refuse(400, "INVALID_REQUEST_BODY", "Invalid request body: a JSON object expected")
        native = params.get("currency_pair")
        symbol = self.server.unified(native) if isinstance(native, str) else None
        if symbol is None:
            return self._refuse(400, "INVALID_CURRENCY_PAIR", f"Invalid currency pair {str(native)[:40]}")
        text = params.get("text")
        if text is not None and (not isinstance(text, str) or not _TEXT.fullmatch(text)):
            return self._refuse(400, "INVALID_PARAM_VALUE", "invalid argument: text must be t- and up to 28 of 0-9 A-Z a-z _ - .")
        if params.get("type", "limit") != "limit":  # limit orders only: never an unprotected market order
            return self._refuse(400, "INVALID_PARAM_VALUE", "invalid argument: type (only limit orders are simulated)")
        if params.get("account", "spot") not in ("spot", "unified"):
            return self._refuse(400, "INVALID_PARAM_VALUE", "invalid argument: account (only spot is simulated)")
        tif = params.get("time_in_force", "gtc")
        side = params.get("side")
        if tif not in ("gtc", "ioc") or side not in ("buy", "sell"):
            return self._refuse(400, "INVALID_PARAM_VALUE", "invalid argument: side or time_in_force (gtc and ioc simulated)")
        try:
            qty, price = from_decimal(str(params["amount"])), from_decimal(str(params["price"]))
        except (KeyError, ValueError):
            return self._refuse(400, "INVALID_PARAM_VALUE", "invalid argument: amount and price must be decimal text")
        now_ms = self.server.clock() // 1_000_000
        try:
            order = self.exchange.place(account, symbol, side, qty, price, tif, text or "", now_ms)
        except Rejected as exc:
            return self._rejected(exc, symbol, qty, price)
        return self._ok(self._order_json(order), 201)

    def _rejected(self, exc: Rejected, symbol: str, qty: int, price: int) -> web.StreamResponse:
        """A refused order in Gate's words: which precision, which minimum."""
        inst = self.server.instruments.get(self.name, symbol)
        quote = split(symbol)[1]
        if exc.reason is RejectReason.LOT and inst is not None and not (inst.lot_size and qty % inst.lot_size):
            return self._refuse(400, "AMOUNT_TOO_LITTLE", f"Amount {to_plain(qty)} is below the minimum {to_plain(inst.min_qty)}")
        if exc.reason is RejectReason.MIN_NOTIONAL and inst is not None:
            size = to_plain(price * qty // ONE)
            return self._refuse(400, "INVALID_PARAM_VALUE",
                                f"Your order size {size} {quote} is too small. The minimum is {to_plain(inst.min_notional)} {quote}")
        if exc.reason is RejectReason.OTHER:
            return self._refuse(400, "INVALID_CURRENCY_PAIR", f"{exc.message}")
        label, message = _REFUSALS[exc.reason]
        return self._refuse(400, label, message)

    def _find(self, request: web.Request, account: Account) -> SimOrder | web.StreamResponse:
        """An order by Gate's id or the client's ``text``, within what Gate keeps answering."""
        order_id = request.match_info["order_id"]
        by_text = order_id.startswith("t-")
        try:
            order = self.exchange.find(account, None if by_text else int(order_id), order_id if by_text else None)
        except (Rejected, ValueError):
            order = None
        native = request.query.get("currency_pair")
        if order is not None:
            now_ms = self.server.clock() // 1_000_000
            if native is not None and self.server.unified(native) != order.symbol:
                order = None
            elif not order.open and not order.filled and now_ms - order.updated_ms > _ZERO_FILL_KEEP_MS:
                order = None
            elif not order.open and by_text and now_ms - order.updated_ms > _TEXT_WINDOW_MS:
                order = None
        if order is not None:
            return order
        if by_text:
            return self._refuse(404, "CLIENT_ID_NOT_FOUND", f"Order with client ID {order_id[:40]} not found")
        return self._refuse(404, "ORDER_NOT_FOUND", f"Order with ID {order_id[:40]} not found")

    async def _query(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        order = self._find(request, account)
        return order if isinstance(order, web.StreamResponse) else self._ok(self._order_json(order))

    async def _cancel(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        order = self._find(request, account)
        if isinstance(order, web.StreamResponse):
            return order
        if not order.open:
            if order.status is OrderStatus.FILLED:
                return self._refuse(400, "ORDER_CLOSED", f"Order {order.order_id} has been closed")
            return self._refuse(400, "ORDER_CANCELLED", f"Order {order.order_id} has been cancelled")
        self.exchange.cancel(account, order, self.server.clock() // 1_000_000)
        return self._ok(self._order_json(order))

    async def _orders(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        native, status = request.query.get("currency_pair", ""), request.query.get("status", "")
        symbol = self.server.unified(native)
        if symbol is None or status not in ("open", "finished"):
            return self._refuse(400, "INVALID_PARAM_VALUE", "invalid argument: currency_pair and status (open|finished) required")
        orders = [o for o in account.orders.values() if o.symbol == symbol and o.open == (status == "open")]
        return self._ok([self._order_json(o) for o in orders])

    async def _open_orders(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        native = request.query.get("currency_pair")
        symbol = self.server.unified(native) if native else None
        groups: dict[str, list[dict[str, object]]] = {}
        for order in self.exchange.open_orders(account, symbol):
            groups.setdefault(self.server.native(order.symbol), []).append(self._order_json(order))
        return self._ok([{"currency_pair": pair, "total": len(orders), "orders": orders} for pair, orders in groups.items()])

    async def _my_trades(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        native, order_id = request.query.get("currency_pair"), request.query.get("order_id")
        symbol = self.server.unified(native) if native else None
        out = []
        for t in account.trades:
            if (symbol is not None and t.symbol != symbol) or (order_id and str(t.order_id) != order_id):
                continue
            order = account.orders[t.order_id]
            out.append({
                "id": str(t.trade_id), "create_time": str(t.ts_ms // 1000), "create_time_ms": f"{t.ts_ms}.000",
                "currency_pair": self.server.native(t.symbol), "side": t.side, "role": "maker" if t.maker else "taker",
                "amount": to_plain(t.qty), "price": to_plain(t.price), "order_id": str(t.order_id), "fee": to_plain(t.fee),
                "fee_currency": t.fee_asset, "point_fee": "0", "gt_fee": "0", "amend_text": "-", "sequence_id": str(t.trade_id),
                "text": order.client_id or "apiv4",
            })
        return self._ok(out)

    def _order_json(self, order: SimOrder) -> dict[str, object]:
        base, quote = split(order.symbol)
        status, finish_as = _STATUS_TEXT[order.status]
        if order.status is OrderStatus.CANCELLED and order.tif == "ioc":
            finish_as = "ioc"
        return {
            "id": str(order.order_id), "text": order.client_id or "apiv4", "amend_text": "-",
            "create_time": str(order.created_ms // 1000), "update_time": str(order.updated_ms // 1000),
            "create_time_ms": order.created_ms, "update_time_ms": order.updated_ms, "status": status,
            "currency_pair": self.server.native(order.symbol), "type": "limit", "account": "spot", "side": order.side,
            "amount": to_plain(order.qty), "price": to_plain(order.price), "time_in_force": order.tif, "iceberg": "0",
            "left": to_plain(order.remaining), "filled_amount": to_plain(order.filled), "fill_price": to_plain(order.quote),
            "filled_total": to_plain(order.quote),
            "avg_deal_price": to_plain(order.quote * ONE // order.filled) if order.filled else "0",
            "fee": to_plain(order.fee), "fee_currency": order.fee_asset or (base if order.side == "buy" else quote),
            "point_fee": "0", "gt_fee": "0", "gt_maker_fee": "0", "gt_taker_fee": "0", "gt_discount": False,
            "rebated_fee": "0", "rebated_fee_currency": quote, "stp_id": 0, "stp_act": "-", "finish_as": finish_as,
        }


class GateioProtocol(GateioPrivate, VenueProtocol):
    name = "gateio"
    path = "/ws/v4/"
    #: Private endpoints: 200 requests per 10 s per endpoint per account.
    private_budget = (200, 10.0)
    private_budget_per_endpoint = True
    default_streams = ((BOOK, (_UPDATE, gateio.DEPTH)),)

    def is_ping(self, message: str | bytes) -> bool:
        msg = read_json(message)
        return isinstance(msg, dict) and msg.get("channel") == "spot.ping"

    def on_message(self, session: Session, message: str | bytes) -> None:
        msg = read_json(message)
        if not isinstance(msg, dict):
            self._reply(session, {"channel": "", "event": "", "error": {"code": 1, "message": "invalid request body"}})
            return
        channel, event, payload = msg.get("channel", ""), msg.get("event", ""), msg.get("payload")
        now_s = self.server.clock() // 1_000_000_000
        sent = msg.get("time")
        if sent is not None and (not isinstance(sent, int) or abs(sent - now_s) > _MAX_CLOCK_SKEW_S):
            self._error(session, msg, 2, f"time {str(sent)[:20]} is more than {_MAX_CLOCK_SKEW_S} s off the server clock")
            return
        if channel == "spot.ping":
            self._reply(session, {"id": msg.get("id"), "channel": "spot.pong", "event": "", "result": None})
            return
        if event not in ("subscribe", "unsubscribe") or not isinstance(payload, list):
            self._error(session, msg, 2, f"invalid {str(channel)[:40]} request")
            return
        if channel in _QUIET_CHANNELS:
            self._ack(session, msg)
        elif channel == _ORDERS:
            self._orders_channel(session, msg, event, payload)
        elif channel == _UPDATE:
            self._order_book_update(session, msg, event, payload)
        elif channel == _OBU:
            self._obu(session, msg, event, payload)
        else:
            self._error(session, msg, 2, f"unknown channel {str(channel)[:40]}")

    def _order_book_update(self, session: Session, msg: dict[str, Any], event: str, payload: list[Any]) -> None:
        pair, interval = (payload + [None, None])[:2]
        symbol = self.server.unified(pair) if isinstance(pair, str) else None
        if symbol is None or interval not in gateio.INTERVAL_DEPTH or len(payload) != 2:
            self._error(session, msg, 2, f"invalid argument: {str(payload)[:80]}")
            return
        stream = self.server.stream(symbol, BOOK, (_UPDATE, gateio.INTERVAL_DEPTH[interval]))
        if event == "subscribe":
            self.server.subscribe(session, stream)
        else:
            self.server.unsubscribe(session, stream)
        self._ack(session, msg)

    def _obu(self, session: Session, msg: dict[str, Any], event: str, payload: list[Any]) -> None:
        streams = []
        for name in payload:
            prefix, _, rest = name.partition(".") if isinstance(name, str) else ("", "", "")
            native, _, level = rest.rpartition(".")
            symbol = self.server.unified(native) if prefix == "ob" else None
            if symbol is None or level not in _OBU_DEPTHS:
                self._error(session, msg, 2, f"invalid argument: {str(name)[:60]}")
                return
            streams.append(self.server.stream(symbol, BOOK, (_OBU, _OBU_DEPTHS[level])))
        if event == "subscribe":
            live = [s for s in streams if session in s.sessions]
            if live:
                names = ",".join(gateio.obu_stream(self.server.native(s.symbol), s.param[1]) for s in live)
                self._error(session, msg, 2, f"Alert sub {names}")
                return
            self._ack(session, msg)
            for stream in streams:
                self.server.subscribe(session, stream)
                bids, asks, seq, book = self.snapshot_args(stream.symbol)
                self.send(session, stream.encoder.snapshot(stream.symbol, bids, asks, seq, self.server.clock(), book))
        else:
            for stream in streams:
                self.server.unsubscribe(session, stream)
            self._ack(session, msg)

    # -- the private channel ---------------------------------------------------------------------
    def _orders_channel(self, session: Session, msg: dict[str, Any], event: str, payload: list[Any]) -> None:
        """``spot.orders``: the request's ``auth`` verified Gate's way, then the account's orders."""
        refusal = self._ws_auth(msg)
        if isinstance(refusal, tuple):
            label, message = refusal
            self._error(session, msg, 4, _json.encode({"label": label, "message": message}).decode() + "\n")
            return
        pairs = [p for p in payload if p != "!all"]
        if not payload or not all(isinstance(p, str) and self.server.unified(p) is not None for p in pairs):
            self._error(session, msg, 2, f"invalid argument: {str(payload)[:80]}")
            return
        self._ack(session, msg)
        if event == "subscribe":
            self.server.watch_orders(session, refusal)

    def _ws_auth(self, msg: dict[str, Any]) -> str | tuple[str, str]:
        """The account a private request's ``auth`` opens, or why not (label, message)."""
        auth, stamp = msg.get("auth"), msg.get("time")
        exchange = self.server.exchange
        if not isinstance(auth, dict) or auth.get("method") != "api_key" or not isinstance(stamp, int):
            return "MISSING_REQUIRED_HEADER", "auth (method api_key, KEY, SIGN) and time required"
        key, signature = str(auth.get("KEY", "")), str(auth.get("SIGN", ""))
        account = exchange.account_of(key) if exchange is not None else None
        if exchange is None or account is None:
            return "INVALID_KEY", "Invalid key provided"
        expected = ws_sign(exchange.keys[key].secret, str(msg.get("channel")), str(msg.get("event")), stamp)
        if not hmac.compare_digest(expected, signature):
            return "INVALID_SIGNATURE", "Signature mismatch"
        return account.name

    def order_update(self, order: SimOrder, trade: SimTrade | None) -> list[str]:
        pushed = self._order_json(order)
        pushed.pop("status")
        if trade is not None:
            event = "finish" if order.status is OrderStatus.FILLED else "update"
        else:
            event = "put" if order.open else "finish"
        if event != "finish":
            pushed["finish_as"] = "open"
        pushed.update(event=event, user=self._user_id(self.exchange.accounts[order.account]),
                      create_time_ms=str(order.created_ms), update_time_ms=str(order.updated_ms), biz_info="-")
        ms = self.server.clock() // 1_000_000
        return [_json.encode({"time": ms // 1000, "time_ms": ms, "channel": _ORDERS, "event": "update",
                              "result": [pushed]}).decode()]

    def _ack(self, session: Session, msg: dict[str, Any]) -> None:
        reply = {key: msg[key] for key in ("id",) if key in msg}
        reply.update(channel=msg.get("channel"), event=msg.get("event"), payload=msg.get("payload"), result={"status": "success"})
        self._reply(session, reply)

    def _error(self, session: Session, msg: dict[str, Any], code: int, message: str) -> None:
        reply = {key: msg[key] for key in ("id",) if key in msg}
        reply.update(channel=msg.get("channel", ""), event=msg.get("event", ""), error={"code": code, "message": message}, result=None)
        self._reply(session, reply)

    def _reply(self, session: Session, body: dict[str, object]) -> None:
        ms = self.server.clock() // 1_000_000
        reply: dict[str, Any] = {"time": ms // 1000, "time_ms": ms, "conn_id": f"{session.conn_id:016x}"}
        reply.update(body)
        self.send(session, [_json.encode(reply).decode()])

    def encoder(self, kind: str, param: Any) -> Encoder:
        channel, depth = param if param is not None else (_UPDATE, gateio.DEPTH)
        return Encoder(self.server.symbol_map, depth, channel)

    # -- REST -----------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [Route("GET", gateio.SNAPSHOT_PATH, self._order_book), *self.public_routes()]

    async def _order_book(self, request: web.Request) -> web.StreamResponse:
        query = self.book_query(request, "currency_pair", "limit", 10, 1000)
        if isinstance(query, str):
            return json_response(_json.encode({"label": "INVALID_PARAM_VALUE", "message": query}).decode(), 400)
        symbol, limit = query
        bids, asks, seq, _ = self.snapshot_args(symbol, limit)
        _, body = self.encoder(BOOK, None).rest_snapshot(self.server.rest_url, symbol, bids, asks, seq, self.server.clock())
        if request.query.get("with_id") != "true":
            body = _json.encode({k: v for k, v in msgspec.json.decode(body).items() if k != "id"}).decode()
        return json_response(body)

    def rest_error(self, status: int, message: str) -> str:
        label = "TOO_MANY_REQUESTS" if status == 429 else "INVALID_PARAM_VALUE"
        return _json.encode({"label": label, "message": message}).decode()
