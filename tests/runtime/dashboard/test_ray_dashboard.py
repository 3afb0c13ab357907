"""The dashboard of ``arb live runtime=ray``, served from the driver and reading the actors:
readiness, live state, settings reaching the scanners, the kill switch reaching the executor
(from the command line), and ``/metrics`` gathered from Ray's metrics agents."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time

import pytest

from tests.runtime.dashboard.engine import arb_live, wait_for

pytestmark = pytest.mark.slow


def _post(engine, path: str, body: dict) -> dict:
    done = subprocess.run(
        ["curl", "-sS", "-X", "POST", "-H", f"Authorization: Bearer {engine.token}", "-H", "Content-Type: application/json",
         "-d", json.dumps(body), f"{engine.url}{path}"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_ray_runtime_serves_the_dashboard_from_the_driver(tmp_path):
    env = {"RAY_AUTH_MODE": "disabled", "RAY_TMPDIR": tempfile.mkdtemp(prefix="ray-", dir="/tmp"),
           "RAY_metrics_report_interval_ms": "1000"}
    overrides = ("runtime=ray", "runtime.num_cpus=2", "live.sim.dislocations_per_min=40", "universe.symbols=[BTC/USDT,ETH/USDT]")
    with arb_live(tmp_path, *overrides, env=env) as engine:
        assert engine.get("/readyz", token=None)[0] == 401
        wait_for("/readyz to say ready", lambda: engine.get("/readyz")[0] == 200, 120)
        state = engine.state()
        assert state["runtime"] == "ray"
        # One row per feed actor: a venue per shard that holds symbols (conf/runtime/ray.yaml: two shards).
        assert {f["venue"] for f in state["feeds"]} == {"binance", "kraken", "okx"} and len(state["feeds"]) % 3 == 0
        assert sum(f["books_live"] for f in state["feeds"]) == 6
        assert len(state["books"]) == 6 and all(b["state"] == "live" for b in state["books"])
        wait_for("a trade", lambda: engine.state()["trades_total"] > 0, 120)

        answer = _post(engine, "/api/settings", {"min_profit_quote": "1000000", "reason": "ray test"})
        assert answer["ok"] and answer["settings"]["min_profit_quote"] == "1000000"
        time.sleep(2.0)
        before = engine.state()["opportunities_seen"]
        time.sleep(6.0)
        assert engine.state()["opportunities_seen"] == before  # every scanner shard uses it
        assert _post(engine, "/api/settings", {"min_profit_quote": "0.5"})["ok"]
        wait_for("the scanners to find opportunities again", lambda: engine.state()["opportunities_seen"] > before, 90)

        assert _post(engine, "/api/kill", {"reason": "ray test"})["ok"]
        killed = engine.state()
        assert killed["risk"]["killed"] and killed["risk"]["state"] == "halted"
        wait_for("a refusal after the kill", lambda: engine.state()["rejections"].get("halted", 0) > 0, 90)
        assert engine.state()["opportunities_taken"] == killed["opportunities_taken"]
        refused = _post(engine, "/api/resume", {"reason": "too soon"})
        assert not refused["ok"] and "release it first" in refused["detail"]

        def exported() -> bool:
            status, body = engine.get("/metrics")
            text = body.decode()
            return status == 200 and "ray_arb_trades_total{" in text and "ray_arb_feed_messages_total{" in text and "ray_arb_kill_switch{" in text

        wait_for("the actors' metrics on /metrics", exported, 90, every_s=2)
    assert "arb live (ray) — final" in engine.output()
