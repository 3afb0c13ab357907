"""OKX v5, server side: ``books`` subscriptions with ``seqId`` chains; instruments, tickers and the private API.

- ``/ws/v5/public``. ``{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}``
  → per arg ``{"event":"subscribe","arg":{…},"connId":"…"}``, then the snapshot
  (``prevSeqId`` -1, CRC32 checksum), then updates chaining ``prevSeqId`` → ``seqId``.
  ``unsubscribe`` → ``{"event":"unsubscribe",…}``; subscribing again brings a new snapshot.
- Errors ``{"event":"error","code":"60012"|"60018","msg":"…","connId":"…"}``.
- The text ``ping`` is answered by the text ``pong``.
- REST: ``/api/v5/market/books``, and (:class:`OkxPrivate`) ``/api/v5/public/instruments``,
  ``/api/v5/market/tickers`` and the signed private API.
- ``/ws/v5/private``: ``{"op":"login","args":[{"apiKey","passphrase","timestamp","sign"}]}``
  (``sign`` = base64 HMAC-SHA256 over timestamp (unix s) + "GET" + "/users/self/verify", the
  timestamp within 30 s) → ``{"event":"login","code":"0",…}``, or the error frame (60005 key,
  60024 passphrase, 60006 timestamp, 60007 sign) and the connection closed. Then
  ``{"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"}]}`` (before login: 60011)
  → every change of the account's orders pushed as ``{"arg":{…,"uid"},"data":[order]}`` with
  the order query's fields and the update's own fill (``fillPx``, ``fillSz``, ``fillFee``).
"""

from __future__ import annotations

import hmac
from datetime import datetime, UTC
from typing import Any

import msgspec
from aiohttp import web

from arb.core.numbers import ONE, from_decimal, parse_fixed, to_plain
from arb.core.symbols import split
from arb.sim.exchange import Account, Rejected, SimOrder, SimTrade
from arb.sim.server.protocol import BOOK, Limits, Route, VenueProtocol, json_response, read_json, synthetic_volume
from arb.sim.server.session import Session
from arb.venues.okx import Encoder
from arb.venues.okx import market_data as okx
from arb.venues.okx.signing import sign
from arb.venues.trading import OrderStatus, RejectReason

_json = msgspec.json.Encoder()
#: Public channels a client may subscribe to that carry nothing here (acked, never sent).
_QUIET_CHANNELS = frozenset({"tickers", "trades", "books5", "bbo-tbt", "instruments", "status"})


# -- instruments, tickers and the private API ---------------------------------------------------
#: How OKX answers a refused request, by reason: (HTTP status, code, message).
_REFUSALS: dict[RejectReason, tuple[int, str, str]] = {
    RejectReason.RATE_LIMIT: (429, "50011", "Too Many Requests"),
    RejectReason.UNAVAILABLE: (503, "50001", "Service temporarily unavailable. Please try again later."),
    RejectReason.AUTH: (401, "50113", "Invalid signature."),
    RejectReason.UNKNOWN_STATE: (400, "50004", "API endpoint request timeout. (does not mean that the request was successful or failed, please check the request result)."),
}
_STATE_TEXT = {
    OrderStatus.NEW: "live", OrderStatus.PARTIALLY_FILLED: "partially_filled", OrderStatus.FILLED: "filled",
    OrderStatus.CANCELLED: "canceled", OrderStatus.REJECTED: "canceled",
}
#: Order types the simulator matches (limit orders only: never an unprotected market order).
_ORD_TYPES = {"limit": "gtc", "ioc": "ioc"}
#: Requests a key may make per 2 s window: weights are 120 / the endpoint's documented limit.
_WINDOW_S = 2.0
_CLORDID_MAX = 32
#: OKX refuses a timestamp this far from its clock (ms).
TIMESTAMP_TOLERANCE_MS = 30_000


def _iso_ms(stamp: str) -> int | None:
    """``2020-12-08T09:08:57.715Z`` → unix ms (None when malformed)."""
    try:
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return round(moment.timestamp() * 1000)


