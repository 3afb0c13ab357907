"""What differs between venues on the server side: a small base class, one subclass per venue.

A :class:`VenueProtocol` answers a client the way its venue does — handshake path,
greeting, subscribe/unsubscribe/ping frames, acks, in-stream snapshots, heartbeats, REST
routes — and frames book changes with the venue's wire encoder (``arb/venues/<venue>/wire.py``,
shaped by :class:`arb.venues.wire.Encoder`). The generic machinery (sockets, fan-out, faults,
sequencing, replay) is :class:`~arb.sim.server.venue.VenueServer`'s; a protocol reaches it through
the few methods of its ``server``.

Client input is hostile by default: a protocol answers anything it cannot read with the
venue's own error frame, and never raises for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from arb.book.book import OrderBook
from arb.sim.market import BookChange
from arb.sim.server.frames import Out
from arb.venues.base import VenueSpec
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
    #: ``(kind, param)`` of the streams the venue module's own subscribe frames ask for
    #: (a precomputed tape frames exactly these ahead of time).
    default_streams: tuple[tuple[str, Any], ...] = ((BOOK, None),)

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

    def rest_error(self, status: int, message: str) -> str:
        """The venue's JSON error body."""
        return msgspec.json.encode({"code": status, "msg": message}).decode()

    # -- helpers for subclasses -----------------------------------------------------------
    def send(self, session: Session, frames: Sequence[Frame | Out]) -> None:
        self.server.send(session, frames)

    def snapshot_args(self, symbol: str, limit: int | None = None) -> tuple[list, list, int, OrderBook]:
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
