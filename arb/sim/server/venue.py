"""One simulated venue on loopback: a websocket server, a REST server, streams and faults.

:class:`VenueServer` is the venue-neutral machinery; a
:class:`~arb.sim.server.protocol.VenueProtocol` supplies what the venue says. Book
changes come from a market model (:meth:`VenueServer.publish`, called by
:class:`~arb.sim.server.driver.MarketDriver`) or from a recording
(:mod:`arb.sim.server.replay`).

Fan-out: clients subscribe to *streams* — ``(symbol, kind, param)``, e.g. Kraken's book of
``BTC/USD`` at depth 100 — and each stream has one encoder. A change is encoded once per
stream, serialised once into websocket frame bytes, and queued on every subscriber;
:meth:`VenueServer.flush` then writes each touched connection once. Update ids come from
a seeded :class:`~arb.sim.stream.Sequencer` and advance with every change whether anyone
listens or not, as on a real matching engine.

Private streams: a connection the protocol logged in to an account's order updates
(:meth:`VenueServer.watch_orders`) hears every change of that account's orders as the
exchange makes it (:attr:`~arb.sim.exchange.Exchange.listeners`), framed by
:meth:`~arb.sim.server.protocol.VenueProtocol.order_update` and written at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from arb.book.book import OrderBook
from arb.core.instruments import Instruments
from arb.core.numbers import FixedParser, from_decimal
from arb.sim.exchange import Exchange, SimOrder, SimTrade
from arb.sim.market import BookChange
from arb.sim.server.faults import FaultConfig, FaultPlan
from arb.sim.server.frames import Numbered, Out, wire
from arb.sim.server.inject import Injector
from arb.sim.server.protocol import BOOK, LimitExceeded, VenueProtocol, Window, json_response
from arb.sim.server.replay import ReplaySource, run_replay
from arb.sim.server.session import Session
from arb.sim.server.tape import TapeEntry, TapeTruth
from arb.sim.stream import Sequencer
from arb.venues.base import VenueSpec
from arb.venues.wire import Frame

log = logging.getLogger(__name__)

#: Faults :meth:`VenueServer.inject_private` knows.
PRIVATE_FAULTS = ("reject", "unavailable", "timeout")

#: ``on_send(venue, symbol, last_seq, send_ts_ns)``: a delta was written to the sockets.
SendHook = Callable[[str, str, int, int], None]


@dataclass(frozen=True)
class ServerOptions:
    """Transport settings of one venue server.

    ``ws_port``/``rest_port`` 0 pick free ports. ``ping_interval_s``: protocol-level
    pings from the server (websockets keepalive; None: off). ``heartbeat_s``: how often
    heartbeat frames go out where the venue sends them. ``max_connection_age_s``: the
    server closes older connections (code 1001), as venues limit connection life.
    ``max_buffer_bytes``: a client this far behind is cut off. ``reorder_release_s``: a
    reordered frame with no frame after it is delivered this late. ``close_timeout_s``: how
    long a closing handshake may take (on stop, clients that do not read are cut). ``require_auth``:
    KuCoin refuses connections without a token from its bullet endpoint, and full-book
    requests without an API key header. ``enforce_limits``: the venue's documented
    subscription limits apply (:class:`~arb.sim.server.protocol.Limits`).
    """

    host: str = "127.0.0.1"
    ws_port: int = 0
    rest_port: int = 0
    ping_interval_s: float | None = 20.0
    ping_timeout_s: float | None = 20.0
    heartbeat_s: float = 1.0
    max_connection_age_s: float | None = None
    max_buffer_bytes: int = 64 * 1024 * 1024
    max_message_bytes: int = 1 << 20
    reorder_release_s: float = 0.05
    close_timeout_s: float = 2.0
    require_auth: bool = True
    #: Enforce the venue's documented subscription limits (:class:`~arb.sim.server.protocol.Limits`).
    enforce_limits: bool = True


#: A stream's name: ``(symbol, kind, param)``.
StreamKey = tuple[str, str, Hashable]


class Stream:
    """One subscribable stream: ``(symbol, kind, param)``, its encoder and subscribers."""

    __slots__ = ("key", "symbol", "kind", "param", "encoder", "sessions", "state")

    def __init__(self, symbol: str, kind: str, param: Any, encoder: Any) -> None:
        self.key: StreamKey = (symbol, kind, param)
        self.symbol = symbol
        self.kind = kind
        self.param = param
        self.encoder = encoder
        self.sessions: dict[Session, None] = {}
        #: Room for the protocol (e.g. the last top-of-book sent on a ticker stream).
        self.state: Any = None


class VenueServer:
    """A simulated venue. ``await start()`` binds its ports; ``ws_url``/``rest_url`` then
    say where a venue config should point.

    ``books(symbol) → OrderBook`` gives the true books (market mode); ``replay`` serves a
    recording instead. ``clock`` (wall time, ns) stamps frames and send times. ``symbols``
    are what the venue lists (its instruments endpoint serves them with ``instruments``);
    ``halted`` ones are listed but do not trade (:attr:`Exchange.halted`, market mode).
    """

    def __init__(
        self,
        spec: VenueSpec,
        protocol: type[VenueProtocol],
        symbols: Sequence[str],
        *,
        books: Callable[[str], OrderBook] | None = None,
        replay: ReplaySource | None = None,
        seed: int = 0,
        faults: FaultConfig | None = None,
        options: ServerOptions = ServerOptions(),
        clock: Callable[[], int] = time.time_ns,
        on_send: SendHook | None = None,
        instruments: Instruments | None = None,
        halted: Iterable[str] = (),
    ) -> None:
        self.name = spec.name
        self.spec = spec
        self.symbols = tuple(symbols)
        self.symbol_map = spec.symbol_map(self.symbols)
        self._natives = {self.symbol_map.venue_symbol(s): s for s in self.symbols}
        self.sequencer = Sequencer(self.symbols, random.Random(f"{seed}:{spec.name}:seq"))
        self._books = books
        self.replay = replay
        self.options = options
        self.clock = clock
        self.on_send = on_send
        self.faults = FaultPlan(faults or FaultConfig(), spec.name)
        #: The venue's rules per symbol (tick, lot, minimums): what its instruments endpoint serves.
        self.instruments = instruments if instruments is not None else Instruments()
        #: Accounts and matching (market mode): the private API's state.
        self.exchange: Exchange | None = None
        if books is not None:
            fees = spec.fees
            self.exchange = Exchange(
                spec.name, books, lambda symbol: self.instruments.get(spec.name, symbol),
                maker_fee=from_decimal(fees.maker), taker_fee=from_decimal(fees.taker),
                fee_asset=protocol.fee_asset, seed=seed, key_maker=protocol.key_maker,
                client_id_scope=protocol.client_id_scope, halted=halted,
            )
        #: Private-API faults still to inject, by kind (see :meth:`inject_private`).
        self.private_faults: Counter[str] = Counter()
        self._fault_rate = (faults or FaultConfig()).stream_rate
        self.injector = Injector(self.faults, lambda: spec.decoder(self.symbol_map, FixedParser()), self.flush, options.reorder_release_s)
        #: True books while a tape plays (None: ``books`` gives them).
        self._truth: TapeTruth | None = None
        self._tape_start_seq: dict[str, int] = {}
        #: Deltas published (whether anyone listened or not).
        self.deltas = 0
        self.protocol = protocol(self, spec)
        #: Account name → the connections that follow its orders (private streams).
        self._watchers: dict[str, dict[Session, None]] = {}
        if self.exchange is not None:
            self.exchange.listeners.append(self._order_changed)
        self.sessions: dict[int, Session] = {}
        self._next_conn = 0
        self._streams: dict[StreamKey, Stream] = {}
        self._by_symbol: dict[str, list[Stream]] = {}
        self._dirty: set[Session] = set()
        self._sent: list[tuple[str, int]] = []
        #: Counters: connections, disconnects, refused, retired, rest, handler-errors, and
        #: clients held to the venue's limits (limit-streams, limit-messages, limit-connections).
        self.stats: Counter[str] = Counter()
        limits = self.protocol.limits if options.enforce_limits else None
        #: The venue's limits in force (None: not enforced).
        self.limits = limits
        self._connection_window = Window(*limits.connections) if limits is not None and limits.connections else None
        self._ip_messages = Window(*limits.messages) if limits is not None and limits.messages and limits.messages_per_ip else None
        self._closed_frames = 0
        self.ws_url = ""
        self.rest_url = ""
        self._ws: Server | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._arrived = asyncio.Event()
        self._left = asyncio.Event()
        #: Replay: time of the recorded frame last served (picks REST bodies).
        self.cursor_ts = 0

    # -- lifecycle ------------------------------------------------------------------------
    def _started_loop(self) -> asyncio.AbstractEventLoop:
        """The loop :meth:`start` ran on (sessions, their flushes and heartbeats come after it)."""
        if self._loop is None:
            raise RuntimeError(f"{self.name}: the server is not started")
        return self._loop

    async def start(self) -> None:
        """Bind the websocket and REST servers; start heartbeats or the replay."""
        opts = self.options
        self._loop = asyncio.get_running_loop()
        self._ws = await serve(
            self._handle, opts.host, opts.ws_port, process_request=self._process_request, compression=None,
            ping_interval=opts.ping_interval_s, ping_timeout=opts.ping_timeout_s, max_size=opts.max_message_bytes,
            close_timeout=opts.close_timeout_s,
        )
        port = self._ws.sockets[0].getsockname()[1]
        self.ws_url = self.protocol.ws_url(f"ws://{opts.host}:{port}")
        app = web.Application(middlewares=[self._rest_faults])
        for route in self.protocol.control_routes():
            app.router.add_route(route.method, route.path, route.handler)
        if self.replay is not None:
            app.router.add_route("*", "/{tail:.*}", self._replay_rest)
        else:
            for route in self.protocol.routes():
                app.router.add_route(route.method, route.path, route.handler)
            for route in self.protocol.private_routes():
                app.router.add_route(route.method, route.path, route.handler)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, opts.host, opts.rest_port)
        await site.start()
        self.rest_url = f"http://{opts.host}:{self._runner.addresses[0][1]}"
        if self.replay is not None:
            self._tasks.append(asyncio.create_task(run_replay(self, self.replay), name=f"{self.name}-replay"))
        elif self.protocol.heartbeats:
            self._tasks.append(asyncio.create_task(self._heartbeats(), name=f"{self.name}-heartbeats"))

    async def stop(self) -> None:
        """Close every connection and both servers."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._tasks.clear()
        self.injector.cancel()
        if self._ws is not None:
            self._ws.close()
            await self._ws.wait_closed()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- truth ----------------------------------------------------------------------------
    def book(self, symbol: str) -> OrderBook:
        """The true book of ``symbol`` now (market mode)."""
        if self._truth is not None:
            return self._truth.book(symbol)
        if self._books is None:
            raise LookupError(f"{self.name}: a replaying server has no true books; compare with arb verify")
        return self._books(symbol)

    def seq(self, symbol: str) -> int:
        """The venue's last update id of ``symbol`` (also for venues that do not send it)."""
        return self.sequencer.last[symbol]

    def unified(self, native: str) -> str | None:
        """A listed symbol from its venue spelling (None when the venue does not list it)."""
        return self._natives.get(native)

    def native(self, symbol: str) -> str:
        return self.symbol_map.to_venue[symbol]

    @property
    def frames_sent(self) -> int:
        """Websocket messages written so far (all connections, closed ones included)."""
        return self._closed_frames + sum(s.frames_sent for s in self.sessions.values())

    # -- streams --------------------------------------------------------------------------
    def stream(self, symbol: str, kind: str, param: Any = None) -> Stream:
        """The stream ``(symbol, kind, param)``, created (with its encoder) on first use."""
        key = (symbol, kind, param)
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = Stream(symbol, kind, param, self.protocol.encoder(kind, param))
            streams = self._by_symbol.setdefault(symbol, [])
            if kind == BOOK:  # book streams first: a ticker follows the delta it describes
                streams.insert(0, stream)
            else:
                streams.append(stream)
        return stream

    def subscribe(self, session: Session, stream: Stream) -> bool:
        """Add ``session`` to ``stream``; False when it was already there. Raises
        :class:`~arb.sim.server.protocol.LimitExceeded` past the venue's streams per
        connection (the server answers it in the venue's words)."""
        if session in stream.sessions:
            return False
        cap = self.limits.streams if self.limits is not None else None
        if cap is not None and len(session.streams) >= cap:
            self.stats["limit-streams"] += 1
            raise LimitExceeded(f"too many streams: at most {cap} per connection")
        stream.sessions[session] = None
        session.streams.add(stream)
        return True

    def unsubscribe(self, session: Session, stream: Stream) -> bool:
        if session not in stream.sessions:
            return False
        del stream.sessions[session]
        session.streams.discard(stream)
        return True

    def send(self, session: Session, frames: Iterable[Frame | Out]) -> None:
        """Queue frames on one session (flushed after the current message or step)."""
        for frame in frames:
            session.send(frame if type(frame) is Numbered else wire(frame))

    # -- private streams ------------------------------------------------------------------
    def watch_orders(self, session: Session, account: str) -> None:
        """``session`` hears every change of ``account``'s orders from now on (until it closes)."""
        self._watchers.setdefault(account, {})[session] = None
        session.state["orders-of"] = account

    def _order_changed(self, order: SimOrder, trade: SimTrade | None) -> None:
        watchers = self._watchers.get(order.account)
        if not watchers:
            return
        frames = self.protocol.order_update(order, trade)
        for session in watchers:
            self.send(session, frames)
        self.stats["order-updates"] += 1
        self.flush()

    def close_session(self, session: Session, code: int, reason: str) -> None:
        """Close one connection cleanly once what is queued on it is written (a venue closing
        after its error frame)."""
        if not session.closed:
            self._tasks.append(asyncio.ensure_future(self._close_after_flush(session, code, reason)))

    async def _close_after_flush(self, session: Session, code: int, reason: str) -> None:
        self.flush()
        await session.ws.close(code, reason)

    def drop_private_streams(self) -> int:
        """Cut every connection that follows an account's orders now (abruptly); returns how many."""
        sessions = [s for watchers in self._watchers.values() for s in watchers if not s.closed]
        for session in sessions:
            session.abort()
        self.faults.counts["drop-private"] += 1 if sessions else 0
        return len(sessions)

    # -- publishing -----------------------------------------------------------------------
    def publish(self, change: BookChange, ts_ns: int) -> None:
        """One model change: new update ids, a fault decision, frames to subscribers; resting
        orders the book now crosses fill."""
        first, last = self.sequencer.advance(change)
        self._deliver(change.symbol, first, last, ts_ns, change, None)
        if self.exchange is not None:
            self.exchange.on_book_change(change.symbol, ts_ns // 1_000_000)

    def publish_entry(self, entry: TapeEntry) -> None:
        """One precomputed change (:mod:`arb.sim.server.tape`): its ids and frames are ready."""
        self.sequencer.last[entry.symbol] = entry.last
        if self._truth is not None:
            self._truth.add(entry)
        self._deliver(entry.symbol, entry.first, entry.last, entry.ts, None, entry)

    def _deliver(self, symbol: str, first: int, last: int, ts_ns: int, change: BookChange | None, entry: TapeEntry | None) -> None:
        self.deltas += 1
        fault = self.faults.next(symbol) if self._fault_rate or self.faults.forced else None
        streams = self._by_symbol.get(symbol)
        if not streams:
            return
        delivered = False
        for stream in streams:
            sessions = stream.sessions
            if not sessions:
                continue
            outs: Sequence[Out] | None = entry.outs(stream.key) if entry is not None else None
            if outs is None:
                if change is None:
                    assert entry is not None  # callers pass the change or its taped entry
                    change = entry.change(self.book(symbol))
                outs = self.encode(stream, change, first, last, ts_ns)
            if stream.kind is BOOK:
                delivered = True
                if fault is not None:
                    self.injector.deliver(fault, list(sessions), outs)
                    continue
            for out in outs:
                for session in sessions:
                    session.send(out)
        if delivered:
            if fault is not None:
                self.faults.counts[fault] += 1
            if self.on_send is not None:
                self._sent.append((symbol, last))

    def encode(self, stream: Stream, change: BookChange, first: int, last: int, ts_ns: int) -> list[Out]:
        """The serialised frames of ``change`` on ``stream``."""
        protocol = self.protocol
        if stream.kind is BOOK:
            payloads = protocol.delta(stream, change, first, last, ts_ns)
        else:
            payloads = protocol.ticker(stream, change.book, last, ts_ns)
        return [p if type(p) is Numbered else wire(p) for p in payloads]

    def publish_frame(self, frame: Frame) -> None:
        """Replay: one recorded frame to every connection (faults apply to it)."""
        sessions = [s for s in self.sessions.values() if not s.closed]
        if not sessions:
            return
        fault = self.faults.next(None) if self._fault_rate or self.faults.forced else None
        out = wire(frame)
        if fault is None:
            for session in sessions:
                session.send(out)
        else:
            self.injector.deliver(fault, sessions, [out])
            self.faults.counts[fault] += 1

    def flush(self) -> int:
        """Write every queued frame (one write per connection); call send hooks."""
        dirty = self._dirty
        n = 0
        # The send time is taken before the writes: a client may read (and stamp) a frame
        # before this loop returns.
        ts = self.clock() if self._sent else 0
        if dirty:
            now = self._started_loop().time()
            for session in dirty:
                n += session.flush(now)
            dirty.clear()
        if self._sent:
            hook = self.on_send
            if hook is not None:  # sends are noted only while there is a hook
                name = self.name
                for symbol, seq in self._sent:
                    hook(name, symbol, seq, ts)
            self._sent.clear()
        return n

    # -- tape -----------------------------------------------------------------------------
    def begin_tape(self) -> None:
        """A tape is about to be recorded from the current (initial) books: keep them."""
        self._truth = TapeTruth({symbol: self.book(symbol) for symbol in self.symbols})
        self._tape_start_seq = dict(self.sequencer.last)

    def tape_entry(self, change: BookChange, ts_ns: int) -> TapeEntry:
        """Number and frame ``change`` for the venue's default streams (recording a tape)."""
        first, last = self.sequencer.advance(change)
        frames = []
        for kind, param in self.protocol.default_streams:
            stream = self.stream(change.symbol, kind, param)
            frames.append((stream.key, tuple(self.encode(stream, change, first, last, ts_ns))))
        return TapeEntry(change.ts_ns, ts_ns, self.name, change.symbol, first, last, change.bids, change.asks, tuple(frames))

    def play_tape(self) -> None:
        """Recording done: serving starts from the books and ids the tape started from."""
        self.sequencer.last.update(self._tape_start_seq)

    def end_tape(self) -> None:
        """The tape ran out: the live model (now where the tape ended) is the truth again."""
        self._truth = None

    # -- faults ---------------------------------------------------------------------------
    def inject(self, kind: str, symbol: str | None = None, count: int = 1) -> None:
        """Force stream fault ``kind`` on the next ``count`` deltas (of ``symbol``)."""
        self.faults.force(kind, symbol, count)

    def inject_private(self, kind: str, count: int = 1) -> None:
        """The next ``count`` private requests of an order meet ``kind``: ``reject`` (the venue
        refuses the order), ``unavailable`` (a 5xx before anything happens), ``timeout``
        (the order is executed, the answer never comes: the client times out)."""
        if kind not in PRIVATE_FAULTS:
            raise ValueError(f"private fault must be one of {', '.join(PRIVATE_FAULTS)}, got {kind!r}")
        self.private_faults[kind] += count

    def inject_rest(self, kind: str, count: int = 1) -> None:
        """Force REST fault ``kind`` (``slow``, ``429``) on the next ``count`` requests."""
        self.faults.force_rest(kind, count)

    def drop_connections(self) -> int:
        """Cut every connection now (abruptly); returns how many."""
        sessions = [s for s in self.sessions.values() if not s.closed]
        for session in sessions:
            session.abort()
        self.faults.counts["drop-all"] += 1 if sessions else 0
        return len(sessions)

    def stall_connections(self, seconds: float) -> int:
        """Freeze every connection for ``seconds``; returns how many."""
        sessions = list(self.sessions.values())
        self.injector.stall(sessions, seconds)
        return len(sessions)

    # -- websocket handling ---------------------------------------------------------------
    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        window = self._connection_window
        if window is not None and self.replay is None:
            wait = window.spend(1, time.monotonic())
            if wait > 0:
                self.stats["refused"] += 1
                self.stats["limit-connections"] += 1
                count, window_s = window.weight, window.window_s
                response = connection.respond(HTTPStatus.TOO_MANY_REQUESTS, f"too many connection attempts: at most {count} per {window_s:g} s\n")
                response.headers["Retry-After"] = str(max(1, round(wait)))
                return response
        reason = self.protocol.handshake(request.path) if self.replay is None else None
        if reason is not None:
            self.stats["refused"] += 1
            status = HTTPStatus.UNAUTHORIZED if "token" in reason else HTTPStatus.NOT_FOUND
            return connection.respond(status, reason + "\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        self._next_conn += 1
        session = Session(self._next_conn, ws, ws.request.path if ws.request else "/", self.clock(), self._dirty, self.options.max_buffer_bytes)
        self.sessions[session.conn_id] = session
        self.stats["connections"] += 1
        self._arrived.set()
        age = self.options.max_connection_age_s
        aging = self._started_loop().call_later(age, self._retire, session) if age else None
        protocol = self.protocol
        replaying = self.replay is not None
        limits = self.limits
        if limits is not None and limits.messages and not limits.messages_per_ip:
            session.limiter = Window(*limits.messages)
        try:
            if not replaying:  # a recording carries its own greetings
                self._serve(session, None)
                self.flush()
            async for message in ws:
                if session.closed:
                    break
                if replaying:
                    protocol.ping_reply(session, message)
                elif limits is not None and not self._admit(session, message):
                    if limits.excess == "close":
                        await ws.close(1008, "too many requests")
                        break
                else:
                    self._serve(session, message)
                self.flush()
        except ConnectionClosed:
            pass
        except Exception:  # the top of one connection's loop: count, log, close it
            self.stats["handler-errors"] += 1
            log.exception("%s conn %s: handler failed; closing the connection", self.name, session.conn_id)
            await ws.close(1011, "internal error")
        finally:
            if aging is not None:
                aging.cancel()
            self._forget(session)

    def _serve(self, session: Session, message: str | bytes | None) -> None:
        """One client frame (None: the connection opened) through the protocol; a request past
        the venue's stream cap is answered with its error."""
        try:
            if message is None:
                self.protocol.on_open(session)
            else:
                self.protocol.on_message(session, message)
        except LimitExceeded as exc:
            self.send(session, self.protocol.limit_error(session, exc.reason, message))

    def _admit(self, session: Session, message: str | bytes) -> bool:
        """Whether ``message`` is within the venue's message rate; if not, it is counted and
        (``excess="error"``) answered with the venue's error."""
        limits = self.limits
        assert limits is not None
        window = self._ip_messages if limits.messages_per_ip else session.limiter
        if window is None or (not limits.count_pings and self.protocol.is_ping(message)):
            return True
        if window.spend(1, time.monotonic()) == 0:
            return True
        self.stats["limit-messages"] += 1
        if limits.excess == "error":
            reason = f"too many requests: at most {window.weight} messages per {window.window_s:g} s"
            self.send(session, self.protocol.limit_error(session, reason, message))
        return False

    def _retire(self, session: Session) -> None:
        """A connection reached the venue's maximum age: close it cleanly."""
        if not session.closed:
            self.stats["retired"] += 1
            self._tasks.append(asyncio.ensure_future(session.ws.close(1001, "connection too old")))

    def _forget(self, session: Session) -> None:
        session.closed = True
        account = session.state.get("orders-of")
        if account is not None:
            self._watchers.get(account, {}).pop(session, None)
        for stream in list(session.streams):
            stream.sessions.pop(session, None)
        session.streams.clear()
        self._dirty.discard(session)
        self.sessions.pop(session.conn_id, None)
        self._closed_frames += session.frames_sent
        self.stats["disconnects"] += 1
        self._left.set()

    @property
    def connected(self) -> bool:
        """Whether any client connection is open."""
        return any(not s.closed for s in self.sessions.values())

    async def wait_for_session(self) -> None:
        """Until at least one client connection is open."""
        while not self.connected:
            self._arrived.clear()
            await self._arrived.wait()

    async def wait_for_no_session(self) -> None:
        """Until every client connection has gone (its handler finished)."""
        while self.sessions:
            self._left.clear()
            await self._left.wait()

    async def _heartbeats(self) -> None:
        period = self.options.heartbeat_s
        protocol = self.protocol
        while True:
            await asyncio.sleep(period)
            ts = self.clock()
            now = self._started_loop().time()
            for session in list(self.sessions.values()):
                if not session.closed and not session.stalled:
                    self.send(session, protocol.heartbeat(session, ts, now - session.last_send))
            self.flush()

    # -- REST -----------------------------------------------------------------------------
    @web.middleware
    async def _rest_faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.stats["rest"] += 1
        fault = self.faults.next_rest()
        if fault == "429":
            self.faults.counts["rest-429"] += 1
            retry = str(self.faults.config.retry_after_s)
            return json_response(self.protocol.rest_error(429, "Too many requests"), 429, {"Retry-After": retry})
        response = await handler(request)
        if fault == "slow":
            self.faults.counts["rest-slow"] += 1
            await asyncio.sleep(self.faults.config.rest_delay_s)
        return response

    async def _replay_rest(self, request: web.Request) -> web.StreamResponse:
        symbol = request.query.get(self.spec.snapshot_symbol_param)
        assert self.replay is not None  # the route exists only when replaying
        body = self.replay.rest_body(request.path, symbol, self.cursor_ts)
        if body is None:
            return json_response(self.protocol.rest_error(404, f"nothing recorded for {request.path}"), 404)
        return json_response(body)