def _charged(fee: int) -> str:
    return "-" + to_plain(fee) if fee else "0"


class OkxPrivate(VenueProtocol):
    """OKX's instruments, tickers and private REST API (docs-v5 "Trading Account", "Trade",
    "Public Data"), on an :class:`~arb.sim.exchange.Exchange`: ``OK-ACCESS-*`` headers, a
    base64 HMAC-SHA256 signature over timestamp + method + path (with query) + body, the
    timestamp within 30 s, the key's passphrase. Refused orders answer HTTP 200 with
    ``code`` "1" and the reason in ``data[0].sCode``; everything else its own code."""

    private_budget = (120, _WINDOW_S)

    def public_routes(self) -> list[Route]:
        return [
            Route("GET", "/api/v5/public/instruments", self._instruments),
            Route("GET", "/api/v5/market/tickers", self._tickers),
            Route("GET", "/api/v5/market/ticker", self._ticker_one),
            Route("GET", "/api/v5/public/time", self._time),
        ]

    def private_routes(self) -> list[Route]:
        r = self.private_route
        return [
            r("GET", "/api/v5/account/balance", 12, self._balance),
            r("GET", "/api/v5/account/trade-fee", 24, self._trade_fee),
            r("GET", "/api/v5/asset/currencies", 20, self._currencies),
            r("POST", "/api/v5/trade/order", 2, self._place, order=True),
            r("POST", "/api/v5/trade/batch-orders", 2, self._place_batch, order=True),
            r("POST", "/api/v5/trade/cancel-order", 2, self._cancel),
            r("GET", "/api/v5/trade/order", 2, self._query),
            r("GET", "/api/v5/trade/orders-pending", 2, self._pending),
            r("GET", "/api/v5/trade/fills", 2, self._fills),
        ]

    # -- public --------------------------------------------------------------------------------
    def _now_ms(self) -> int:
        return self.server.clock() // 1_000_000

    async def _time(self, request: web.Request) -> web.StreamResponse:
        return self._ok([{"ts": str(self._now_ms())}])

    async def _instruments(self, request: web.Request) -> web.StreamResponse:
        kind = request.query.get("instType", "")
        if not kind:
            return self._refuse(400, "50014", "Parameter instType can not be empty.")
        if kind not in ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION", "EVENTS"):
            return self._refuse(400, "51000", "Parameter instType error")
        if kind != "SPOT":  # spot only here: the derivative lists a generic client asks for are empty
            return self._ok([])
        exchange = self.server.exchange
        out = []
        for n, symbol in enumerate(self.server.symbols):
            inst = self.server.instruments.get(self.name, symbol)
            if inst is None:
                continue
            base, quote = split(symbol)
            out.append({
                "alias": "", "auctionEndTime": "", "baseCcy": base, "category": "1", "ctMult": "", "ctType": "", "ctVal": "",
                "ctValCcy": "", "contTdSwTime": "", "expTime": "", "futureSettlement": False, "groupId": "1", "instFamily": "",
                "instId": inst.venue_symbol, "instType": "SPOT", "lever": "", "listTime": "1606468572000",
                "lotSz": to_plain(inst.lot_size), "maxIcebergSz": "9999999999", "maxLmtAmt": "1000000",
                "maxLmtSz": "9999999999", "maxMktAmt": "1000000", "maxMktSz": "1000000", "maxStopSz": "1000000",
                "maxTriggerSz": "9999999999", "maxTwapSz": "9999999999", "minSz": to_plain(inst.min_qty or inst.lot_size),
                "optType": "", "openType": "", "preMktSwTime": "", "quoteCcy": quote, "tradeQuoteCcyList": [quote],
                "settleCcy": "", "state": "suspend" if exchange is not None and symbol in exchange.halted else "live",
                "ruleType": "normal", "stk": "", "tickSz": to_plain(inst.tick_size), "uly": "", "instIdCode": 1_000_000 + n,
                "instCategory": "1", "upcChg": [],
            })
        return self._ok(out)

    def _ticker(self, symbol: str) -> dict[str, object] | None:
        inst = self.server.instruments.get(self.name, symbol)
        if inst is None:
            return None
        book = self.server.book(symbol)
        bid, ask = book.best_bid(), book.best_ask()
        mid = (parse_fixed(bid[0]) + parse_fixed(ask[0])) // 2 if bid and ask else 0
        volume = synthetic_volume(symbol, mid)
        price = to_plain(mid) if mid else ""
        return {
            "instType": "SPOT", "instId": inst.venue_symbol, "last": price, "lastSz": "0", "askPx": ask[0] if ask else "",
            "askSz": ask[1] if ask else "", "bidPx": bid[0] if bid else "", "bidSz": bid[1] if bid else "",
            "open24h": price, "high24h": price, "low24h": price, "volCcy24h": to_plain(volume * mid // ONE),
            "vol24h": to_plain(volume), "ts": str(self._now_ms()), "sodUtc0": price, "sodUtc8": price,
        }

    async def _tickers(self, request: web.Request) -> web.StreamResponse:
        kind = request.query.get("instType", "")
        if not kind:
            return self._refuse(400, "50014", "Parameter instType can not be empty.")
        if kind != "SPOT":
            return self._ok([])
        return self._ok([t for t in (self._ticker(s) for s in self.server.symbols) if t is not None])

    async def _ticker_one(self, request: web.Request) -> web.StreamResponse:
        symbol = self.server.unified(request.query.get("instId", ""))
        ticker = self._ticker(symbol) if symbol is not None else None
        if ticker is None:
            return self._refuse(200, "51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")
        return self._ok([ticker])

    # -- auth ----------------------------------------------------------------------------------
    async def authenticate(self, request: web.Request, body: str) -> Account | web.StreamResponse:
        headers = request.headers
        key, signature = headers.get("OK-ACCESS-KEY", ""), headers.get("OK-ACCESS-SIGN", "")
        stamp, passphrase = headers.get("OK-ACCESS-TIMESTAMP", ""), headers.get("OK-ACCESS-PASSPHRASE", "")
        for value, code, name in ((key, "50103", "KEY"), (signature, "50106", "SIGN"), (stamp, "50107", "TIMESTAMP"),
                                  (passphrase, "50104", "PASSPHRASE")):
            if not value:
                return self._refuse(401, code, f'Request header "OK-ACCESS-{name}" cannot be empty.')
        exchange = self.server.exchange
        account = exchange.account_of(key) if exchange is not None else None
        if exchange is None or account is None:
            return self._refuse(401, "50111", "Invalid OK-ACCESS-KEY.")
        api = exchange.keys[key]
        if not hmac.compare_digest(passphrase.encode(), api.passphrase.encode()):
            return self._refuse(401, "50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.')
        sent_ms = _iso_ms(stamp)
        if sent_ms is None:
            return self._refuse(401, "50112", "Invalid OK-ACCESS-TIMESTAMP.")
        if abs(self._now_ms() - sent_ms) > TIMESTAMP_TOLERANCE_MS:
            return self._refuse(401, "50102", "Timestamp request expired.")
        if not hmac.compare_digest(sign(api.secret, stamp, request.method, request.raw_path, body).encode(), signature.encode()):
            return self._refuse(401, "50113", "Invalid signature.")
        return account

    def private_error(self, status: int, reason: RejectReason, message: str) -> web.StreamResponse:
        refusal = _REFUSALS.get(reason)
        if refusal is not None:
            return self._refuse(*refusal)
        # Anything else refuses an order: HTTP 200, the reason in the item.
        return self._acks([self._ack("", "", "51009", "Order blocked. Please contact customer support for assistance.")])

    def _refuse(self, status: int, code: str, message: str) -> web.StreamResponse:
        return json_response(_json.encode({"code": code, "msg": message, "data": []}).decode(), status)

    def _ok(self, data: list[dict[str, object]]) -> web.StreamResponse:
        return json_response(_json.encode({"code": "0", "msg": "", "data": data}).decode())

    def _acks(self, acks: list[dict[str, object]]) -> web.StreamResponse:
        failed = sum(1 for a in acks if a["sCode"] != "0")
        if not failed:
            code, msg = "0", ""
        elif failed == len(acks):
            code, msg = "1", "All operations failed"
        else:
            code, msg = "2", "Bulk operation partially succeeded."
        now_us = str(self.server.clock() // 1000)
        return json_response(_json.encode({"code": code, "msg": msg, "data": acks, "inTime": now_us, "outTime": now_us}).decode())

    def _ack(self, cl_ord_id: str, ord_id: str, code: str = "0", message: str = "") -> dict[str, object]:
        return {"clOrdId": cl_ord_id, "ordId": ord_id, "tag": "", "ts": str(self._now_ms()), "sCode": code, "sMsg": message,
                "subCode": ""}

    # -- private handlers ----------------------------------------------------------------------
    async def _balance(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        wanted = {c for c in request.query.get("ccy", "").split(",") if c}
        details = []
        for asset, (free, locked) in sorted(account.balances.items()):
            if (wanted and asset not in wanted) or (free == 0 and locked == 0):
                continue  # "The currency details will not be returned when cashBal and eq is both 0."
            total = to_plain(free + locked)
            details.append({
                "availBal": to_plain(free), "availEq": "", "borrowFroz": "", "cashBal": total, "ccy": asset, "crossLiab": "",
                "disEq": "", "eq": total, "eqUsd": "", "fixedBal": "0", "frozenBal": to_plain(locked), "imr": "", "interest": "",
                "isoEq": "", "isoLiab": "", "isoUpl": "", "liab": "", "maxLoan": "", "mgnRatio": "", "mmr": "",
                "notionalLever": "", "ordFrozen": to_plain(locked), "rewardBal": "0", "spotInUseAmt": "", "spotIsoBal": "0",
                "stgyEq": "0", "twap": "0", "uTime": str(self._now_ms()), "upl": "", "uplLiab": "",
            })
        return self._ok([{
            "adjEq": "", "availEq": "", "borrowFroz": "", "details": details, "imr": "", "isoEq": "0", "mgnRatio": "", "mmr": "",
            "notionalUsd": "", "ordFroz": "", "totalEq": "", "uTime": str(self._now_ms()), "upl": "",
        }])

    async def _trade_fee(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        kind = request.query.get("instType", "")
        if not kind:
            return self._refuse(400, "50014", "Parameter instType can not be empty.")
        exchange = self.exchange
        maker, taker = _charged(exchange.maker_fee), _charged(exchange.taker_fee)
        return self._ok([{
            "category": "1", "delivery": "", "exercise": "", "feeGroup": [{"groupId": "1", "maker": maker, "taker": taker}],
            "fiat": [], "instType": kind, "level": "Lv1", "maker": maker, "makerU": "", "makerUSDC": maker, "ruleType": "normal",
            "taker": taker, "takerU": "", "takerUSDC": taker, "ts": str(self._now_ms()),
        }])

    async def _currencies(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        assets = sorted({a for s in self.server.symbols for a in split(s)})
        return self._ok([{
            "ccy": a, "name": a, "chain": f"{a}-{a}", "canDep": True, "canWd": True, "canInternal": True, "minDep": "0",
            "minWd": "0", "maxWd": "9999999999", "wdTickSz": "8", "wdQuota": "10000000", "usedWdQuota": "0", "fee": "0",
            "minFee": "0", "maxFee": "0", "mainNet": True, "needTag": False, "logoLink": "", "depQuotaFixed": "",
            "usedDepQuotaFixed": "", "depEstOpenTime": "", "wdEstOpenTime": "", "minDepArrivalConfirm": "1",
            "minWdUnlockConfirm": "1",
        } for a in assets])

    def _place_one(self, account: Account, item: object) -> dict[str, object]:
        """Place one order of a request body; its ack (``sCode`` "0", or why not)."""
        if not isinstance(item, dict):
            return self._ack("", "", "50002", "JSON syntax error")
        cl_ord_id = item.get("clOrdId") or ""
        if not isinstance(cl_ord_id, str) or len(cl_ord_id) > _CLORDID_MAX or (cl_ord_id and not (cl_ord_id.isalnum() and cl_ord_id.isascii())):
            return self._ack("", "", "51000", "Parameter clOrdId error")
        symbol = self.server.unified(str(item.get("instId", "")))
        if symbol is None:
            return self._ack(cl_ord_id, "", "51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")
        for name, allowed in (("tdMode", ("cash",)), ("side", ("buy", "sell")), ("ordType", tuple(_ORD_TYPES))):
            if item.get(name) not in allowed:  # spot cash, limit orders only here
                return self._ack(cl_ord_id, "", "51000", f"Parameter {name} error")
        try:
            price = from_decimal(str(item.get("px", "")))
        except ValueError:
            return self._ack(cl_ord_id, "", "51000", "Parameter px error")
        try:
            qty = from_decimal(str(item.get("sz", "")))
        except ValueError:
            return self._ack(cl_ord_id, "", "51000", "Parameter sz error")
        side = item["side"]
        exchange = self.exchange
        try:
            order = exchange.place(account, symbol, side, qty, price, _ORD_TYPES[item["ordType"]], cl_ord_id, self._now_ms())
        except Rejected as exc:
            return self._ack(cl_ord_id, "", *self._refusal(exc.reason, symbol, side, qty))
        return self._ack(cl_ord_id, str(order.order_id), "0", "Order placed")

    def _refusal(self, reason: RejectReason, symbol: str, side: str, qty: int) -> tuple[str, str]:
        base, quote = split(symbol)
        inst = self.server.instruments.get(self.name, symbol)
        if reason is RejectReason.BALANCE:
            return "51008", f"Order failed. Insufficient {quote if side == 'buy' else base} balance in account"
        if reason is RejectReason.PRICE:
            return "51000", "Parameter px error"
        if reason is RejectReason.LOT:
            if inst is not None and qty < inst.min_qty:
                return "51020", "Your order should meet or exceed the minimum order amount."
            return "51121", "Order quantity must be a multiple of the lot size."
        if reason is RejectReason.MIN_NOTIONAL:
            return "50122", "Order amount must exceed minimum amount"
        if reason is RejectReason.DUPLICATE:
            return "51016", "Client order ID already exists."
        return "51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist."

    async def _place(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        item = read_json(body)
        if not isinstance(item, dict):
            return self._refuse(400, "50002", "JSON syntax error")
        return self._acks([self._place_one(account, item)])

    async def _place_batch(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        items = read_json(body)
        if not isinstance(items, list) or not items:
            return self._refuse(400, "50002", "JSON syntax error")
        if len(items) > 20:
            return self._refuse(200, "51111", "Maximum 20 orders can be placed in bulk.")
        return self._acks([self._place_one(account, item) for item in items])

    def _find(self, account: Account, params: dict[str, Any]) -> SimOrder | None:
        symbol = self.server.unified(str(params.get("instId", "")))
        ord_id, cl_ord_id = str(params.get("ordId") or ""), str(params.get("clOrdId") or "")
        try:
            order = self.exchange.find(account, int(ord_id) if ord_id else None, None if ord_id else cl_ord_id)
        except (Rejected, ValueError):
            return None
        return order if order.symbol == symbol else None

    async def _query(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        params = dict(request.query)
        if self.server.unified(params.get("instId", "")) is None:
            return self._refuse(200, "51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")
        if not params.get("ordId") and not params.get("clOrdId"):
            return self._refuse(200, "51003", "Either client order ID or order ID is required.")
        order = self._find(account, params)
        if order is None:
            return self._refuse(200, "51603", "Order does not exist.")
        return self._ok([self._order_json(order)])

    async def _cancel(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        params = read_json(body)
        if not isinstance(params, dict):
            return self._refuse(400, "50002", "JSON syntax error")
        cl_ord_id, ord_id = str(params.get("clOrdId") or ""), str(params.get("ordId") or "")
        order = self._find(account, params)
        if order is None or not order.open:
            return self._acks([self._ack(cl_ord_id, ord_id, "51400",
                                         "Order cancellation failed as the order has been filled, canceled or does not exist.")])
        self.exchange.cancel(account, order, self._now_ms())
        return self._acks([self._ack(order.client_id, str(order.order_id))])

    async def _pending(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        native = request.query.get("instId")
        symbol = self.server.unified(native) if native else None
        if native and symbol is None:
            return self._refuse(200, "51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")
        orders = sorted(self.exchange.open_orders(account, symbol), key=lambda o: o.order_id, reverse=True)
        return self._ok([self._order_json(o) for o in orders[:100]])

    async def _fills(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        native, ord_id = request.query.get("instId"), request.query.get("ordId")
        symbol = self.server.unified(native) if native else None
        out: list[dict[str, object]] = []
        for t in reversed(account.trades):  # newest first
            if (native and t.symbol != symbol) or (ord_id and str(t.order_id) != ord_id):
                continue
            order = account.orders[t.order_id]
            inst = self.server.instruments.get(self.name, t.symbol)
            rate = self.exchange.maker_fee if t.maker else self.exchange.taker_fee
            out.append({
                "instType": "SPOT", "instId": inst.venue_symbol if inst else t.symbol, "tradeId": str(t.trade_id),
                "ordId": str(t.order_id), "clOrdId": order.client_id, "billId": str(10**9 + t.trade_id),
                "subType": "1" if t.side == "buy" else "2", "tag": "", "fillPx": to_plain(t.price), "fillSz": to_plain(t.qty),
                "fillIdxPx": "", "fillPnl": "0", "fillPxVol": "", "fillPxUsd": "", "fillMarkVol": "", "fillFwdPx": "",
                "fillMarkPx": "", "side": t.side, "posSide": "net", "execType": "M" if t.maker else "T", "feeCcy": t.fee_asset,
                "fee": _charged(t.fee), "ts": str(t.ts_ms), "fillTime": str(t.ts_ms), "feeRate": _charged(rate),
                "tradeQuoteCcy": split(t.symbol)[1],
            })
        return self._ok(out[:100])

    def _order_json(self, order: SimOrder) -> dict[str, object]:
        inst = self.server.instruments.get(self.name, order.symbol)
        base, quote = split(order.symbol)
        last = order.trades[-1] if order.trades else None
        fee_ccy = order.fee_asset or (base if order.side == "buy" else quote)
        source, source_reason = "", ""
        if order.status is OrderStatus.CANCELLED:
            source, source_reason = ("14", "Order canceled: IOC order was partially canceled due to incompletely filled") \
                if order.tif == "ioc" else ("1", "Order canceled by user")
        return {
            "accFillSz": to_plain(order.filled), "algoClOrdId": "", "algoId": "", "attachAlgoClOrdId": "", "attachAlgoOrds": [],
            "avgPx": to_plain(order.quote * ONE // order.filled) if order.filled else "", "cTime": str(order.created_ms),
            "cancelSource": source, "cancelSourceReason": source_reason, "category": "normal", "ccy": "", "clOrdId": order.client_id,
            "fee": _charged(order.fee), "feeCcy": fee_ccy, "fillPx": to_plain(last.price) if last else "",
            "fillSz": to_plain(last.qty) if last else "0", "fillTime": str(last.ts_ms) if last else "",
            "instId": inst.venue_symbol if inst else order.symbol, "instType": "SPOT", "isTpLimit": "false", "lever": "",
            "linkedAlgoOrd": {"algoId": ""}, "ordId": str(order.order_id), "ordType": "ioc" if order.tif == "ioc" else "limit",
            "pnl": "0", "posSide": "net", "px": to_plain(order.price), "pxType": "", "pxUsd": "", "pxVol": "", "quickMgnType": "",
            "rebate": "0", "rebateCcy": quote if order.side == "buy" else base, "reduceOnly": "false", "side": order.side,
            "slOrdPx": "", "slTriggerPx": "", "slTriggerPxType": "", "source": "", "state": _STATE_TEXT[order.status],
            "stpId": "", "stpMode": "cancel_maker", "sz": to_plain(order.qty), "tag": "", "tdMode": "cash", "tgtCcy": "",
            "tpOrdPx": "", "tpTriggerPx": "", "tpTriggerPxType": "", "tradeId": str(last.trade_id) if last else "",
            "tradeQuoteCcy": quote, "uTime": str(order.updated_ms),
        }



class OkxProtocol(OkxPrivate, VenueProtocol):
    name = "okx"
    path = "/ws/v5/public"
    private_path = "/ws/v5/private"

    def handshake(self, path: str) -> str | None:
        route = path.split("?", 1)[0]
        return None if route in (self.path, self.private_path) else f"no websocket endpoint at {route}"

    # -- the private websocket ------------------------------------------------------------------
    def _private_message(self, session: Session, message: str | bytes) -> None:
        conn_id = f"{session.conn_id:08x}"
        msg = read_json(message)
        op = msg.get("op") if isinstance(msg, dict) else None
        args = msg.get("args") if isinstance(msg, dict) else None
        if op not in ("login", "subscribe", "unsubscribe") or not isinstance(args, list) or not args \
                or not all(isinstance(a, dict) for a in args):
            self._error(session, "60012", f"Invalid request: {str(message)[:60]}", conn_id)
            return
        assert isinstance(msg, dict)
        if op == "login":
            refusal = self._login(args[0])
            if refusal is None:
                session.state["account"] = self.exchange.account_of(str(args[0].get("apiKey")))
                self.send(session, [_json.encode({"event": "login", "code": "0", "msg": "", "connId": conn_id}).decode()])
                return
            self._error(session, *refusal, conn_id)
            self.server.close_session(session, 1000, "login failed")
            return
        account = session.state.get("account")
        for arg in args:
            if arg.get("channel") != "orders" or arg.get("instType") not in ("SPOT", "ANY"):
                self._error(session, "60018", f"Wrong URL or channel:{arg.get('channel')},instType:{arg.get('instType')} doesn't exist.", conn_id)
                continue
            if account is None:
                self._error(session, "60011", "Please log in.", conn_id)
                continue
            self._event(session, op, {"channel": "orders", "instType": arg["instType"]}, msg.get("id"), conn_id)
            if op == "subscribe":
                self.server.watch_orders(session, account.name)

    def _login(self, arg: dict[str, Any]) -> tuple[str, str] | None:
        """Why a login is refused (``(code, message)``), or None."""
        key, passphrase, stamp, signature = (str(arg.get(k, "")) for k in ("apiKey", "passphrase", "timestamp", "sign"))
        api = self.exchange.keys.get(key)
        if api is None:
            return "60005", "Invalid OK-ACCESS-KEY"
        if not hmac.compare_digest(passphrase.encode(), api.passphrase.encode()):
            return "60024", "Wrong passphrase"
        if not stamp.isdigit() or abs(self._now_ms() - int(stamp) * 1000) > TIMESTAMP_TOLERANCE_MS:
            return "60006", "Timestamp request expired"
        if not hmac.compare_digest(sign(api.secret, stamp, "GET", "/users/self/verify").encode(), signature.encode()):
            return "60007", "Invalid sign"
        return None

    def order_update(self, order: SimOrder, trade: SimTrade | None) -> list[str]:
        data = self._order_json(order)
        data.update(
            fillPx=to_plain(trade.price) if trade else "", fillSz=to_plain(trade.qty) if trade else "0",
            fillFee=_charged(trade.fee) if trade else "0", fillFeeCcy=trade.fee_asset if trade else "",
            fillTime=str(trade.ts_ms) if trade else "", tradeId=str(trade.trade_id) if trade else "",
            execType=("M" if trade.maker else "T") if trade else "", code="0", msg="", reqId="", amendResult="",
            amendSource="", fillNotionalUsd="", notionalUsd="", lastPx="", fillPnl="0",
        )
        arg = {"channel": "orders", "instType": "SPOT", "uid": order.account}
        return [_json.encode({"arg": arg, "data": [data]}).decode()]
    limits = Limits(messages=(480, 3600.0), count_pings=False, connections=(3, 1.0), error='{"event":"error","code":"60014","msg":"$msg","connId":"$conn"}')  # NOTES: 480 (un)subscribes/h, 3 connects/s

    def is_ping(self, message: str | bytes) -> bool:
        return message == "ping" or message == b"ping"

    def on_message(self, session: Session, message: str | bytes) -> None:
        if self.is_ping(message):
            self.send(session, ["pong"])
            return
        if session.path.startswith(self.private_path):
            self._private_message(session, message)
            return
        conn_id = f"{session.conn_id:08x}"
        msg = read_json(message)
        if not isinstance(msg, dict):
            self._error(session, "60012", f"Invalid request: {str(message)[:60]}", conn_id)
            return
        op, args = msg.get("op"), msg.get("args")
        if op not in ("subscribe", "unsubscribe") or not isinstance(args, list) or not args:
            self._error(session, "60012", f"Invalid request: {str(message)[:60]}", conn_id)
            return
        for arg in args:
            channel = arg.get("channel") if isinstance(arg, dict) else None
            inst = arg.get("instId") if isinstance(arg, dict) else None
            if channel in _QUIET_CHANNELS:
                self._event(session, op, {"channel": channel, "instId": inst}, msg.get("id"), conn_id)
                continue
            symbol = self.server.unified(inst) if channel == okx.CHANNEL and isinstance(inst, str) else None
            if symbol is None:
                self._error(session, "60018", f"Wrong URL or channel:{channel},instId:{inst} doesn't exist.", conn_id)
                continue
            stream = self.server.stream(symbol, BOOK)
            self._event(session, op, {"channel": channel, "instId": inst}, msg.get("id"), conn_id)
            if op == "subscribe":
                self.server.subscribe(session, stream)
                bids, asks, seq, book = self.snapshot_args(symbol)
                self.send(session, stream.encoder.snapshot(symbol, bids, asks, seq, self.server.clock(), book))
            else:
                self.server.unsubscribe(session, stream)

    def _event(self, session: Session, event: str, arg: dict[str, object], req_id: Any, conn_id: str) -> None:
        reply: dict[str, Any] = {} if req_id is None else {"id": req_id}
        reply.update(event=event, arg=arg, connId=conn_id)
        self.send(session, [_json.encode(reply).decode()])

    def _error(self, session: Session, code: str, msg: str, conn_id: str) -> None:
        self.send(session, [_json.encode({"event": "error", "code": code, "msg": msg, "connId": conn_id}).decode()])

    def encoder(self, kind: str, param: Any) -> Encoder:
        return Encoder(self.server.symbol_map)

    def routes(self) -> list[Route]:
        return [Route("GET", "/api/v5/market/books", self._books), *self.public_routes()]

    async def _books(self, request: web.Request) -> web.StreamResponse:
        """``GET /api/v5/market/books?instId=…&sz=…`` (no ``seqId``: a cross-check only)."""
        query = self.book_query(request, "instId", "sz", 1, 400)
        if isinstance(query, str):
            return json_response(_json.encode({"code": "51001", "msg": query, "data": []}).decode(), 400)
        symbol, limit = query
        bids, asks, seq, _ = self.snapshot_args(symbol, limit)
        _, body = self.encoder(BOOK, None).rest_snapshot(self.server.rest_url, symbol, bids, asks, seq, self.server.clock())
        return json_response(body)

    def rest_error(self, status: int, message: str) -> str:
        code = "50011" if status == 429 else str(status)
        return _json.encode({"code": code, "msg": message, "data": []}).decode()
