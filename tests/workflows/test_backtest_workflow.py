"""``arb backtest`` end to end: Hydra app → simulated market → backtest → MLflow run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def arb(*args: str, tmp: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    overrides = [
        f"tracking.dir={tmp / 'mlruns'}",
        f"backtest.cache_dir={tmp / 'sim'}",
        "backtest.sim.duration_s=20",
        "backtest.sim.dislocations_per_min=6",
        "universe.symbols=[BTC/USDT,ETH/USDT]",
        "backtest.progress=false",
    ]
    if "--multirun" in args:
        overrides.append(f"hydra.sweep.dir={tmp / 'multirun'}")
    else:
        overrides.append(f"hydra.run.dir={tmp / 'out'}")
    full_env = {**os.environ, "MLFLOW_TRACKING_URI": "", **(env or {})}
    full_env.pop("MLFLOW_TRACKING_URI")
    return subprocess.run(
        [sys.executable, "-m", "workflows.cli", "backtest", *args, *overrides],
        cwd=ROOT, capture_output=True, text=True, env=full_env, timeout=300,
    )


def mlflow_runs(tmp: Path):
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp / 'mlruns' / 'mlflow.db'}")
    return mlflow.search_runs(experiment_names=["arb"], output_format="list")


@pytest.mark.slow
def test_backtest_prints_a_summary_and_tracks_metrics_params_and_plots(tmp_path):
    proc = arb(tmp=tmp_path, env={"ARB_KRAKEN_API_SECRET": "s3cr3t-never-logged"})
    assert proc.returncode == 0, proc.stderr
    assert "net P&L (USD, mark to market)" in proc.stdout and "MLflow: run" in proc.stdout
    [run] = mlflow_runs(tmp_path)
    assert run.info.status == "FINISHED"
    metrics = run.data.metrics
    for name in ("net_pnl_usd", "fees_usd", "trades", "fill_ratio", "one_legged_fills", "opportunities_seen",
                 "opportunities_taken", "max_drawdown_usd", "latency_ms.binance"):
        assert name in metrics, name
    params = run.data.params
    assert params["strategy.min_profit_quote"] == "0.5" and params["universe.symbols"] == "BTC/USDT,ETH/USDT"
    assert params["venues.kraken.api_secret"] == "***"
    import mlflow

    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)}
    assert {"trades.parquet", "equity.png", "spreads.png", "config.yaml"} <= artifacts
    local = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "dl")))
    everything = b"".join(p.read_bytes() for p in local.rglob("*") if p.is_file())
    assert b"s3cr3t-never-logged" not in everything
    assert b"s3cr3t-never-logged" not in (proc.stdout + proc.stderr).encode()
    import pyarrow.parquet as pq

    table = pq.read_table(local / "trades.parquet")
    assert table.num_rows == metrics["trades"]
    assert str(table.schema.field("realized_pnl_quote").type) == "decimal128(38, 18)"


@pytest.mark.slow
def test_multirun_sweep_gives_one_tagged_run_per_point(tmp_path):
    proc = arb("--multirun", "strategy.min_profit_quote=0.25,1", "executor.latency_ms=5,50", tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr
    runs = mlflow_runs(tmp_path)
    assert len(runs) == 4
    sweeps = {r.data.tags["arb.sweep"] for r in runs}
    assert len(sweeps) == 1
    points = {(r.data.params["strategy.min_profit_quote"], r.data.params["executor.latency_ms"]) for r in runs}
    assert points == {("0.25", "5.0"), ("0.25", "50.0"), ("1.0", "5.0"), ("1.0", "50.0")}
    assert all(r.info.experiment_id == runs[0].info.experiment_id for r in runs)


def test_a_bad_override_fails_at_start_naming_the_key(tmp_path):
    proc = arb("risk.max_notional_quote=-5", tmp=tmp_path)
    assert proc.returncode == 2
    assert "risk.max_notional_quote must be positive" in proc.stderr
    assert not (tmp_path / "mlruns" / "mlflow.db").exists()


@pytest.mark.slow
def test_arb_live_on_ray_runs_against_the_simulators_and_trades(tmp_path):
    import tempfile

    # A short temp dir: Ray's socket paths must stay under 107 bytes.
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_TMPDIR": tempfile.mkdtemp(prefix="ray-", dir="/tmp")}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(
        [sys.executable, "-m", "workflows.cli", "live", "runtime=ray", "runtime.num_cpus=2", "live.duration_s=25",
         "live.view=plain", "live.sim.dislocations_per_min=40", f"live.journal_dir={tmp_path / 'journal'}",
         f"tracking.dir={tmp_path / 'mlruns'}", f"hydra.run.dir={tmp_path / 'out'}", "dashboard.enabled=false"],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "arb live (ray) — final" in proc.stdout
    status = [line for line in proc.stderr.splitlines() if line.startswith("trades=")]
    assert status and "live_books=30" in status[-1]
    assert int(status[-1].split()[0].split("=")[1]) > 0  # it traded
