"""The dashboard's HTTP server (aiohttp): the page, its live updates, the controls, and the
operator endpoints — all behind the token (:mod:`arb.runtime.dashboard.auth`).

==========================  ======  ==========================================================
path                        method  what
==========================  ======  ==========================================================
``/?token=…``               GET     log in: sets the session cookie, redirects to ``/``
``/``                       GET     the page (``static/``: plain HTML, CSS and JS, no CDN)
``/api/state``              GET     everything the page shows, now (JSON)
``/api/events``             GET     server-sent events: ``history`` once, then ``state`` every
                                    ``refresh_s``
``/api/kill``               POST    the kill switch; ``/api/release`` disarms it
``/api/halt``, ``/resume``  POST    halt trading / back to active (refused while killed)
``/api/settings``           POST    ``{"min_profit_quote": "1.5", "max_notional_quote": "500",
                                    "venue": "okx", "enabled": false}`` (any of them)
``/metrics``                GET     Prometheus text format
``/healthz``                GET     200 while the process serves
``/readyz``                 GET     200 when books are live and the executor ready, else 503
==========================  ======  ==========================================================

POST bodies are JSON objects or form fields; each may carry a ``reason`` (logged and
journalled with the action). A control answers ``{"ok": true|false, "detail": …}``; a
setting that fails validation answers 400 naming the key, like the config would.

One task (:meth:`DashboardServer._publish`) reads the engine every ``refresh_s`` and feeds
every open event stream; it also keeps the P&L and equity history the chart draws (one
point a second, the last hour).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from importlib import resources
from typing import Any

import msgspec
from aiohttp import web

from arb.core.errors import ConfigError
from arb.decision.controls import ACTIONS, change
from arb.runtime.dashboard import state
from arb.runtime.dashboard.auth import COOKIE, Guard
from arb.runtime.dashboard.sources import EngineUnavailable, Source

log = logging.getLogger("arb.dashboard")

_STATIC = {"app.js": "text/javascript", "app.css": "text/css"}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
#: Points of P&L history kept (one a second: an hour).
HISTORY_POINTS = 3600
#: Operator actions the page lists.
CONTROL_LOG = 50
_MAX_REASON = 200
_ENCODER = msgspec.json.Encoder()


def _asset(name: str) -> str:
    return resources.files("arb.runtime.dashboard").joinpath("static", name).read_text(encoding="utf-8")


class DashboardServer:
    """Serves ``source`` on ``host:port`` (0: any free port) to whoever holds ``token``."""

    def __init__(
        self, source: Source, token: str, *, host: str = "127.0.0.1", port: int = 0, refresh_s: float = 0.5,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.source = source
        self.guard = Guard(token)
        self.host = host
        self.port = port
        self.refresh_s = refresh_s
        self.clock = clock
        #: ``[ts_ns, mtm P&L, equity, realized P&L]`` (USD, floats for the chart), oldest first.
        self.history: deque[list[int | float | None]] = deque(maxlen=HISTORY_POINTS)
        #: The operator's actions, newest last.
        self.controls: deque[dict[str, object]] = deque(maxlen=CONTROL_LOG)
        #: Reading the engine failed (the publisher keeps going; the page says so).
        self.errors = 0
        self.last_error = ""
        self._latest: bytes | None = None
        self._subscribers: set[asyncio.Queue[bytes | None]] = set()
        self._runner: web.AppRunner | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()
        self._index = _asset("index.html").replace("{{csrf}}", self.guard.csrf)
        self._static = {name: _asset(name) for name in _STATIC}

    # -- life --------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers, self._auth], client_max_size=16 * 1024)
        app.router.add_get("/", self._page)
        app.router.add_get("/static/{name}", self._static_file)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/events", self._events)
        for action in ACTIONS:
            app.router.add_post(f"/api/{action}", self._control_handler(action))
        app.router.add_post("/api/settings", self._settings)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        return app

    async def start(self) -> str:
        """Bind, start publishing; returns the base URL (``http://host:port``)."""
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            raise ConfigError(
                f"dashboard.port={self.port}: cannot listen on {self.host}:{self.port} ({exc.strerror or exc}); "
                "pick another port (0: any free one) or dashboard.enabled=false"
            ) from None
        host, port = self._runner.addresses[0][:2]
        self.port = port
        self._publisher = asyncio.ensure_future(self._publish())
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    async def stop(self) -> None:
        """End every event stream, stop publishing, close the listener."""
        self._closing.set()
        for queue in list(self._subscribers):
            queue.put_nowait(None)
        if self._publisher is not None:
            self._publisher.cancel()
            await asyncio.gather(self._publisher, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    # -- publishing --------------------------------------------------------------------------
    async def _publish(self) -> None:
        last_point = 0
        while not self._closing.is_set():
            try:
                snap = await self.source.snapshot()
            except Exception as exc:  # noqa: BLE001 - the publisher's supervisor loop: count, log, go on
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("dashboard: reading the engine failed: %s", self.last_error)
                snap = None
            if snap is not None:
                now = self.clock()
                if now - last_point >= 1_000_000_000:
                    last_point = now
                    pnl = snap["pnl"]
                    self.history.append(
                        [now, state.usd(pnl["mtm_usd"]), state.usd(pnl["equity_usd"]), state.usd(pnl["realized_usd"])]
                    )
                    point = self.history[-1]
                else:
                    point = None
                snap["controls"] = list(self.controls)
                snap["dashboard"] = {"errors": self.errors, "last_error": self.last_error, "point": point}
                self._latest = _ENCODER.encode(snap)
                for queue in list(self._subscribers):
                    if queue.full():  # a slow page skips states, never stalls the publisher
                        with contextlib.suppress(asyncio.QueueEmpty):
                            queue.get_nowait()
                    queue.put_nowait(self._latest)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.refresh_s)

    # -- middleware --------------------------------------------------------------------------
    @web.middleware
    async def _headers(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = web.json_response({"ok": False, "detail": exc.reason}, status=exc.status)
        except EngineUnavailable as exc:
            log.warning("dashboard: %s %s: %s", request.method, request.path, exc)
            response = web.json_response({"ok": False, "detail": str(exc)}, status=503)
        if not response.prepared:  # an event stream set its headers before streaming
            response.headers.update(_SECURITY_HEADERS)
        return response

    @web.middleware
    async def _auth(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        if request.path == "/" and "token" in request.query:
            return self._login(request)
        if not self.guard.authenticated(request.headers, request.cookies):
            return web.json_response(
                {"ok": False, "detail": "the dashboard token is required (Authorization: Bearer …, or open the URL arb live printed)"},
                status=401, headers={"WWW-Authenticate": 'Bearer realm="arb"'},
            )
        if request.method not in ("GET", "HEAD"):
            refused = self.guard.may_change(request.headers, request.host, request.scheme)
            if refused is not None:
                log.warning("dashboard: refused %s %s from %s: %s", request.method, request.path, request.remote, refused)
                return web.json_response({"ok": False, "detail": refused}, status=403)
        return await handler(request)

    def _login(self, request: web.Request) -> web.StreamResponse:
        if not self.guard.valid(request.query.get("token")):
            return web.json_response({"ok": False, "detail": "wrong token"}, status=401)
        response = web.Response(status=303, headers={"Location": "/"})
        response.set_cookie(COOKIE, request.query["token"], httponly=True, samesite="Strict", path="/")
        return response

    # -- pages -------------------------------------------------------------------------------
    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(text=self._index, content_type="text/html")

    async def _static_file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self._static:
            raise web.HTTPNotFound()
        return web.Response(text=self._static[name], content_type=_STATIC[name])

    async def _state(self, request: web.Request) -> web.Response:
        snap = await self.source.snapshot()
        snap["controls"] = list(self.controls)
        return web.Response(body=_ENCODER.encode(snap), content_type="application/json")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={**_SECURITY_HEADERS, "Content-Type": "text/event-stream", "X-Accel-Buffering": "no"})
        await response.prepare(request)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=2)
        self._subscribers.add(queue)
        try:
            await response.write(b"retry: 2000\nevent: history\ndata: " + _ENCODER.encode(list(self.history)) + b"\n\n")
            if self._latest is not None:
                await response.write(b"event: state\ndata: " + self._latest + b"\n\n")
            while not self._closing.is_set():
                data = await queue.get()
                if data is None:
                    break
                await response.write(b"event: state\ndata: " + data + b"\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the page went away, or the server is stopping
        finally:
            self._subscribers.discard(queue)
        return response

    # -- controls ----------------------------------------------------------------------------
    def _control_handler(self, action: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            body = await _body(request)
            reason = _reason(body, request)
            decision = await self.source.control(action, reason)
            return self._answer(request, action, reason, decision.approved, decision.reason if not decision.approved else "done")

        return handle

    async def _settings(self, request: web.Request) -> web.Response:
        body = await _body(request)
        reason = _reason(body, request)
        fields = {k: body.get(k) for k in ("min_profit_quote", "max_notional_quote", "venue", "enabled")}
        if isinstance(fields["enabled"], str):  # form fields are text
            fields["enabled"] = {"true": True, "false": False}.get(fields["enabled"].lower(), fields["enabled"])
        unknown = sorted(set(body) - set(fields) - {"reason"})
        if unknown:
            return self._answer(request, "settings", reason, False, f"not a runtime setting: {', '.join(unknown)}", status=400)
        venue = fields["venue"]
        if venue is not None and not isinstance(venue, str):
            return self._answer(request, "settings", reason, False, "venue must be a venue name", status=400)
        try:
            settings = change(await self.source.settings(), self.source.venues, min_profit_quote=fields["min_profit_quote"],
                              max_notional_quote=fields["max_notional_quote"], venue=venue, enabled=fields["enabled"])
        except ConfigError as exc:
            return self._answer(request, "settings", reason, False, str(exc), status=400)
        await self.source.apply_settings(settings, reason)
        return self._answer(request, "settings", reason, True, "now " + _describe(settings.to_plain()), settings=settings.to_plain())

    def _answer(self, request: web.Request, action: str, reason: str, ok: bool, detail: str, status: int = 200, **extra: object) -> web.Response:
        via = "token" if self.guard.bearer(request.headers) else "page"
        entry = {"ts_ns": self.clock(), "action": action, "reason": reason, "ok": ok, "detail": detail, "via": via}
        self.controls.append(entry)
        (log.warning if ok else log.info)(
            "operator %s via %s from %s: %s (reason: %s)", action, via, request.remote, detail if ok else f"refused: {detail}", reason
        )
        return web.json_response({**entry, **extra}, status=status if ok or status != 200 else 409)

    # -- operations --------------------------------------------------------------------------
    async def _metrics(self, request: web.Request) -> web.Response:
        body = await self.source.metrics()
        return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "runtime": self.source.runtime})

    async def _readyz(self, request: web.Request) -> web.Response:
        ok, detail = await self.source.ready()
        return web.json_response(detail, status=200 if ok else 503)


async def _body(request: web.Request) -> dict[str, object]:
    """A POST's fields: a JSON object, form fields, or nothing."""
    if not request.can_read_body:
        return {}
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(reason="the body is not JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(reason="the body must be a JSON object")
        return body
    return dict(await request.post())


def _reason(body: Mapping[str, object], request: web.Request) -> str:
    reason = body.get("reason") or ""
    if not isinstance(reason, str):
        raise web.HTTPBadRequest(reason="reason must be text")
    reason = " ".join(reason.split())[:_MAX_REASON]
    return reason or "no reason given"


def _describe(settings: Mapping[str, Any]) -> str:
    off = settings["disabled_venues"]
    return (f"min profit {settings['min_profit_quote']}, max notional {settings['max_notional_quote']}, "
            f"venues off: {', '.join(off) if off else 'none'}")
