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


@pytest.mark.slow
def test_a_sweep_ends_with_a_table_of_its_points_logged_on_each_run(tmp_path):
    proc = arb("--multirun", "strategy.min_profit_quote=0.25,1", tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout[proc.stdout.index("Sweep "):]
    assert "strategy.min_profit_quote" in table and "net P&L (USD)" in table and "best" in table
    assert "best: job " in table and f"sweep table: {tmp_path / 'multirun' / 'sweep.csv'}" in table
    import csv

    with (tmp_path / "multirun" / "sweep.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["strategy.min_profit_quote"] for r in rows] == ["0.25", "1"]
    assert sorted(r["rank"] for r in rows) == ["1", "2"] and [r["best"] for r in rows].count("best") == 1
    runs = {r.info.run_id: r for r in mlflow_runs(tmp_path)}
    assert set(runs) == {r["mlflow_run_id"] for r in rows}
    for row in rows:
        tags = runs[row["mlflow_run_id"]].data.tags
        assert tags["arb.sweep.rank"] == row["rank"] and tags["arb.sweep.best"] == str(row["best"] == "best").lower()


def test_output_that_is_not_a_terminal_is_plain_and_quiet(tmp_path):
    proc = arb("backtest.sim.duration_s=5", tmp=tmp_path, env={"FORCE_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x1b" not in proc.stderr
    assert proc.stderr == ""  # no MLflow "Creating initial MLflow database tables…", no alembic
    assert "INFO mlflow" not in proc.stdout and "net P&L (USD, mark to market)" in proc.stdout


def test_no_color_on_a_terminal_means_no_escape_codes(tmp_path):
    import pty
    import re

    main, side = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "workflows.cli", "backtest", f"tracking.dir={tmp_path / 'mlruns'}",
         f"backtest.cache_dir={tmp_path / 'sim'}", "backtest.sim.duration_s=5", "backtest.progress=false",
         f"hydra.run.dir={tmp_path / 'out'}"],
        cwd=ROOT, stdout=side, stderr=side, env=env,
    )
    os.close(side)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=120) == 0
    out = b"".join(chunks).decode()
    assert "net P&L (USD, mark to market)" in out  # it was printed to the terminal…
    assert not re.search(r"\x1b\[[0-9;]*m", out), repr(out[:500])  # …without a colour or style code


def test_hundreds_of_bad_frames_print_a_few_warnings_and_a_count(tmp_path):
    import re

    from arb.record import RecordingReader, RecordingWriter
    from tests.runtime.markets import recordings

    [day] = recordings(tmp_path, days=1)
    numbers = tmp_path / "okx-numbers.jsonl.gz"  # OKX's levels sent as JSON numbers: every OKX frame undecodable
    bad = 0
    with RecordingReader(day) as reader, RecordingWriter(numbers, None, reader.header.symbols, "test") as writer:
        for rec in reader:
            data = rec.data
            if rec.venue == "okx" and rec.kind == "ws" and data and '"books' in data:
                data, n = re.subn(r'"(\d+(?:\.\d+)?)"', r"\1", data)
                bad += n > 0
            writer.write(rec.ts, rec.venue, rec.kind, data, conn=rec.conn, url=rec.url)
    proc = arb(f"backtest.recordings=[{numbers}]", "universe.venues=[binance,okx,kraken]", tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout + proc.stderr
    # The books throttle their own warnings (one line per reason per 10 s of market time, then
    # the count held back): a few lines, and every bad frame counted in them.
    shown = out.count("skipped frame")
    held = sum(int(a or b) for a, b in re.findall(r"and (\d+) more like it|: (\d+) more 'schema' held back", out))
    assert bad > 100 and 1 <= shown <= 3
    assert shown + held == bad
