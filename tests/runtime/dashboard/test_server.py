"""The dashboard server against a scripted engine: the token on every request, the session
cookie, CSRF on controls, settings validated like the config, health and readiness, the
event stream."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from arb.config import DashboardConf
from arb.core.errors import ConfigError
from arb.core.numbers import from_decimal
from arb.decision.controls import Settings
from arb.risk.limits import APPROVED, RiskDecision
from arb.runtime.dashboard.auth import COOKIE, CSRF_HEADER, TOKEN_ENV, Guard, resolve_token
from arb.runtime.dashboard.hosting import exposure_warning
from arb.runtime.dashboard.server import DashboardServer
from arb.runtime.dashboard.sources import EngineUnavailable

TOKEN = "t0ken-for-tests-0123456789abcdef"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
PATHS = ["/", "/api/state", "/api/events", "/metrics", "/healthz", "/readyz", "/static/app.js"]


class FakeEngine:
    """A :class:`~arb.runtime.dashboard.sources.Source` that records what it is asked."""

    runtime = "fake"
    venues = ("a", "b", "c")

    def __init__(self) -> None:
        self.controls: list[tuple[str, str]] = []
        self.current = Settings(min_profit_quote=from_decimal("0.5"), max_notional_quote=from_decimal("1000"))
        self.applied: list[tuple[Settings, str]] = []
        self.killed = False
        self.is_ready = False
        self.snapshots = 0
        self.answering = True

    async def snapshot(self) -> dict:
        self.snapshots += 1
        return {"runtime": self.runtime, "pnl": {"mtm_usd": "1.5", "equity_usd": "100", "realized_usd": "1"},
                "risk": {"killed": self.killed}, "settings": self.current.to_plain()}

    async def ready(self) -> tuple[bool, dict]:
        return self.is_ready, {"ready": self.is_ready}

    async def metrics(self) -> bytes:
        return b"ray_arb_open_legs 0.0\n"

    async def control(self, action: str, reason: str) -> RiskDecision:
        if not self.answering:
            raise EngineUnavailable("the executor did not answer within 5 s")
        if action == "resume" and self.killed:
            return RiskDecision(False, "killed", "kill switch engaged; release it first")
        self.killed = self.killed or action == "kill"
        self.controls.append((action, reason))
        return APPROVED

    async def settings(self) -> Settings:
        return self.current

    async def apply_settings(self, settings: Settings, reason: str) -> None:
        self.current = settings
        self.applied.append((settings, reason))


def run(scenario) -> None:
    """Run ``scenario(client, engine, server)`` against a test server."""

    async def main() -> None:
        engine = FakeEngine()
        server = DashboardServer(engine, TOKEN)
        async with TestClient(TestServer(server.app())) as client:
            await scenario(client, engine, server)

    asyncio.run(main())


def csrf_headers(client: TestClient, token: str = Guard(TOKEN).csrf, origin: str | None = None) -> dict:
    headers = {CSRF_HEADER: token}
    headers["Origin"] = origin if origin is not None else f"http://{client.host}:{client.port}"
    return headers


async def login(client: TestClient) -> None:
    response = await client.get(f"/?token={TOKEN}", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"


# -- the token ------------------------------------------------------------------------------
def test_a_request_without_the_token_is_refused():
    async def scenario(client, engine, server):
        for path in PATHS:
            for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN}):
                response = await client.get(path, headers=headers)
                assert response.status == 401, (path, headers)
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
                assert TOKEN not in await response.text()
            assert (await client.get(path, headers=BEARER)).status != 401, path
        response = await client.post("/api/kill", json={"reason": "x"})
        assert response.status == 401 and engine.controls == []
        client.session.cookie_jar.update_cookies({COOKIE: "not-the-token"})
        assert (await client.get("/api/state")).status == 401

    run(scenario)


def test_the_printed_url_logs_in_with_an_httponly_cookie_and_the_page_never_holds_the_token():
    async def scenario(client, engine, server):
        assert (await client.get("/?token=wrong", allow_redirects=False)).status == 401
        response = await client.get(f"/?token={TOKEN}", allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/"
        cookie = response.headers["Set-Cookie"]
        assert f"{COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        page = await client.get("/")
        html = await page.text()
        assert page.status == 200 and Guard(TOKEN).csrf in html and TOKEN not in html
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["X-Frame-Options"] == "DENY"
        links = re.findall(r'(?:src|href)="([^"]*)"', html)
        assert links and all(link.startswith("/static/") or link.startswith("data:") for link in links)  # nothing from elsewhere
        assert (await client.get("/static/app.js")).headers["Content-Type"].startswith("text/javascript")
        assert (await client.get("/static/../server.py")).status == 404

    run(scenario)


# -- controls ---------------------------------------------------------------------------------
def test_a_control_from_the_page_needs_the_csrf_header_and_the_dashboards_own_origin():
    async def scenario(client, engine, server):
        await login(client)
        assert (await client.post("/api/kill", json={"reason": "r"})).status == 403
        assert (await client.post("/api/kill", json={}, headers=csrf_headers(client, token="0" * 64))).status == 403
        refused = await client.post("/api/kill", json={}, headers=csrf_headers(client, origin="http://evil.example"))
        assert refused.status == 403 and "cross-origin" in (await refused.json())["detail"]
        assert engine.controls == []
        done = await client.post("/api/kill", json={"reason": "fat finger"}, headers=csrf_headers(client))
        body = await done.json()
        assert done.status == 200 and body["ok"] and body["via"] == "page"
        assert engine.controls == [("kill", "fat finger")]

    run(scenario)


def test_a_command_line_control_with_the_bearer_token_needs_no_csrf_header():
    async def scenario(client, engine, server):
        response = await client.post("/api/halt", data={"reason": "from curl"}, headers=BEARER)  # curl -d reason=…
        assert response.status == 200 and (await response.json())["via"] == "token"
        assert (await client.post("/api/release", headers=BEARER)).status == 200  # no body: a default reason
        assert engine.controls == [("halt", "from curl"), ("release", "no reason given")]
        assert [c["action"] for c in server.controls] == ["halt", "release"]

    run(scenario)


def test_controls_are_posts_and_a_refusal_says_why():
    async def scenario(client, engine, server):
        assert (await client.get("/api/kill", headers=BEARER)).status == 405
        await client.post("/api/kill", json={"reason": "stop"}, headers=BEARER)
        refused = await client.post("/api/resume", json={"reason": "go"}, headers=BEARER)
        body = await refused.json()
        assert refused.status == 409 and not body["ok"] and "release it first" in body["detail"]
        assert server.controls[-1]["ok"] is False  # the refusal is in the operator log too
        bad = await client.post("/api/kill", data=b"{not json", headers={**BEARER, "Content-Type": "application/json"})
        assert bad.status == 400

    run(scenario)


def test_an_engine_that_does_not_answer_is_a_503_saying_so():
    async def scenario(client, engine, server):
        engine.answering = False
        response = await client.post("/api/kill", json={"reason": "now"}, headers=BEARER)
        assert response.status == 503 and "did not answer" in (await response.json())["detail"]

    run(scenario)


# -- settings ---------------------------------------------------------------------------------
def test_settings_are_validated_like_the_config_and_applied():
    async def scenario(client, engine, server):
        for body, message in [
            ({"min_profit_quote": "-1"}, "strategy.min_profit_quote must not be negative"),
            ({"max_notional_quote": "0"}, "strategy.max_notional_quote must be positive"),
            ({"min_profit_quote": "1e9"}, "plain decimal"),
            ({"venue": "zz", "enabled": False}, "not in universe.venues"),
            ({"taker_fee": "0"}, "not a runtime setting: taker_fee"),
            ({}, "nothing to change"),
        ]:
            response = await client.post("/api/settings", json=body, headers=BEARER)
            assert response.status == 400 and message in (await response.json())["detail"], body
        assert engine.applied == []
        response = await client.post("/api/settings", json={"min_profit_quote": "2.25", "reason": "wider"}, headers=BEARER)
        assert response.status == 200 and (await response.json())["settings"]["min_profit_quote"] == "2.25"
        response = await client.post("/api/settings", data={"venue": "c", "enabled": "false"}, headers=BEARER)
        assert response.status == 200
        [(first, reason), (second, _)] = engine.applied
        assert first.min_profit_quote == from_decimal("2.25") and reason == "wider"
        assert second.disabled_venues == ("c",) and second.min_profit_quote == from_decimal("2.25")

    run(scenario)


# -- operations -------------------------------------------------------------------------------
def test_health_readiness_and_metrics():
    async def scenario(client, engine, server):
        health = await client.get("/healthz", headers=BEARER)
        assert health.status == 200 and (await health.json())["ok"]
        assert (await client.get("/readyz", headers=BEARER)).status == 503
        engine.is_ready = True
        assert (await client.get("/readyz", headers=BEARER)).status == 200
        metrics = await client.get("/metrics", headers=BEARER)
        assert metrics.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert await metrics.text() == "ray_arb_open_legs 0.0\n"

    run(scenario)


def test_the_event_stream_sends_history_then_states_and_ends_when_the_server_stops():
    async def main() -> None:
        engine = FakeEngine()
        server = DashboardServer(engine, TOKEN, refresh_s=0.05)
        url = await server.start()
        events: list[tuple[str, object]] = []
        try:
            async with aiohttp.ClientSession(headers=BEARER) as session, session.get(f"{url}/api/events") as response:
                assert response.headers["Content-Type"].startswith("text/event-stream")
                name = None
                async for raw in response.content:
                    line = raw.decode().rstrip("\n")
                    if line.startswith("event: "):
                        name = line[len("event: "):]
                    elif line.startswith("data: "):
                        events.append((name, json.loads(line[len("data: "):])))
                        if len(events) == 3:
                            await server.stop()  # the stream must end, not hang
        finally:
            await server.stop()
        assert events[0][0] == "history" and [name for name, _ in events[1:3]] == ["state", "state"]
        state = events[1][1]
        assert state["runtime"] == "fake" and state["controls"] == [] and "dashboard" in state
        assert server.history and server.history[0][1:] == [1.5, 100.0, 1.0]

    asyncio.run(asyncio.wait_for(main(), 30))


def test_a_port_in_use_is_a_clear_error():
    async def main() -> None:
        first = DashboardServer(FakeEngine(), TOKEN)
        await first.start()
        try:
            with pytest.raises(ConfigError, match=f"dashboard.port={first.port}: cannot listen"):
                await DashboardServer(FakeEngine(), TOKEN, port=first.port).start()
        finally:
            await first.stop()

    asyncio.run(main())


# -- the token's origin and the binding -------------------------------------------------------
def test_a_generated_token_is_written_for_the_owner_only(tmp_path):
    path = tmp_path / "sub" / "dashboard.token"
    token, where = resolve_token({}, path)
    assert where == str(path) and path.read_text() == token + "\n" and len(token) >= 40
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again, _ = resolve_token({}, path)
    assert again != token  # a new one at every start


def test_a_token_from_the_environment_wins_and_is_never_written(tmp_path):
    path = tmp_path / "dashboard.token"
    assert resolve_token({TOKEN_ENV: TOKEN}, path) == (TOKEN, f"${TOKEN_ENV}")
    assert not path.exists()
    with pytest.raises(ConfigError, match="at least 16"):
        resolve_token({TOKEN_ENV: "short"}, path)


def test_binding_beyond_loopback_must_be_asked_for_and_is_warned_about():
    assert DashboardConf().host == "127.0.0.1"
    for host in ("0.0.0.0", "192.0.2.10", "example.org"):
        with pytest.raises(ConfigError, match=r"dashboard\.allow_remote=true"):
            DashboardConf(host=host)
        assert DashboardConf(host=host, allow_remote=True).allow_remote
        assert "WARNING" in (exposure_warning(host, 8642) or "")
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert DashboardConf(host=host).host == host and exposure_warning(host, 8642) is None
    with pytest.raises(ConfigError, match=r"dashboard\.port"):
        DashboardConf(port=70000)
