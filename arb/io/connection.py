"""One supervised websocket link of a venue: connect, subscribe, keep alive, reconnect, roll over.

A :class:`Connection` carries a fixed set of a venue's symbols and keeps a websocket
*session* open for them for as long as it runs. Each session is one websocket with its own
``conn`` id (as in recordings). The connection:

- opens a session — after the venue's token call when it has one (KuCoin) — waits for the
  venue's welcome when it sends one, and sends the subscribe frames;
- sends the venue's application pings every ``ping_interval_s`` (the websocket library
  answers and sends protocol pings itself) and closes a session that received nothing for
  ``idle_timeout_s``, or nothing within ``ping_timeout_s`` of a ping;
- reconnects after a failure with :class:`~arb.io.backoff.Backoff` delays, and asks the
  venue's :class:`~arb.io.breaker.CircuitBreaker` first;
- rolls a session over before the venue's ``max_connection_age_s``, or when the venue
  announces a restart. For venues whose books carry sequence numbers the roll is
  make-before-break: the new session opens and subscribes while the old one still feeds the
  books, both feed them during a short overlap (sequence numbers drop the duplicates), then
  the old one closes — books stay live throughout. Venues without book sequences (Kraken,
  Coinbase) cannot merge two streams safely, so they roll break-before-make, which resyncs.

What the frames mean is not its business: it reports every open, subscribe, frame in, frame
out and close as a value (:mod:`arb.io.events`) to one ``report`` callable (the feed), and
the feed answers through methods: :meth:`Connection.welcomed`,
:meth:`Connection.request_rollover`, :meth:`Connection.restart`, :meth:`Connection.send`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Callable, Sequence
from enum import StrEnum

import websockets.exceptions as wse
from websockets.asyncio.client import ClientConnection, connect

from arb.book.sync import SeqRule
from arb.io.backoff import Backoff
from arb.io.breaker import BreakerState, CircuitBreaker
from arb.io.clock import Clock
from arb.core.errors import DecodeError
from arb.io.errors import ConnectFailed, ConnectionLost, IdleTimeout, TransportError, classify, url_path
from arb.io.events import Closed, LinkEvent, Opened, Received, Sent, Subscribed
from arb.io.options import ConnectionOptions
from arb.io.ratelimit import ConnectGate
from arb.io.rest import RestClient
from arb.venues.base import VenueSpec

log = logging.getLogger(__name__)

__all__ = ["ConnState", "Connection", "ConnectionOptions", "Session"]


class ConnState(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    UP = "up"
    BACKOFF = "backoff"
    CIRCUIT_OPEN = "circuit-open"
    FAILED = "failed"  # a failure retrying cannot fix (bad URL, refused with 4xx)
    CLOSED = "closed"


class Session:
    """One websocket of a :class:`Connection`."""

    __slots__ = (
        "id", "ws", "url", "opened", "last_rx", "rx", "ping_interval_s", "ping_timeout_s",
        "ping_sent", "closing", "task", "welcome", "rollover",
    )

    def __init__(self, sid: int, ws: ClientConnection, url: str, now: float, ping_interval_s: float | None,
                 ping_timeout_s: float | None, rollover: bool) -> None:
        self.id = sid
        self.ws = ws
        self.url = url
        self.opened = now
        self.last_rx = now
        self.rx = 0
        self.ping_interval_s = ping_interval_s
        self.ping_timeout_s = ping_timeout_s
        self.ping_sent: float | None = None
        self.closing = False
        self.task: asyncio.Task[TransportError | None] | None = None
        self.welcome = asyncio.Event()
        self.rollover = rollover


class _Ended:
    """How a chain of sessions ended."""

    __slots__ = ("error", "had_data", "lived_s", "planned")

    def __init__(self, error: TransportError | None, had_data: bool, lived_s: float, planned: bool) -> None:
        self.error = error
        self.had_data = had_data
        self.lived_s = lived_s
        self.planned = planned


class Connection:
    """Keeps one session open for ``venue_symbols`` until :meth:`close`.

    ``report`` receives every :data:`~arb.io.events.LinkEvent`, synchronously, on the event
    loop; ``index`` is this link's number in them. ``session_ids`` numbers sessions across a
    feed (conn ids are unique per venue); ``breaker`` is shared by all connections of a
    venue; ``rest`` makes the token call; ``gate`` (shared too) paces connection attempts to
    the venue's connection rate.
    """

    def __init__(
        self,
        spec: VenueSpec,
        venue_symbols: Sequence[str],
        report: Callable[[LinkEvent], None],
        *,
        index: int,
        ws_url: str,
        rest_url: str,
        depth: int | None,
        rest: RestClient,
        breaker: CircuitBreaker,
        backoff: Backoff,
        clock: Clock,
        rng: random.Random,
        session_ids: Callable[[], int],
        options: ConnectionOptions | None = None,
        gate: ConnectGate | None = None,
    ) -> None:
        self.spec = spec
        self.venue = spec.name
        self.symbols = list(venue_symbols)
        self.report = report
        self.index = index
        self.ws_url = ws_url
        self.rest_url = rest_url
        self.depth = depth
        self.rest = rest
        self.breaker = breaker
        self.backoff = backoff
        self.clock = clock
        self.rng = rng
        self.options = options or ConnectionOptions()
        #: The venue's connection rate, shared by its connections (None: no limit).
        self.gate = gate
        self._session_ids = session_ids
        self.make_before_break = spec.seq_rule is not SeqRule.NONE
        self.state = ConnState.IDLE
        #: The session feeding the books (None while down).
        self.current: Session | None = None
        self._sessions: set[Session] = set()
        self._roll = asyncio.Event()
        self._roll_reason = ""
        self._restart = False
        self._timers: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._ping_n = 0
        self._had_session = False
        #: Consecutive failures (attempts and short-lived sessions) for the backoff.
        self.failures = 0
        self.sessions = 0
        self.reconnects = 0
        self.rollovers = 0
        self.frames_out = 0
        self.internal_errors = 0
        self.last_error = ""

    # -- owner API -------------------------------------------------------------------------
    async def run(self) -> None:
        """Keep a session open until :meth:`close` is called or a fatal failure."""
        delay = 0.0
        try:
            while not self._stopping:
                try:
                    next_delay = await self._cycle(delay)
                except Exception:  # a bug below: count it, log it, back off and go on
                    self.internal_errors += 1
                    self.failures += 1
                    log.exception("%s connection %d: internal error", self.venue, self.index)
                    next_delay = self.backoff.delay(self.failures - 1)
                if next_delay is None:
                    break
                delay = next_delay
        finally:
            await self._teardown()
            if self.state is not ConnState.FAILED:
                self.state = ConnState.CLOSED

    def request_rollover(self, reason: str, session: int | None = None) -> None:
        """Roll the session over (make-before-break where the venue allows it); with
        ``session``, only if that session still feeds the books."""
        if session is not None and (self.current is None or self.current.id != session):
            return
        self._roll_reason = reason
        self._roll.set()

    def welcomed(self, session: int) -> None:
        """The venue's welcome arrived on ``session``: its subscription may go out."""
        for s in self._sessions:
            if s.id == session:
                s.welcome.set()

    def restart(self, reason: str) -> None:
        """Close the session and open a fresh one (break-before-make: its books resync)."""
        self._restart = True
        self.request_rollover(reason)

    def set_symbols(self, venue_symbols: Sequence[str]) -> None:
        """The symbols the next session subscribes to (the open session keeps its
        subscription: what left is unsubscribed by the feed)."""
        self.symbols = list(venue_symbols)

    async def send(self, frames: Sequence[str]) -> bool:
        """Send ``frames`` on the session feeding the books; False if there is none or it broke."""
        session = self.current
        if session is None or session.closing:
            return False
        try:
            for frame in frames:
                await self._send(session, frame)
        except (wse.WebSocketException, OSError):
            return False
        return True

    async def close(self) -> None:
        """Stop: close the sessions; :meth:`run` returns."""
        self._stopping = True
        self._roll.set()
        for session in list(self._sessions):
            await self._close_session(session)

    def last_message_age_s(self) -> float | None:
        session = self.current
        return None if session is None else self.clock.monotonic() - session.last_rx

    # -- supervision -----------------------------------------------------------------------
    async def _cycle(self, delay: float) -> float | None:
        """Wait ``delay``, make one attempt and serve what it opened. Returns the next delay
        (None: stop)."""
        if delay > 0:
            self.state = ConnState.BACKOFF
            await self.clock.sleep(delay)
        if self._stopping:
            return None
        wait = self.breaker.wait_s()
        if wait > 0:
            self.state = ConnState.CIRCUIT_OPEN
            await self.clock.sleep(wait)
            return 0.0
        self.breaker.attempt()
        self.state = ConnState.CONNECTING
        try:
            session = await self._open(rollover=False)
        except TransportError as exc:
            return self._failed(exc)
        if self._had_session:
            self.reconnects += 1
        self._had_session = True
        self.state = ConnState.UP
        if not self._stopping:  # a roll asked of an earlier session: this one is fresh
            self._roll.clear()
            self._restart = False
        ended = await self._serve_chain(session)
        if self._stopping:
            return None
        if ended.planned:
            return 0.0
        if not ended.had_data:
            return self._failed(ended.error or ConnectionLost(self.venue, "closed before any data"))
        if ended.lived_s >= self.options.stable_after_s:
            self.failures = 0
        self.last_error = str(ended.error) if ended.error else ""
        log.info("%s connection %d: session ended (%s); reconnecting", self.venue, self.index, ended.error)
        self.failures += 1
        return self.backoff.delay(self.failures - 1)

    def _failed(self, exc: TransportError) -> float | None:
        """An attempt failed: count it; the delay before the next (None: give up)."""
        self.breaker.failure()
        self.failures += 1
        self.last_error = str(exc)
        if not exc.retryable:
            log.error("%s connection %d: %s; giving up", self.venue, self.index, exc)
            self.state = ConnState.FAILED
            return None
        log.warning("%s connection %d: %s (failure %d)", self.venue, self.index, exc, self.failures)
        if self.breaker.state is BreakerState.OPEN:
            return 0.0  # the breaker's cooldown is the wait
        return self.backoff.delay(self.failures - 1)

    async def _serve_chain(self, session: Session) -> _Ended:
        """Serve ``session`` and the sessions that take over from it until one ends."""
        while True:
            outcome = await self._serve(session)
            if isinstance(outcome, _Ended):
                return outcome
            session = outcome

    async def _serve(self, a: Session) -> Session | _Ended:
        """Serve ``a`` until it ends (→ :class:`_Ended`) or hands over to a new session."""
        assert a.task is not None
        while True:
            rolled = asyncio.ensure_future(self._roll.wait())
            try:
                await asyncio.wait((a.task, rolled), return_when=asyncio.FIRST_COMPLETED)
            finally:
                rolled.cancel()
            if a.task.done():
                error = self._result(a)
                self._finish(a, error, rollover=False)
                return _Ended(error, a.rx > 0, self.clock.monotonic() - a.opened, planned=error is None)
            self._roll.clear()
            if self._stopping:
                await self._close_session(a)
                continue
            reason, restart = self._roll_reason, self._restart
            self._restart = False
            if restart or not self.make_before_break:
                log.info("%s connection %d: reconnecting (%s)", self.venue, self.index, reason)
                await self._close_session(a)
                continue  # a.task ends with None: a planned end
            b = await self._roll_to(a, reason)
            if b is not None:
                return b

    async def _roll_to(self, a: Session, reason: str) -> Session | None:
        """Make-before-break: open ``b``, let both feed the books for the overlap, close ``a``.
        Returns ``b``, or None when ``b`` failed (``a`` goes on; another roll is scheduled)."""
        assert a.task is not None
        log.info("%s connection %d: rolling over (%s)", self.venue, self.index, reason)
        if self.breaker.wait_s() > 0:
            self._roll_later(self.breaker.wait_s(), reason)
            return None
        self.breaker.attempt()
        try:
            b = await self._open(rollover=True)
        except TransportError as exc:
            self._roll_failed(exc, reason)
            return None
        assert b.task is not None
        overlap = asyncio.ensure_future(self.clock.sleep(self.options.rollover_overlap_s))
        try:
            await asyncio.wait((a.task, b.task, overlap), return_when=asyncio.FIRST_COMPLETED)
        finally:
            overlap.cancel()
        if b.task.done():  # the new session died: keep the old one
            error = self._result(b, rollover=True)
            self._finish(b, error, rollover=True)
            self._roll_failed(error or ConnectionLost(self.venue, "new session closed"), reason)
            return None
        self.current = b
        await self._close_session(a)
        await asyncio.gather(a.task, return_exceptions=True)
        self._finish(a, self._result(a, rollover=True), rollover=True)
        self.rollovers += 1
        return b

    def _roll_failed(self, exc: TransportError, reason: str) -> None:
        """The new session of a roll failed: the old one goes on; try again later."""
        self.breaker.failure()
        self.last_error = str(exc)
        log.warning("%s connection %d: roll-over failed: %s", self.venue, self.index, exc)
        if exc.retryable:
            self._roll_later(self.backoff.delay(min(self.failures, 5)), reason)

    def _result(self, session: Session, rollover: bool = False) -> TransportError | None:
        """How a finished session's task ended; a bug inside it is re-raised (after telling
        the feed the session is gone)."""
        task = session.task
        assert task is not None and task.done()
        if task.cancelled():
            return ConnectionLost(self.venue, "session cancelled")
        exc = task.exception()
        if exc is None:
            return task.result()
        self._finish(session, ConnectionLost(self.venue, f"internal error ({type(exc).__name__})"), rollover)
        raise exc

    def _roll_later(self, delay: float, reason: str) -> None:
        async def later() -> None:
            await self.clock.sleep(delay)
            self.request_rollover(reason)

        task = asyncio.ensure_future(later())
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    # -- sessions --------------------------------------------------------------------------
    async def _open(self, rollover: bool) -> Session:
        """Open, (await the welcome,) subscribe; the session's task is running on return."""
        sid = self._session_ids()
        url, ping_interval, ping_timeout = await self._resolve_url(sid)
        opts = self.options
        if self.gate is not None:
            await self.gate.wait()
        try:
            ws = await connect(
                url,
                open_timeout=opts.open_timeout_s,
                ping_interval=opts.protocol_ping_interval_s,
                ping_timeout=opts.protocol_ping_timeout_s,
                close_timeout=opts.close_timeout_s,
                max_size=opts.max_frame_bytes,
                compression=opts.compression,
            )
        except (wse.WebSocketException, OSError) as exc:  # OSError: TimeoutError too
            raise classify(self.venue, exc, "connect") from None
        self.sessions += 1
        session = Session(sid, ws, url, self.clock.monotonic(), ping_interval, ping_timeout, rollover)
        self._sessions.add(session)
        log.info("%s connection %d: session %d open (%s)", self.venue, self.index, sid, url_path(url))
        self.report(Opened(self.index, sid, url, self.clock.now_ns(), self.clock.monotonic(), rollover))
        session.task = asyncio.ensure_future(self._run_session(session))
        try:
            if self.spec.subscribe_after is not None:
                await self._await_welcome(session)
            frames = self.spec.subscribe_frames(self.symbols, self.depth, self.clock.now_ns() // 1_000_000)
            for frame in frames:
                await self._send(session, frame)
        except (TransportError, wse.WebSocketException, OSError) as exc:
            await self._close_session(session)
            await asyncio.gather(session.task, return_exceptions=True)
            error = exc if isinstance(exc, TransportError) else classify(self.venue, exc, "connect")
            self._finish(session, error, rollover)
            raise error from None
        if not rollover:
            self.current = session
        self.report(Subscribed(self.index, sid, self.clock.monotonic(), rollover))
        return session

    async def _resolve_url(self, sid: int) -> tuple[str, float | None, float | None]:
        """The URL to open and the ping timing: from the venue's token call when it has one."""
        spec = self.spec
        if spec.connect_request is None or spec.connect_url_from_response is None:
            return spec.connect_url(self.ws_url, self.symbols, self.depth), spec.ping_interval_s, spec.ping_timeout_s
        request = spec.connect_request(self.rest_url)
        try:
            response = await self.rest.fetch(request)
            connect_id = f"{sid}-{self.rng.getrandbits(48):012x}"
            return spec.connect_url_from_response(response.body, connect_id)
        except TransportError as exc:
            raise ConnectFailed(self.venue, f"token request failed: {exc.detail}", retryable=exc.retryable) from None
        except DecodeError as exc:
            raise ConnectFailed(self.venue, f"unreadable token answer ({exc.reason})") from None

    async def _await_welcome(self, session: Session) -> None:
        assert session.task is not None
        welcome = asyncio.ensure_future(session.welcome.wait())
        timeout = asyncio.ensure_future(self.clock.sleep(self.options.open_timeout_s))
        try:
            await asyncio.wait((welcome, timeout, session.task), return_when=asyncio.FIRST_COMPLETED)
        finally:
            welcome.cancel()
            timeout.cancel()
        if session.welcome.is_set():
            return
        if session.task.done():
            error = session.task.result()
            if error is not None:
                raise error
        raise ConnectFailed(self.venue, f"no {self.spec.subscribe_after!r} within {self.options.open_timeout_s:g} s")

    async def _run_session(self, session: Session) -> TransportError | None:
        """Read and watch one session until it ends; None if we closed it on purpose."""
        reader = asyncio.ensure_future(self._read(session))
        watchdog = asyncio.ensure_future(self._watch(session))
        try:
            done, _ = await asyncio.wait((reader, watchdog), return_when=asyncio.FIRST_COMPLETED)
        finally:
            reader.cancel()
            watchdog.cancel()
            await asyncio.gather(reader, watchdog, return_exceptions=True)
            await self._close_session(session, mark=False)
        if session.closing:
            return None
        for task in done:
            exc = task.exception()
            if exc is not None:
                return classify(self.venue, exc, "stream")  # a bug propagates from here
        return ConnectionLost(self.venue, "closed by the venue")

    async def _read(self, session: Session) -> None:
        report = self.report
        now_ns = self.clock.now_ns
        monotonic = self.clock.monotonic
        sid = session.id
        index = self.index
        async for frame in session.ws:
            session.last_rx = mono = monotonic()
            session.rx += 1
            if session.rx == 1:
                self.breaker.success()
            report(Received(index, sid, frame, now_ns(), mono))

    async def _watch(self, session: Session) -> None:
        """Pings, idle detection and the planned roll of one session."""
        clock = self.clock
        spec = self.spec
        idle = self.options.idle_timeout_s
        interval = session.ping_interval_s if spec.ping_frame is not None else None
        next_ping = session.opened + interval if interval else math.inf
        max_age = spec.max_connection_age_s
        roll_at = session.opened + max_age - min(self.options.rollover_lead_s, max_age / 2) if max_age else math.inf
        while True:
            now = clock.monotonic()
            if now - session.last_rx >= idle:
                raise IdleTimeout(self.venue, f"no data for {idle:g} s")
            sent = session.ping_sent
            timeout = session.ping_timeout_s
            if sent is not None and timeout and session.last_rx < sent and now - sent >= timeout:
                raise IdleTimeout(self.venue, f"no answer to a ping within {timeout:g} s")
            if now >= next_ping and spec.ping_frame is not None:
                self._ping_n += 1
                await self._send(session, spec.ping_frame(self._ping_n, clock.now_ns() // 1_000_000))
                session.ping_sent = now
                next_ping = now + (interval or math.inf)
            if now >= roll_at:
                roll_at = math.inf
                if session is self.current:
                    self.request_rollover("max connection age")
            deadline = min(session.last_rx + idle, next_ping, roll_at)
            if session.ping_sent is not None and timeout and session.last_rx < session.ping_sent:
                deadline = min(deadline, session.ping_sent + timeout)
            await clock.sleep(max(0.005, deadline - clock.monotonic()))

    async def _send(self, session: Session, frame: str) -> None:
        await session.ws.send(frame)
        self.frames_out += 1
        self.report(Sent(self.index, session.id, frame, self.clock.now_ns()))

    async def _close_session(self, session: Session, mark: bool = True) -> None:
        if mark:
            session.closing = True
        with contextlib.suppress(wse.WebSocketException, OSError, asyncio.TimeoutError):
            await asyncio.wait_for(session.ws.close(), self.options.close_timeout_s + 1)

    def _finish(self, session: Session, error: TransportError | None, rollover: bool) -> None:
        if session not in self._sessions:
            return
        self._sessions.discard(session)
        if self.current is session:
            self.current = None
        if error is not None:
            self.last_error = str(error)
        self.report(Closed(self.index, session.id, str(error) if error is not None else None, self.clock.monotonic(), rollover))

    async def _teardown(self) -> None:
        self._stopping = True
        for timer in list(self._timers):
            timer.cancel()
        for session in list(self._sessions):
            await self._close_session(session)
            if session.task is not None:
                session.task.cancel()
                await asyncio.gather(session.task, return_exceptions=True)
            self._finish(session, None, rollover=False)
