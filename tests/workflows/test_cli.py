"""The ``arb`` entry point: help first, unknown keys refused before Hydra runs, configs
printed with credentials masked, an unreachable tracking server refused at start."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from arb.config import TrackingConf
from arb.core.errors import ConfigError
from workflows.config import check_tracking

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fake-secret-4711"


def arb(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI" and not k.startswith("ARB_")}
    return subprocess.run(
        [sys.executable, "-m", "workflows.cli", *args],
        cwd=ROOT, capture_output=True, text=True, env={**full_env, **(env or {})}, timeout=timeout,
    )


def test_arb_help_starts_with_what_arb_does():
    proc = arb("--help")
    assert proc.returncode == 0
    assert proc.stdout.startswith("arb — cross-exchange crypto arbitrage")
    assert "strategy.min_profit_quote" in proc.stdout and "venues.<venue>.enabled=false" in proc.stdout


@pytest.mark.parametrize("command", ["backtest", "live", "record", "simulate"])
def test_command_help_starts_with_what_it_does_and_its_keys_then_hydra(command):
    proc = arb(command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"arb {command} — ")
    keys = proc.stdout.index("most used keys:")
    assert keys < proc.stdout.index("venues.<venue>.enabled=false") < proc.stdout.index("powered by Hydra")
    assert "== Config ==" in proc.stdout  # Hydra's dump follows


def test_an_unknown_key_fails_before_hydra_with_a_suggestion_not_a_plus():
    proc = arb("backtest", "strategy.min_profti_quote=1")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "arb backtest: strategy.min_profti_quote: unknown key (did you mean strategy.min_profit_quote?)"
    plus = arb("backtest", "+strategy.min_profti_quote=1")
    assert plus.returncode == 2 and "did you mean strategy.min_profit_quote?" in plus.stderr


def test_printed_configs_mask_credentials_from_the_environment():
    env = {"ARB_BINANCE_API_KEY": SECRET, "ARB_OKX_API_SECRET": SECRET}
    resolved = arb("backtest", "--cfg", "job", "--resolve", env=env)
    assert resolved.returncode == 0, resolved.stderr
    assert SECRET not in resolved.stdout + resolved.stderr
    assert "api_key: '***'" in resolved.stdout and "api_secret: '***'" in resolved.stdout
    assert "min_profit_quote: 0.5" in resolved.stdout and "max_open_legs: 4" in resolved.stdout
    plain = arb("backtest", "--cfg", "job", env=env)
    assert SECRET not in plain.stdout and "api_key: ${oc.env:ARB_BINANCE_API_KEY,null}" in plain.stdout
    for args in (("--cfg", "all", "--resolve"), ("--cfg", "hydra", "--resolve"), ("--help", "--resolve"),
                 ("--cfg", "job", "--resolve", "--package", "venues.okx")):
        proc = arb("backtest", *args, "venues.binance.api_secret=${oc.env:ARB_OKX_API_SECRET}", env=env)
        assert proc.returncode == 0, (args, proc.stderr)
        assert SECRET not in proc.stdout + proc.stderr, args


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_tracking_server_fails_at_start_in_one_line(tmp_path):
    uri = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    proc = arb("backtest", f"tracking.uri={uri}", f"backtest.cache_dir={tmp_path / 'sim'}", f"hydra.run.dir={tmp_path / 'out'}",
               timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"arb backtest: tracking.uri={uri}: no MLflow tracking server answers")
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert time.monotonic() - started < 30
    assert not (tmp_path / "sim").exists()  # failed before simulating anything


def test_check_tracking_accepts_any_http_answer_and_skips_local_stores(monkeypatch):
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        check_tracking(TrackingConf(uri=f"http://127.0.0.1:{server.server_port}"))
    finally:
        server.shutdown()
    closed = f"http://127.0.0.1:{_closed_port()}"
    check_tracking(TrackingConf(uri=closed, enabled=False))
    check_tracking(TrackingConf(uri="sqlite:///nowhere/mlflow.db"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", closed)
    with pytest.raises(ConfigError, match=r"^\$MLFLOW_TRACKING_URI=http://127\.0\.0\.1:\d+: no MLflow tracking server answers"):
        check_tracking(TrackingConf())


@pytest.mark.slow
def test_a_resolved_secret_never_reaches_the_mlflow_tags(tmp_path):
    proc = arb(
        "backtest", "venues.binance.api_secret=${oc.env:ARB_BINANCE_API_SECRET}",
        f"tracking.dir={tmp_path / 'mlruns'}", f"backtest.cache_dir={tmp_path / 'sim'}", f"hydra.run.dir={tmp_path / 'out'}",
        "backtest.sim.duration_s=5", "universe.symbols=[BTC/USDT]", "backtest.progress=false",
        env={"ARB_BINANCE_API_SECRET": SECRET},
    )
    assert proc.returncode == 0, proc.stderr
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    [run] = mlflow.search_runs(experiment_names=["arb"], output_format="list")
    assert run.data.tags["arb.overrides"].startswith("venues.binance.api_secret=*** ")
    assert SECRET not in str(run.data.tags) + str(run.data.params) + proc.stdout + proc.stderr


@pytest.mark.slow
def test_arb_live_says_when_no_venue_can_be_reached_and_fails(tmp_path):
    """Issue 10: offline, ``arb live live=public`` logged gaierrors and exited 0 with a FINISHED run."""
    dead = "ws://127.0.0.1:9/ws"  # nothing listens on port 9
    proc = subprocess.run(
        [sys.executable, "-m", "workflows.cli", "live", "live=public", "live.duration_s=16", "live.view=plain",
         "universe.venues=[binance,okx]", f"venues.binance.ws_url={dead}", f"venues.okx.ws_url={dead}",
         "venues.binance.rest_url=http://127.0.0.1:9", "venues.okx.rest_url=http://127.0.0.1:9", "dashboard.port=0",
         f"tracking.dir={tmp_path / 'mlruns'}", f"live.journal_dir={tmp_path / 'j'}", f"hydra.run.dir={tmp_path / 'out'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"},
    )
    assert proc.returncode == 2
    assert "no venue could be reached: binance" in proc.stderr and "not-up=binance,okx" in proc.stderr
