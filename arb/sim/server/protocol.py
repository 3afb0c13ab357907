"""What differs between venues on the server side: a small base class, one subclass per venue.

A :class:`VenueProtocol` answers a client the way its venue does — handshake path,
greeting, subscribe/unsubscribe/ping frames, acks, in-stream snapshots, heartbeats, REST
routes — and frames book changes with the venue's wire encoder (``arb/venues/<venue>/wire.py``,
shaped by :class:`arb.venues.wire.Encoder`). The generic machinery (sockets, fan-out, faults,
sequencing, replay) is :class:`~arb.sim.server.venue.VenueServer`'s; a protocol reaches it through
the few methods of its ``server``.

Client input is hostile by default: a protocol answers anything it cannot read with the
venue's own error frame, and never raises for it.

**Subscription limits.** A protocol's :attr:`VenueProtocol.limits` (:class:`Limits`) states what
the venue documents — streams per connection, client messages per window, connection attempts
per window — and the server enforces them generically: a subscribe past the stream cap is refused
(:class:`LimitExceeded`, raised by ``VenueServer.subscribe`` and answered with the venue's error
frame), a message past the rate meets the venue's error (or, where the venue does that, the
connection is closed), a connection past the window is refused at the handshake (HTTP 429).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from string import Template
from typing import TYPE_CHECKING, Any, Protocol

import msgspec
from aiohttp import web

from arb.book.book import OrderBook
from arb.core.events import Level
from arb.sim.exchange import Account, Exchange, KeyMaker, SimOrder, SimTrade
from arb.sim.market import BookChange
from arb.sim.server.frames import Out
from arb.venues.base import VenueSpec
from arb.venues.trading import RejectReason
from arb.venues.wire import Frame

if TYPE_CHECKING:
    from arb.sim.server.session import Session
    from arb.sim.server.venue import Stream, VenueServer

#: Stream kinds: book deltas (faults apply) and top-of-book oracles (tickers).
BOOK = "book"
TICKER = "ticker"

#: Client frames are small JSON objects; read them untyped.
_client = msgspec.json.Decoder()


def read_json(message: str | bytes) -> Any:
    """A client frame as JSON, or None when it is not JSON."""
    try:
        return _client.decode(message)
    except msgspec.DecodeError:
        return None


@dataclass(frozen=True)
class Route:
    """One REST endpoint: ``handler(request) → response`` (faults are applied around it)."""

    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]


#: ``handler(request, account, body) → response`` of a private endpoint.
PrivateHandler = Callable[[web.Request, Account, str], Awaitable[web.StreamResponse]]


def synthetic_volume(symbol: str, mid: int) -> int:
    """A 24 h base volume for a simulated ticker: about 50 M quote a day for the busiest
    symbols, spread over two orders of magnitude by a hash of the name (deterministic)."""
    from zlib import crc32

    quote_volume = 50_000_000 * 10**18 // (1 + crc32(symbol.encode()) % 100)
    return quote_volume * 10**18 // mid if mid > 0 else 0


class Limiter(Protocol):
    """A private API's rate budget per key (:class:`Window`, or a venue's own)."""

    def spend(self, weight: int, now_s: float) -> float:
        """Spend ``weight`` now; 0 when allowed, else seconds until it would be."""
        ...


class Window:
    """A fixed-window weight budget (how venues count request weight per key)."""

    __slots__ = ("weight", "window_s", "start", "used")

    def __init__(self, weight: int, window_s: float) -> None:
        self.weight = weight
        self.window_s = window_s
        self.start = 0.0
        self.used = 0

    def spend(self, weight: int, now_s: float) -> float:
        """Spend ``weight`` now; 0 when allowed, else seconds until the window resets."""
        if now_s - self.start >= self.window_s:
            self.start, self.used = now_s - (now_s % self.window_s), 0
        if self.used + weight > self.weight:
            return self.start + self.window_s - now_s
        self.used += weight
        return 0.0


@dataclass(frozen=True)
class Limits:
    """A venue's documented subscription limits (None: none documented, nothing enforced).

    - ``streams``: streams one connection may be subscribed to at once.
    - ``messages``: ``(count, window_s)`` client messages per window — per connection, or for
      the whole server (one IP: everything is on loopback) with ``messages_per_ip``;
      ``count_pings`` False leaves the venue's application pings out (OKX counts only
      subscribe/unsubscribe/login requests).
    - ``connections``: ``(count, window_s)`` connection attempts per window (one IP): past it the
      handshake is answered HTTP 429.
    - ``excess``: what a message past ``messages`` meets — ``"error"`` (the ``error`` frame; the
      message is not served) or ``"close"`` (the connection is closed, code 1008: Binance).
    - ``error``: the venue's error frame as a :class:`string.Template`: ``$msg`` (the reason,
      JSON-escaped), ``$id`` (the request's ``id``/``req_id`` as JSON, ``null`` when none),
      ``$conn`` (the connection id, 8 hex digits).
    """

    streams: int | None = None
    messages: tuple[int, float] | None = None
    messages_per_ip: bool = False
    count_pings: bool = True
    connections: tuple[int, float] | None = None
    excess: str = "error"
    error: str = '{"error":"$msg"}'

    def __post_init__(self) -> None:
        if self.excess not in ("error", "close"):
            raise ValueError(f"excess must be 'error' or 'close', got {self.excess!r}")
        for name in ("messages", "connections"):
            value = getattr(self, name)
            if value is not None and (value[0] < 1 or value[1] <= 0):
                raise ValueError(f"{name} must be (count >= 1, window_s > 0), got {value!r}")
        if self.streams is not None and self.streams < 1:
            raise ValueError(f"streams must be at least 1, got {self.streams}")


class LimitExceeded(Exception):
    """A client went past one of its venue's :class:`Limits`; ``reason`` says which, in words
    the error frame carries. Raised by ``VenueServer.subscribe`` out of a protocol's message
    handler, which the server answers with :meth:`VenueProtocol.limit_error`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def json_response(body: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=body, status=status, content_type="application/json", headers=headers)


class VenueProtocol:
    """The server side of one venue's protocol (defaults fit most venues).

    ``path`` is the websocket path clients open (the venue's real one); ``heartbeats``
    means the venue sends heartbeat frames (every ``ServerOptions.heartbeat_s``, see
    :meth:`heartbeat`).
    """

    name: str = ""
    path: str = "/"
    heartbeats: bool = False
    #: The asset a fill's fee is taken in: ``"received"`` (a buy's base, a sell's quote) or
    #: ``"quote"`` (see :class:`~arb.sim.exchange.Exchange`).
    fee_asset: str = "received"
    #: How the venue's API keys look (see :data:`~arb.sim.exchange.KeyMaker`; None: hex key and
    #: secret). A plain function: ``staticmethod`` in subclasses.
    key_maker: KeyMaker | None = None
    #: Where a client order id must be unique: ``"all"`` of the account's orders, or only its
    #: ``"open"`` ones (Kraken) — see :class:`~arb.sim.exchange.Exchange`.
    client_id_scope: str = "all"
    #: Private API rate limit per key: ``(weight, window_s)``.
    private_budget: tuple[int, float] = (1200, 60.0)
    #: The budget counts each endpoint on its own (Gate, MEXC: "each endpoint … an independent
    #: limit") instead of all of a key's requests together (Binance's request weight).
    private_budget_per_endpoint: bool = False
    #: How long a ``timeout`` fault holds the answer back (longer than clients wait).
    timeout_fault_s: float = 15.0
    #: ``(kind, param)`` of the streams the venue module's own subscribe frames ask for
    #: (a precomputed tape frames exactly these ahead of time).
    default_streams: tuple[tuple[str, Any], ...] = ((BOOK, None),)
    #: The venue's documented subscription limits (the server enforces them).
    limits: Limits = Limits()

    def __init__(self, server: VenueServer, spec: VenueSpec) -> None:
        self.server = server
        self.spec = spec

    # -- connection -----------------------------------------------------------------------
    def ws_url(self, base: str) -> str:
        """The URL a venue config points at (``base`` is ``ws://host:port``)."""
        return base + self.path

    def handshake(self, path: str) -> str | None:
        """Why a connection to ``path`` (query included) is refused, or None to accept."""
        route = path.split("?", 1)[0]
        return None if route == self.path else f"no websocket endpoint at {route}"

    def on_open(self, session: Session) -> None:
        """A client connected (send the greeting, subscribe what the URL names)."""

    def on_message(self, session: Session, message: str | bytes) -> None:
        """One client frame: subscribe, unsubscribe, ping … (answer errors in kind)."""

    def ping_reply(self, session: Session, message: str | bytes) -> None:
        """Replay mode: answer application pings only (acks come from the recording)."""
        if self.is_ping(message):
            self.on_message(session, message)

    def is_ping(self, message: str | bytes) -> bool:
        return False

    def order_update(self, order: SimOrder, trade: SimTrade | None) -> Sequence[Frame | Out]:
        """The private stream's frames for one change of ``order`` (``trade``: the execution
        that changed it, if one did), sent to the connections following its account
        (``VenueServer.watch_orders``). Venues without a private stream here send none."""
        return ()

    def limit_error(self, session: Session, reason: str, message: str | bytes | None) -> list[str]:
        """The venue's answer to a client past one of its :attr:`limits` (``message``: the
        request that went past it, when there is one)."""
        request = read_json(message) if message is not None else None
        req_id = None
        if isinstance(request, dict):
            req_id = request.get("id", request.get("req_id"))
        return [Template(self.limits.error).safe_substitute(
            msg=json.dumps(reason)[1:-1], id=json.dumps(req_id), conn=f"{session.conn_id:08x}",
        )]

    # -- streams --------------------------------------------------------------------------
    def encoder(self, kind: str, param: Any) -> Any:
        """The wire encoder of a new stream (one per stream, shared by its subscribers)."""
        raise NotImplementedError

    def delta(self, stream: Stream, change: BookChange, first: int, last: int, ts_ns: int) -> Sequence[Frame | Out]:
        """Frames carrying ``change`` on a book stream (sequences ``first..last``)."""
        return stream.encoder.delta(stream.symbol, change.bids, change.asks, first, last, ts_ns, change.book)

    def ticker(self, stream: Stream, book: OrderBook, seq: int, ts_ns: int) -> Sequence[Frame | Out]:
        """Top-of-book oracle frames after a change (venues send them when the top moves)."""
        return ()

    def heartbeat(self, session: Session, ts_ns: int, idle_s: float) -> Sequence[Frame | Out]:
        """Heartbeat frames for one session (venues with ``heartbeats``); ``idle_s`` is the
        time since anything was last written to it."""
        return ()

    # -- REST -----------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        """REST endpoints that answer from the true books (market mode)."""
        return []

    def control_routes(self) -> list[Route]:
        """REST endpoints served in every mode (KuCoin's token endpoint)."""
        return []

    def private_routes(self) -> list[Route]:
        """The private API (market mode): accounts, orders, balances, fees — each handler
        through :meth:`private`."""
        return []

    # -- private API ------------------------------------------------------------------------
    @property
    def exchange(self) -> Exchange:
        """The server's accounts and matching, for private handlers: the private API is
        served in market mode only, where the server has an exchange."""
        exchange = self.server.exchange
        if exchange is None:
            raise RuntimeError(f"{self.name}: no exchange on this simulator (a replay has no private API)")
        return exchange

    async def authenticate(self, request: web.Request, body: str) -> Account | web.StreamResponse:
        """The account a signed request acts for, or the venue's refusal (bad key, signature,
        stale timestamp …) as the venue words it."""
        return self.private_error(401, RejectReason.AUTH, "no private API on this simulator")

    def private_error(self, status: int, reason: RejectReason, message: str) -> web.StreamResponse:
        """A private request refused, in the venue's error format (``reason`` picks its code)."""
        return json_response(self.rest_error(status, message), status)

    def private_route(self, method: str, path: str, weight: int, handler: PrivateHandler, *, order: bool = False) -> Route:
        """A private endpoint: ``handler(request, account, body)`` behind :meth:`private`."""

        async def serve(request: web.Request) -> web.StreamResponse:
            return await self.private(request, weight, handler, order=order)

        return Route(method, path, serve)

    async def private(self, request: web.Request, weight: int, handler: PrivateHandler, *, order: bool = False) -> web.StreamResponse:
        """Authenticate, rate-limit and (for order requests) apply injected faults around a
        private handler ``handler(request, account, body)``."""
        body = await request.text()
        server = self.server
        faults = server.private_faults
        if order and faults["unavailable"]:
            faults["unavailable"] -= 1
            return self.private_error(503, RejectReason.UNAVAILABLE, "Service unavailable")
        account = await self.authenticate(request, body)
        if not isinstance(account, Account):
            return account
        scope = account.name
        if self.private_budget_per_endpoint:
            resource = request.match_info.route.resource
            scope += f" {request.method} {resource.canonical if resource is not None else request.path}"
        wait = self._limiter(scope).spend(weight, server.clock() / 1e9)
        if wait > 0:
            response = self.private_error(429, RejectReason.RATE_LIMIT, "Too many requests")
            response.headers["Retry-After"] = str(max(1, round(wait)))
            return response
        if order and faults["reject"]:
            faults["reject"] -= 1
            return self.private_error(400, RejectReason.OTHER, "Order rejected (injected)")
        response = await handler(request, account, body)
        if order and faults["timeout"]:
            faults["timeout"] -= 1
            await asyncio.sleep(self.timeout_fault_s)
        return response

    def _limiter(self, key: str) -> Limiter:
        limiters = self.server.__dict__.setdefault("_private_limiters", {})
        limiter = limiters.get(key)
        if limiter is None:
            limiter = limiters[key] = Window(*self.private_budget)
        return limiter

    def rest_error(self, status: int, message: str) -> str:
        """The venue's JSON error body."""
        return msgspec.json.encode({"code": status, "msg": message}).decode()

    # -- helpers for subclasses -----------------------------------------------------------
    def send(self, session: Session, frames: Sequence[Frame | Out]) -> None:
        self.server.send(session, frames)

    def snapshot_args(self, symbol: str, limit: int | None = None) -> tuple[list[Level], list[Level], int, OrderBook]:
        """``(bids, asks, seq, book)`` of the true book now (``limit`` levels per side)."""
        book = self.server.book(symbol)
        return book.bids(limit), book.asks(limit), self.server.seq(symbol), book

    def book_query(
        self, request: web.Request, symbol_param: str, limit_param: str | None = None, default: int = 100, maximum: int = 5000
    ) -> tuple[str, int] | str:
        """``(symbol, limit)`` a REST book request asks for, or why it is refused."""
        native = request.query.get(symbol_param, "")
        symbol = self.server.unified(native)
        if symbol is None:
            return f"unknown symbol {native[:40]!r}"
        if limit_param is None:
            return symbol, maximum
        try:
            limit = int(request.query.get(limit_param, str(default)))
        except ValueError:
            return f"{limit_param} is not an integer"
        if not 1 <= limit <= maximum:
            return f"{limit_param} must be between 1 and {maximum}"
        return symbol, limit
