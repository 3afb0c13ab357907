"""Coinbase Advanced Trade, server side: ``level2`` + ``heartbeats``, one ``sequence_num`` per connection.

- The bare endpoint (``wss://advanced-trade-ws.coinbase.com``). One channel per request:
  ``{"type":"subscribe","product_ids":[…],"channel":"level2"}`` → one ``l2_data`` message
  with each new product's ``snapshot`` event, then a ``subscriptions`` message listing
  everything the connection is subscribed to; ``update`` events follow.
  ``{"type":"subscribe","channel":"heartbeats"}`` → a ``heartbeats`` message every second.
  ``unsubscribe`` drops products (subscribing again brings a fresh snapshot).
- Every message on a connection — ``l2_data``, ``subscriptions``, ``heartbeats`` — takes
  the connection's next ``sequence_num`` (from 0): frames are
  :class:`~arb.sim.server.frames.Numbered`, encoded once and numbered per connection.
- Errors ``{"type":"error","message":"…"}`` (no ``sequence_num``).
- The private ``user`` channel (the real venue serves it on its own host,
  ``advanced-trade-ws-user``; this server on its one websocket host):
  ``{"type":"subscribe","channel":"user","product_ids":[…],"jwt":…}`` with an ES256 JWT of
  one of its keys (verified as on REST, no ``uri`` claim) → ``user`` messages with a
  ``snapshot`` of the account's open orders (50 a message), the ``subscriptions`` message, then
  an ``update`` for every change of the account's orders (cumulative quantity, value and fees).
  A bad JWT: ``{"type":"error","message":"authentication failure"}`` (the connection stays).
  Every order of the account is pushed whatever ``product_ids`` names (arb names none: all).
- ``GET /api/v3/brokerage/market/product_book?product_id=…&limit=…`` (a cross-check; it
  carries no sequence).
- Listings and the private API: :class:`CoinbasePrivate`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from arb.core.numbers import ONE, from_decimal, parse_fixed, to_plain
from arb.sim.exchange import Account, KeyMaker, Rejected, SimOrder, SimTrade
from arb.sim.market import BookChange
from arb.sim.server.frames import Numbered, Out
from arb.sim.server.protocol import BOOK, Limits, Route, VenueProtocol, json_response, read_json, synthetic_volume
from arb.sim.server.session import Session
from arb.sim.server.venue import Stream
from arb.venues.coinbase import Encoder
from arb.venues.coinbase import market_data as coinbase
from arb.venues.coinbase.wire import rfc3339
from arb.venues.trading import OrderStatus, RejectReason
from arb.venues.wire import Frame

_json = msgspec.json.Encoder()
_LEVEL2 = ("level2", "l2_data")


# -- listings and the private API ---------------------------------------------------------------
#: The order of the EC P-256 group (private keys are scalars in [1, n - 1]).
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
#: The venue's REST host: what a JWT's ``uri`` claim names on the real venue.
_REST_HOST = "api.coinbase.com"
BROKERAGE = "/api/v3/brokerage"
_UNAUTHORIZED = "Unauthorized\n"
#: Order refusals: ``(error, preview_failure_reason, message)`` of the ``error_response``.
_FAILURE = {
    RejectReason.BALANCE: ("INSUFFICIENT_FUND", "PREVIEW_INSUFFICIENT_FUND", "Insufficient balance in source account"),
    RejectReason.PRICE: ("INVALID_PRICE_PRECISION", "PREVIEW_INVALID_PRICE_PRECISION", "Invalid price precision"),
    RejectReason.LOT: ("INVALID_SIZE_PRECISION", "PREVIEW_INVALID_SIZE_PRECISION", "Invalid size precision or size too small"),
    RejectReason.MIN_NOTIONAL: ("UNKNOWN_FAILURE_REASON", "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL", "Quote size too small"),
}
_STATUS_TEXT = {
    OrderStatus.NEW: "OPEN", OrderStatus.PARTIALLY_FILLED: "OPEN", OrderStatus.FILLED: "FILLED",
    OrderStatus.CANCELLED: "CANCELLED", OrderStatus.REJECTED: "FAILED",
}
_CONFIG_TIF = {"sor_limit_ioc": "ioc", "limit_limit_gtc": "gtc"}


def cdp_key(n: int, raw: bytes) -> tuple[str, str, str]:
    """A key shaped like a CDP API key (:data:`~arb.sim.exchange.KeyMaker`): the name
    ``organizations/<uuid>/apiKeys/<uuid>``, an EC P-256 private key in SEC1 PEM (what the
    venue hands out), no passphrase — all from ``raw``."""
    scalar = int.from_bytes(hashlib.sha256(raw + b"ec").digest(), "big") % (_P256_ORDER - 1) + 1
    pem = ec.derive_private_key(scalar, ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    org = uuid.UUID(bytes=hashlib.sha256(raw + b"org").digest()[:16], version=4)
    kid = uuid.UUID(bytes=hashlib.sha256(raw + b"kid").digest()[:16], version=4)
    return f"organizations/{org}/apiKeys/{kid}", pem, ""


@functools.lru_cache(maxsize=256)
def _public_key(pem: str) -> ec.EllipticCurvePublicKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key.public_key()


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def order_uuid(order_id: int) -> str:
    """The venue's id of a simulated order: a UUID ending in the order's number (so it maps back)."""
    h = hashlib.sha256(f"coinbase:{order_id}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{order_id:012x}"


def _order_number(text: str) -> int | None:
    try:
        number = int(text[-12:], 16)
    except ValueError:
        return None
    return number if order_uuid(number) == text else None


def _time(ms: int) -> str:
    return rfc3339(ms * 1_000_000)[:-4] + "Z"  # REST times carry microseconds


class CoinbasePrivate(VenueProtocol):
    """Coinbase Advanced Trade's listings and private REST API (``/api/v3/brokerage``), on an
    :class:`~arb.sim.exchange.Exchange`, plus the few Coinbase App v2 endpoints ccxt reads
    (``/v2/currencies``, ``/v2/exchange-rates``, ``/v2/accounts``).

    - Keys are CDP keys (:func:`cdp_key`). Every private request carries ``Authorization:
      Bearer <JWT>``: ES256 over the key's EC key, ``sub``/``kid`` the key name, ``nbf``/``exp``
      at most 120 s apart around now, ``uri`` = ``"METHOD host/path"`` (host: the venue's, or
      this server's — a client pointed at ``http://`` may keep the scheme in it). Anything
      else is ``401 Unauthorized`` (plain text), as the venue answers.
    - Orders are limit orders only (``sor_limit_ioc``, ``limit_limit_gtc``): never an
      unprotected market order. A refusal is ``200`` with ``"success": false`` and the
      reason in ``error_response``; a ``client_order_id`` used before answers with that order.
      Fees are charged in the quote currency.
    - ``private_budget``: 30 requests / s per key (the venue's private limit).
    """

    name: str
    fee_asset = "quote"
    private_budget = (30, 1.0)
    key_maker: KeyMaker | None = staticmethod(cdp_key)

    def public_routes(self) -> list[Route]:
        return [
            Route("GET", f"{BROKERAGE}/market/products", self._products),
            Route("GET", f"{BROKERAGE}/market/products/{{product_id}}", self._product),
            Route("GET", f"{BROKERAGE}/time", self._time),
            Route("GET", "/v2/currencies", self._fiat),
            Route("GET", "/v2/currencies/crypto", self._crypto),
            Route("GET", "/v2/exchange-rates", self._exchange_rates),
        ]

    def private_routes(self) -> list[Route]:
        r = self.private_route
        return [
            r("GET", f"{BROKERAGE}/accounts", 1, self._accounts),
            r("GET", f"{BROKERAGE}/transaction_summary", 1, self._summary),
            r("POST", f"{BROKERAGE}/orders", 1, self._place, order=True),
            r("POST", f"{BROKERAGE}/orders/batch_cancel", 1, self._cancel),
            r("GET", f"{BROKERAGE}/orders/historical/batch", 1, self._orders),
            r("GET", f"{BROKERAGE}/orders/historical/fills", 1, self._fills),
            r("GET", f"{BROKERAGE}/orders/historical/{{order_id}}", 1, self._order),
            r("GET", f"{BROKERAGE}/best_bid_ask", 1, self._best_bid_ask),
            r("GET", f"{BROKERAGE}/products", 1, self._products),
            r("GET", "/v2/accounts", 1, self._accounts_v2),
        ]

    # -- public ------------------------------------------------------------------------------
    def _now_ms(self) -> int:
        return self.server.clock() // 1_000_000

    def _product_json(self, symbol: str) -> dict[str, object] | None:
        inst = self.server.instruments.get(self.name, symbol)
        if inst is None:
            return None
        base, quote = inst.venue_symbol.split("-", 1)
        book = self.server.book(symbol)
        bid, ask = book.best_bid(), book.best_ask()
        mid = (parse_fixed(bid[0]) + parse_fixed(ask[0])) // 2 if bid and ask else 0
        volume = synthetic_volume(symbol, mid)
        exchange = self.server.exchange
        halted = exchange is not None and symbol in exchange.halted
        return {
            "product_id": inst.venue_symbol, "price": to_plain(mid), "price_percentage_change_24h": "0",
            "volume_24h": to_plain(volume), "volume_percentage_change_24h": "0", "base_increment": to_plain(inst.lot_size),
            "quote_increment": to_plain(inst.tick_size), "quote_min_size": to_plain(inst.min_notional),
            "quote_max_size": "150000000", "base_min_size": to_plain(inst.min_qty or inst.lot_size), "base_max_size": "3400",
            "base_name": base, "quote_name": quote, "watched": False, "is_disabled": False, "new": False, "status": "online",
            "cancel_only": False, "limit_only": False, "post_only": False, "trading_disabled": halted, "auction_mode": False,
            "product_type": "SPOT", "quote_currency_id": quote, "base_currency_id": base, "fcm_trading_session_details": None,
            "mid_market_price": "", "alias": "", "alias_to": [], "base_display_symbol": base, "quote_display_symbol": quote,
            "view_only": False, "price_increment": to_plain(inst.tick_size), "display_name": inst.venue_symbol,
            "product_venue": "CBE", "approximate_quote_24h_volume": to_plain(volume * mid // ONE),
            "best_bid_price": bid[0] if bid else "", "best_ask_price": ask[0] if ask else "",
        }

    async def _products(self, request: web.Request, account: Account | None = None, body: str = "") -> web.StreamResponse:
        if request.query.get("product_type", "SPOT") != "SPOT":  # futures and perpetuals: none here
            return self._ok({"products": [], "num_products": 0})
        wanted = request.query.getall("product_ids", [])
        symbols = [self.server.unified(p) for p in wanted] if wanted else list(self.server.symbols)
        products = [p for p in (self._product_json(s) for s in symbols if s is not None) if p is not None]
        return self._ok({"products": products, "num_products": len(products)})

    async def _product(self, request: web.Request) -> web.StreamResponse:
        symbol = self.server.unified(request.match_info["product_id"])
        product = self._product_json(symbol) if symbol is not None else None
        if product is None:
            return self._error(404, "NOT_FOUND", "product not found")
        return self._ok(product)

    async def _time(self, request: web.Request) -> web.StreamResponse:
        now_ms = self._now_ms()
        return self._ok({"iso": _time(now_ms), "epochSeconds": str(now_ms // 1000), "epochMillis": str(now_ms)})

    def _assets(self) -> list[str]:
        return sorted({a for s in self.server.symbols for a in self.server.native(s).split("-", 1)})

    async def _fiat(self, request: web.Request) -> web.StreamResponse:
        return self._ok({"data": [{"id": "USD", "name": "US Dollar", "min_size": "0.01"}]})

    async def _crypto(self, request: web.Request) -> web.StreamResponse:
        data = [{
            "asset_id": str(uuid.UUID(bytes=hashlib.sha256(a.encode()).digest()[:16], version=4)), "code": a, "name": a,
            "color": "#0052FF", "sort_index": str(i), "exponent": "8", "type": "crypto", "address_regex": ".*",
        } for i, a in enumerate(self._assets()) if a != "USD"]
        return self._ok({"data": data})

    async def _exchange_rates(self, request: web.Request) -> web.StreamResponse:
        """Units of each asset per USD (USD-pegged quotes count as USD)."""
        rates = {"USD": "1"}
        for symbol in self.server.symbols:
            base, quote = self.server.native(symbol).split("-", 1)
            rates.setdefault(quote, "1")
            book = self.server.book(symbol)
            bid, ask = book.best_bid(), book.best_ask()
            if bid and ask:
                mid = (parse_fixed(bid[0]) + parse_fixed(ask[0])) // 2
                rates[base] = to_plain(ONE * ONE // mid)
        return self._ok({"data": {"currency": "USD", "rates": rates}})

    # -- auth --------------------------------------------------------------------------------
    async def authenticate(self, request: web.Request, body: str) -> Account | web.StreamResponse:
        """The ES256 JWT of ``Authorization: Bearer``: key, signature, lifetime and ``uri``."""
        exchange = self.server.exchange
        auth = request.headers.get("Authorization", "")
        verified = self._verify_jwt(auth[7:]) if auth.startswith("Bearer ") else None
        if exchange is None or verified is None:
            return self._unauthorized()
        name, claims = verified
        if claims.get("uri") not in self._uris(request):
            return self._unauthorized()
        return exchange.accounts[exchange.keys[name].account]

    def _verify_jwt(self, token: str) -> tuple[str, dict[str, Any]] | None:
        """``(key name, claims)`` of a JWT signed (ES256) by one of the venue's keys and valid
        now (``nbf``/``exp`` at most 120 s apart around now); None for anything else."""
        exchange = self.server.exchange
        parts = token.split(".")
        if exchange is None or len(parts) != 3:
            return None
        try:
            header, claims = msgspec.json.decode(_b64url(parts[0])), msgspec.json.decode(_b64url(parts[1]))
            signature = _b64url(parts[2])
        except (ValueError, msgspec.DecodeError):
            return None
        if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "ES256" or len(signature) != 64:
            return None
        name = claims.get("sub")
        key = exchange.keys.get(name) if isinstance(name, str) and header.get("kid") == name else None
        if key is None:
            return None
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            _public_key(key.secret).verify(der, f"{parts[0]}.{parts[1]}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return None
        now_s = self._now_ms() // 1000
        nbf, exp = claims.get("nbf"), claims.get("exp")
        if not (isinstance(nbf, int) and isinstance(exp, int) and nbf - 5 <= now_s < exp and exp - nbf <= 120):
            return None  # expired, not yet valid, or living too long
        assert isinstance(name, str)
        return name, claims

    def _uris(self, request: web.Request) -> set[str]:
        """The ``uri`` claims that name ``request``."""
        method, path = request.method, request.path
        hosts = (_REST_HOST, request.host, f"http://{request.host}", f"https://{request.host}")
        return {f"{method} {host}{path}" for host in hosts}

    def _unauthorized(self) -> web.StreamResponse:
        return web.Response(status=401, text=_UNAUTHORIZED, content_type="text/plain")

    def private_error(self, status: int, reason: RejectReason, message: str) -> web.StreamResponse:
        """Auth, rate-limit, server and not-found errors with their HTTP status; an order's
        refusal as the venue words it: ``200`` and ``"success": false``."""
        if reason is RejectReason.AUTH:
            return self._unauthorized()
        if reason is RejectReason.RATE_LIMIT:
            return self._error(429, "RATE_LIMIT_EXCEEDED", "Too many requests")
        if reason is RejectReason.UNAVAILABLE:
            return self._error(status if status >= 500 else 503, "UNAVAILABLE", message)
        if reason is RejectReason.NOT_FOUND:
            return self._error(404, "NOT_FOUND", "order with this orderID was not found")
        return self._failed(reason, message)

    def _failed(self, reason: RejectReason, message: str, error: str = "", config: dict[str, object] | None = None) -> web.StreamResponse:
        code, preview, text = _FAILURE.get(reason, (error or "UNKNOWN_FAILURE_REASON", "UNKNOWN_PREVIEW_FAILURE_REASON", message))
        return self._ok({
            "success": False, "failure_reason": "UNKNOWN_FAILURE_REASON", "order_id": "",
            "error_response": {"error": code, "message": text, "error_details": message, "preview_failure_reason": preview,
                               "new_order_failure_reason": code if code != "UNKNOWN_FAILURE_REASON" else "UNKNOWN_FAILURE_REASON"},
            "order_configuration": config or {},
        })

    def _error(self, status: int, error: str, message: str) -> web.StreamResponse:
        return json_response(_json.encode({"error": error, "error_details": message, "message": message}).decode(), status)

    def _ok(self, body: object) -> web.StreamResponse:
        return json_response(_json.encode(body).decode())

    # -- accounts and fees ---------------------------------------------------------------------
    def _wallets(self, account: Account) -> list[tuple[str, int, int]]:
        """``(asset, free, locked)`` of every wallet: one per asset the venue lists, or holds."""
        assets = sorted(set(self._assets()) | set(account.balances))
        return [(a, account.free(a), account.locked(a)) for a in assets]

    async def _accounts(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        try:
            limit = min(250, max(1, int(request.query.get("limit", "49"))))
            start = int(request.query.get("cursor") or "0")
        except ValueError:
            return self._error(400, "INVALID_ARGUMENT", "limit and cursor must be integers")
        wallets = self._wallets(account)
        page = wallets[start:start + limit]
        now = _time(self._now_ms())
        accounts = [{
            "uuid": str(uuid.UUID(bytes=hashlib.sha256(f"{account.name}:{a}".encode()).digest()[:16], version=4)),
            "name": f"{a} Wallet", "currency": a, "available_balance": {"value": to_plain(free), "currency": a},
            "default": True, "active": True, "created_at": now, "updated_at": now, "deleted_at": None,
            "type": "ACCOUNT_TYPE_FIAT" if a == "USD" else "ACCOUNT_TYPE_CRYPTO", "ready": True,
            "hold": {"value": to_plain(locked), "currency": a}, "retail_portfolio_id": account.name,
        } for a, free, locked in page]
        more = start + limit < len(wallets)
        return self._ok({"accounts": accounts, "has_next": more, "cursor": str(start + limit) if more else "", "size": len(accounts)})

    async def _accounts_v2(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        """Coinbase App ``/v2/accounts`` (ccxt's default balance source): each wallet's total."""
        now = _time(self._now_ms())
        data = []
        for a, free, locked in self._wallets(account):
            wallet_id = str(uuid.UUID(bytes=hashlib.sha256(f"v2:{account.name}:{a}".encode()).digest()[:16], version=4))
            data.append({
                "id": wallet_id, "name": f"{a} Wallet", "primary": False, "type": "fiat" if a == "USD" else "wallet",
                "currency": {"code": a, "name": a, "color": "#0052FF", "sort_index": 0, "exponent": 8,
                             "type": "fiat" if a == "USD" else "crypto", "address_regex": ".*", "asset_id": wallet_id, "slug": a.lower()},
                "balance": {"amount": to_plain(free + locked), "currency": a}, "created_at": now, "updated_at": now,
                "resource": "account", "resource_path": f"/v2/accounts/{wallet_id}", "allow_deposits": True,
                "allow_withdrawals": True,
            })
        pagination = {"ending_before": None, "starting_after": None, "previous_ending_before": None, "next_starting_after": None,
                      "limit": len(data), "order": "desc", "previous_uri": None, "next_uri": None}
        return self._ok({"pagination": pagination, "data": data})

    async def _summary(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        exchange = self.exchange
        tier = {"pricing_tier": "Advanced 1", "usd_from": "0", "usd_to": "10000", "taker_fee_rate": to_plain(exchange.taker_fee),
                "maker_fee_rate": to_plain(exchange.maker_fee), "aop_from": "", "aop_to": ""}
        return self._ok({"total_volume": 0, "total_fees": 0, "fee_tier": tier, "margin_rate": None, "goods_and_services_tax": None,
                         "advanced_trade_only_volume": 0, "advanced_trade_only_fees": 0, "coinbase_pro_volume": 0,
                         "coinbase_pro_fees": 0, "total_balance": "", "has_promo_fee": False})

    # -- orders ------------------------------------------------------------------------------
    async def _place(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        exchange = self.exchange
        req = read_json(body)
        if not isinstance(req, dict) or not isinstance(req.get("client_order_id"), str) or not req["client_order_id"]:
            return self._error(400, "INVALID_ARGUMENT", "client_order_id is required")
        client_id = req["client_order_id"]
        known = account.by_client.get(client_id)
        if known is not None:  # the venue's idempotency: the order this id placed before
            return self._created(account.orders[known])
        config = req.get("order_configuration")
        config = config if isinstance(config, dict) else {}
        symbol = self.server.unified(str(req.get("product_id", "")))
        if symbol is None:
            return self._failed(RejectReason.OTHER, "product not found", "INVALID_PRODUCT_ID", config)
        side = str(req.get("side", "")).lower()
        if side not in ("buy", "sell"):
            return self._failed(RejectReason.OTHER, "side must be BUY or SELL", "INVALID_SIDE", config)
        kinds = [k for k in config if k in _CONFIG_TIF]
        if len(config) != 1 or not kinds:  # only limit orders: never an unprotected market order
            return self._failed(RejectReason.OTHER, "only sor_limit_ioc and limit_limit_gtc orders", "UNSUPPORTED_ORDER_CONFIGURATION", config)
        terms = config[kinds[0]]
        try:
            qty, price = from_decimal(terms["base_size"]), from_decimal(terms["limit_price"])
        except (KeyError, TypeError, ValueError):
            return self._error(400, "INVALID_ARGUMENT", "base_size and limit_price must be decimal strings")
        try:
            order = exchange.place(account, symbol, side, qty, price, _CONFIG_TIF[kinds[0]], client_id, self._now_ms())
        except Rejected as exc:
            return self._failed(exc.reason, exc.message, "ORDER_ENTRY_DISABLED" if exc.reason is RejectReason.OTHER else "", config)
        return self._created(order)

    def _created(self, order: SimOrder) -> web.StreamResponse:
        product = self.server.native(order.symbol)
        order_id = order_uuid(order.order_id)
        return self._ok({
            "success": True, "failure_reason": "UNKNOWN_FAILURE_REASON", "order_id": order_id,
            "success_response": {"order_id": order_id, "product_id": product, "side": order.side.upper(),
                                 "client_order_id": order.client_id},
            "order_configuration": self._config(order),
        })

    def _config(self, order: SimOrder) -> dict[str, object]:
        terms: dict[str, object] = {"base_size": to_plain(order.qty), "limit_price": to_plain(order.price)}
        if order.tif == "gtc":
            return {"limit_limit_gtc": {**terms, "post_only": False}}
        return {"sor_limit_ioc": terms}

    def _order_json(self, order: SimOrder) -> dict[str, object]:
        done = not order.open
        average = order.quote * ONE // order.filled if order.filled else 0
        value_after_fees = order.quote + order.fee if order.side == "buy" else order.quote - order.fee
        last_fill = order.trades[-1].ts_ms if order.trades else None
        return {
            "order_id": order_uuid(order.order_id), "product_id": self.server.native(order.symbol), "user_id": order.account,
            "order_configuration": self._config(order), "side": order.side.upper(), "client_order_id": order.client_id,
            "status": _STATUS_TEXT[order.status],
            "time_in_force": "GOOD_UNTIL_CANCELLED" if order.tif == "gtc" else "IMMEDIATE_OR_CANCEL",
            "created_time": _time(order.created_ms), "completion_percentage": to_plain(order.filled * 100 * ONE // order.qty),
            "filled_size": to_plain(order.filled), "average_filled_price": to_plain(average), "fee": "0",
            "number_of_fills": str(len(order.trades)), "filled_value": to_plain(order.quote), "pending_cancel": False,
            "size_in_quote": False, "total_fees": to_plain(order.fee), "size_inclusive_of_fees": False,
            "total_value_after_fees": to_plain(value_after_fees), "trigger_status": "INVALID_ORDER_TYPE", "order_type": "LIMIT",
            "reject_reason": "", "settled": done, "product_type": "SPOT", "reject_message": "",
            "cancel_message": "" if order.status is not OrderStatus.CANCELLED else (
                "Immediate or cancel order: the rest was cancelled" if order.tif == "ioc" else "User requested cancel"),
            "order_placement_source": "RETAIL_ADVANCED", "outstanding_hold_amount": to_plain(order.locked),
            "is_liquidation": False, "last_fill_time": _time(last_fill) if last_fill is not None else None, "leverage": "",
            "margin_type": "", "retail_portfolio_id": order.account, "originating_order_id": "", "attached_order_id": "",
        }

    def _find(self, account: Account, order_id: str) -> SimOrder | None:
        number = _order_number(order_id)
        return account.orders.get(number) if number is not None else None

    async def _order(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        order = self._find(account, request.match_info["order_id"])
        if order is None:
            return self.private_error(404, RejectReason.NOT_FOUND, "order not found")
        return self._ok({"order": self._order_json(order)})

    async def _orders(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        """Orders newest first, by product (``product_ids``, or ccxt's ``product_id``) and status."""
        query = request.query
        products = set(query.getall("product_ids", []) + query.getall("product_id", []))
        statuses = set(query.getall("order_status", []))
        try:
            limit = max(1, min(1000, int(query.get("limit", "1000"))))
            start = int(query.get("cursor") or "0")
        except ValueError:
            return self._error(400, "INVALID_ARGUMENT", "limit and cursor must be integers")
        chosen = [o for o in sorted(account.orders.values(), key=lambda o: o.order_id, reverse=True)
                  if (not products or self.server.native(o.symbol) in products)
                  and (not statuses or _STATUS_TEXT[o.status] in statuses)]
        page = chosen[start:start + limit]
        more = start + limit < len(chosen)
        return self._ok({"orders": [self._order_json(o) for o in page], "sequence": "0", "has_next": more,
                         "cursor": str(start + limit) if more else ""})

    async def _fills(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        query = request.query
        order_ids = set(query.getall("order_ids", []) + query.getall("order_id", []))
        products = set(query.getall("product_ids", []) + query.getall("product_id", []))
        fills = []
        for t in reversed(account.trades):
            product, order_id = self.server.native(t.symbol), order_uuid(t.order_id)
            if (order_ids and order_id not in order_ids) or (products and product not in products):
                continue
            fills.append({
                "entry_id": str(t.trade_id), "trade_id": str(t.trade_id), "order_id": order_id, "trade_time": _time(t.ts_ms),
                "trade_type": "FILL", "price": to_plain(t.price), "size": to_plain(t.qty), "commission": to_plain(t.fee),
                "product_id": product, "sequence_timestamp": _time(t.ts_ms),
                "liquidity_indicator": "MAKER" if t.maker else "TAKER", "size_in_quote": False, "user_id": account.name,
                "side": t.side.upper(), "retail_portfolio_id": account.name,
            })
        return self._ok({"fills": fills, "cursor": ""})

    async def _cancel(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        req = read_json(body)
        ids = req.get("order_ids") if isinstance(req, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            return self._error(400, "INVALID_ARGUMENT", "order_ids must list order ids")
        results = []
        for order_id in ids:
            order = self._find(account, order_id)
            if order is None or not order.open:
                failure = "ORDER_IS_FULLY_FILLED" if order is not None and order.status is OrderStatus.FILLED else "UNKNOWN_CANCEL_ORDER"
                results.append({"success": False, "failure_reason": failure, "order_id": order_id})
                continue
            self.exchange.cancel(account, order, self._now_ms())
            results.append({"success": True, "failure_reason": "UNKNOWN_CANCEL_FAILURE_REASON", "order_id": order_id})
        return self._ok({"results": results})

    async def _best_bid_ask(self, request: web.Request, account: Account, body: str) -> web.StreamResponse:
        wanted = request.query.getall("product_ids", [])
        symbols = [self.server.unified(p) for p in wanted] if wanted else list(self.server.symbols)
        books = []
        for symbol in symbols:
            if symbol is None:
                continue
            book = self.server.book(symbol)
            bid, ask = book.best_bid(), book.best_ask()
            books.append({"product_id": self.server.native(symbol),
                          "bids": [{"price": bid[0], "size": bid[1]}] if bid else [],
                          "asks": [{"price": ask[0], "size": ask[1]}] if ask else [], "time": _time(self._now_ms())})
        return self._ok({"pricebooks": books})


class CoinbaseProtocol(CoinbasePrivate, VenueProtocol):
    name = "coinbase"
    path = "/"
    heartbeats = True
    limits = Limits(messages=(8, 1.0), messages_per_ip=True, connections=(750, 1.0), error='{"type":"error","message":"$msg"}')  # NOTES: 8 msgs/s per IP, 750 connects/s

    def ws_url(self, base: str) -> str:
        return base

    def on_message(self, session: Session, message: str | bytes) -> None:
        msg = read_json(message)
        if not isinstance(msg, dict) or msg.get("type") not in ("subscribe", "unsubscribe"):
            self.send(session, [Encoder.error("Failed to parse the request: expected type subscribe or unsubscribe")])
            return
        subscribing = msg["type"] == "subscribe"
        channel = msg.get("channel")
        ts = self.server.clock()
        if channel == "heartbeats":
            session.state["heartbeats"] = subscribing
            self._subscriptions(session, ts)
            return
        if channel == "user":
            self._user(session, msg, subscribing, ts)
            return
        if channel not in _LEVEL2:
            self.send(session, [Encoder.error(f"Failed to subscribe: unknown channel {str(channel)[:40]}")])
            return
        products = msg.get("product_ids")
        if not isinstance(products, list) or not products:
            self.send(session, [Encoder.error("Failed to subscribe: product_ids must name at least one product")])
            return
        unknown = [p for p in products if not isinstance(p, str) or self.server.unified(p) is None]
        if unknown:
            self.send(session, [Encoder.error(f"Failed to subscribe: unknown product ids {str(unknown)[:80]}")])
            return
        events = []
        encoder: Encoder | None = None
        for product in products:
            symbol = self.server.unified(product)
            assert symbol is not None
            stream = self.server.stream(symbol, BOOK)
            if subscribing:
                self.server.subscribe(session, stream)
                bids, asks, _, _ = self.snapshot_args(symbol)
                encoder = stream.encoder
                events.append(encoder.snapshot_event(symbol, bids, asks, ts))
            else:
                self.server.unsubscribe(session, stream)
        if events:
            self.send(session, [Numbered(*Encoder.numbered("l2_data", events, ts, client_id=True))])
        self._subscriptions(session, ts)

    def _subscriptions(self, session: Session, ts_ns: int) -> None:
        """The ``subscriptions`` message: everything this connection is subscribed to now."""
        subscriptions: dict[str, list[str]] = {}
        products = sorted(self.server.native(s.symbol) for s in session.streams)
        if products:
            subscriptions["level2"] = products
        if session.state.get("heartbeats"):
            subscriptions["heartbeats"] = ["heartbeats"]
        if "user" in session.state:
            subscriptions["user"] = session.state["user"]
        self.send(session, [Numbered(*Encoder.numbered("subscriptions", [{"subscriptions": subscriptions}], ts_ns))])

    # -- the user channel (private) ------------------------------------------------------------
    def _user(self, session: Session, msg: dict[str, Any], subscribing: bool, ts_ns: int) -> None:
        """``user``: the JWT verified as on REST (no ``uri`` claim needed), then a ``snapshot`` of
        the account's open orders (batches of 50), the ``subscriptions`` message, and every
        change of its orders as an ``update`` (:meth:`order_update`)."""
        exchange = self.server.exchange
        token = msg.get("jwt")
        verified = self._verify_jwt(token) if isinstance(token, str) else None
        if exchange is None or verified is None:
            self.send(session, [Encoder.error("authentication failure")])
            return
        products = msg.get("product_ids", [])
        if not isinstance(products, list) or any(not isinstance(p, str) or self.server.unified(p) is None for p in products):
            self.send(session, [Encoder.error(f"Failed to subscribe: unknown product ids {str(products)[:80]}")])
            return
        if not subscribing:  # the account's pushes stop with the connection; arb never unsubscribes
            self.send(session, [Encoder.error("Failed to unsubscribe: the user channel ends with the connection")])
            return
        account = exchange.accounts[exchange.keys[verified[0]].account]
        session.state["user"] = sorted(products)
        self.server.watch_orders(session, account.name)
        wanted = set(products)
        open_orders = [o for o in exchange.open_orders(account) if not wanted or self.server.native(o.symbol) in wanted]
        for start in range(0, max(1, len(open_orders)), 50):
            batch = [self._user_order_json(o) for o in open_orders[start:start + 50]]
            self.send(session, [Numbered(*Encoder.numbered("user", [{"type": "snapshot", "orders": batch}], ts_ns))])
        self._subscriptions(session, ts_ns)

    def _user_order_json(self, order: SimOrder) -> dict[str, object]:
        """An order as the ``user`` channel writes it: cumulative quantity, value and fees."""
        average = order.quote * ONE // order.filled if order.filled else 0
        value_after_fees = order.quote + order.fee if order.side == "buy" else order.quote - order.fee
        cancelled = order.status is OrderStatus.CANCELLED
        return {
            "order_id": order_uuid(order.order_id), "client_order_id": order.client_id,
            "cumulative_quantity": to_plain(order.filled), "leaves_quantity": to_plain(order.remaining if order.open else 0),
            "avg_price": to_plain(average), "total_fees": to_plain(order.fee), "status": _STATUS_TEXT[order.status],
            "product_id": self.server.native(order.symbol), "creation_time": _time(order.created_ms),
            "order_side": order.side.upper(), "order_type": "Limit",
            "cancel_reason": ("Immediate or cancel order: the rest was cancelled" if order.tif == "ioc" else "User requested cancel")
            if cancelled else "",
            "reject_reason": "", "total_value_after_fees": to_plain(value_after_fees), "filled_value": to_plain(order.quote),
            "number_of_fills": str(len(order.trades)), "limit_price": to_plain(order.price), "stop_price": "",
            "outstanding_hold_amount": to_plain(order.locked), "completion_percentage": to_plain(order.filled * 100 * ONE // order.qty),
            "time_in_force": "GOOD_UNTIL_CANCELLED" if order.tif == "gtc" else "IMMEDIATE_OR_CANCEL", "post_only": False,
            "product_type": "SPOT", "contract_expiry_type": "UNKNOWN_CONTRACT_EXPIRY_TYPE",
            "risk_managed_by": "UNKNOWN_RISK_MANAGEMENT_TYPE", "trigger_status": "INVALID_ORDER_TYPE",
            "retail_portfolio_id": order.account,
        }

    def order_update(self, order: SimOrder, trade: SimTrade | None) -> list[Numbered]:
        event = {"type": "update", "orders": [self._user_order_json(order)]}
        return [Numbered(*Encoder.numbered("user", [event], self.server.clock()))]

    def encoder(self, kind: str, param: Any) -> Encoder:
        return Encoder(self.server.symbol_map)

    def delta(self, stream: Stream, change: BookChange, first: int, last: int, ts_ns: int) -> Sequence[Frame | Out]:
        event = stream.encoder.update_event(stream.symbol, change.bids, change.asks, ts_ns)
        return [Numbered(*Encoder.numbered("l2_data", [event], ts_ns, client_id=True))]

    def heartbeat(self, session: Session, ts_ns: int, idle_s: float) -> Sequence[Frame | Out]:
        if not session.state.get("heartbeats"):
            return ()
        counter = session.state["heartbeat_counter"] = session.state.get("heartbeat_counter", 0) + 1
        return [Numbered(*Encoder.numbered("heartbeats", [Encoder.heartbeat_event(counter, ts_ns)], ts_ns))]

    # -- REST -----------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [Route("GET", coinbase.PRODUCT_BOOK_PATH, self._product_book), *self.public_routes()]

    async def _product_book(self, request: web.Request) -> web.StreamResponse:
        query = self.book_query(request, "product_id", "limit", 5000, 5000)
        if isinstance(query, str):
            return json_response(self.rest_error(400, query), 400)
        symbol, limit = query
        bids, asks, seq, _ = self.snapshot_args(symbol, limit)
        _, body = self.encoder(BOOK, None).rest_snapshot(self.server.rest_url, symbol, bids, asks, seq, self.server.clock())
        return json_response(body)

    def rest_error(self, status: int, message: str) -> str:
        kind = "RATE_LIMIT_EXCEEDED" if status == 429 else "INVALID_ARGUMENT"
        return _json.encode({"error": kind, "message": message}).decode()
