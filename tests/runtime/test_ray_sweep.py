"""``--multirun`` on Ray: hydra_plugins/arb_ray_launcher runs each sweep job as a Ray task."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.runtime.markets import recordings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def overrides(tmp: Path, recording: Path) -> list[str]:
    return [
        f"tracking.dir={tmp / 'mlruns'}",
        f"backtest.cache_dir={tmp / 'sim'}",
        f"hydra.sweep.dir={tmp / 'multirun'}",
        f"backtest.recordings=[{recording}]",
        "universe.symbols=[BTC/USDT,ETH/USDT]",
        "backtest.progress=false",
    ]


def mlflow_runs(tmp: Path):
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp / 'mlruns' / 'mlflow.db'}")
    return mlflow.search_runs(experiment_names=["arb"], output_format="list")


def test_launcher_is_discovered_and_runtime_ray_selects_it():
    proc = subprocess.run([sys.executable, "-m", "workflows.cli", "backtest", "--cfg", "hydra", "runtime=ray"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "_target_: hydra_plugins.arb_ray_launcher.arb_ray_launcher.ArbRayLauncher" in proc.stdout
    assert "workflows.sweep.PrepareSweep" in proc.stdout


def test_a_two_point_sweep_runs_as_ray_tasks_with_one_mlflow_run_each(ray_local, tmp_path, monkeypatch):
    from hydra.core.global_hydra import GlobalHydra

    from workflows import backtest

    [recording] = recordings(tmp_path, days=1)
    GlobalHydra.instance().clear()
    backtest.main(["--multirun", "runtime=ray", "strategy.min_profit_quote=0.25,1", *overrides(tmp_path, recording)])

    runs = mlflow_runs(tmp_path)
    assert len(runs) == 2 and all(r.info.status == "FINISHED" for r in runs)
    assert {r.data.params["strategy.min_profit_quote"] for r in runs} == {"0.25", "1.0"}
    assert len({r.data.tags["arb.sweep"] for r in runs}) == 1
    assert {r.data.tags["arb.sweep.job"] for r in runs} == {"0", "1"}
    # logged from Ray worker processes, not from this one
    assert all("ray" in r.data.tags["mlflow.source.name"] and "workers" in r.data.tags["mlflow.source.name"]
               for r in runs), [r.data.tags["mlflow.source.name"] for r in runs]
    assert (tmp_path / "multirun" / "0" / "trades.parquet").exists()
    assert (tmp_path / "multirun" / "1" / "trades.parquet").exists()


def test_a_failing_job_fails_the_sweep(ray_local, tmp_path):
    from hydra.core.global_hydra import GlobalHydra

    from workflows import backtest

    GlobalHydra.instance().clear()
    with pytest.raises(SystemExit) as exc:  # Hydra reports the job's error and exits 1
        backtest.main(["--multirun", "runtime=ray", "strategy.min_profit_quote=0.5",
                       *overrides(tmp_path, tmp_path / "missing.jsonl.gz")])
    assert exc.value.code == 1


def test_every_job_summary_reaches_the_driver_and_the_sweep_ends_with_a_table(ray_local, tmp_path, capsys, monkeypatch):
    from hydra.core.global_hydra import GlobalHydra

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # mlflow.set_tracking_uri in a test before sets it

    from workflows import backtest

    [recording] = recordings(tmp_path, days=1)
    GlobalHydra.instance().clear()
    backtest.main(["--multirun", "runtime=ray", "strategy.min_profit_quote=0.25,0.5,1", *overrides(tmp_path, recording)])

    out = capsys.readouterr().out
    # Three jobs print near-identical summaries: none may be lost to Ray's log deduplication.
    assert out.count("Backtest: day0.jsonl.gz") == 3 and out.count("net P&L (USD, mark to market)") == 3
    for job in range(3):
        assert f"artifacts: {tmp_path / 'multirun' / str(job)}" in out
    assert out.index("#0 : ") < out.index("#1 : ") < out.index("#2 : ") < out.index("Sweep multirun: 3 points")
    assert "repeated" not in out and "\x1b[" not in out
    assert "best: job " in out and (tmp_path / "multirun" / "sweep.csv").exists()
    runs = mlflow_runs(tmp_path)
    assert len(runs) == 3 and sorted(r.data.tags["arb.sweep.rank"] for r in runs) == ["1", "2", "3"]
