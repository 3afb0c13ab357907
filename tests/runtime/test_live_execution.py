"""``arb live executor=live`` end to end against the simulators' private APIs.

Real signed orders on Binance, OKX and Kraken simulators (keys provisioned by the simulators),
fills, fees the venues' way, balances fetched fresh before every decision — and at the end
arb's portfolio equals the balances the venues report, exactly (``"reconciled": true``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _arb(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "workflows.cli", "live", "executor=live", "live.view=plain", "live.sim.dislocations_per_min=60",
         f"tracking.dir={tmp_path / 'mlruns'}", f"live.journal_dir={tmp_path / 'journal'}", f"hydra.run.dir={tmp_path / 'out'}",
         *args],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300,
    )


def test_live_trading_on_the_simulators_reconciles_exactly(tmp_path):
    proc = _arb(tmp_path, "live.duration_s=25", "universe=all", "dashboard.port=0")
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["mode"] == "live" and summary["trades"] > 0 and summary["orders"] >= 2 * summary["trades"]
    assert summary["reconciled"] is True, summary.get("mismatches")
    assert "mode: LIVE on the simulators" in proc.stderr and "limits:" in proc.stderr
    keys = (ROOT / "data" / "sim" / "credentials.env").read_text().split()
    secrets = [line.split("=", 1)[1] for line in keys if "_SECRET=" in line]
    assert secrets and not any(secret in proc.stdout + proc.stderr for secret in secrets)


def test_a_dry_run_builds_and_logs_orders_and_sends_none(tmp_path):
    proc = _arb(tmp_path, "live.duration_s=15", "executor.dry_run=true", "dashboard.port=0")
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["mode"] == "live-dry-run" and summary["reconciled"] is True  # nothing moved at the venues
    assert summary["realized_quote"] in ({}, {"USDT": "0"})


def test_live_trading_on_ray_reconciles_exactly(tmp_path):
    """The same desk hosted by the Ray executor actor, with its trading shell in the actor."""
    import tempfile

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray_tmp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # Ray's socket paths stay under 107 bytes
    os.environ["RAY_TMPDIR"] = ray_tmp
    try:
        proc = _arb(tmp_path, "runtime=ray", "runtime.num_cpus=2", "live.duration_s=25", "dashboard.port=0")
    finally:
        os.environ.pop("RAY_TMPDIR", None)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["mode"] == "live" and summary["trades"] > 0 and summary["reconciled"] is True, summary
