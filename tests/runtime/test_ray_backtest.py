"""Backtest fan-out as Ray tasks: the same per-file results as serial runs; MLflow parent + children."""

from __future__ import annotations

import os

import msgspec
import pytest

from arb.runtime import ray_backtest
from arb.runtime.backtest import run_backtest
from arb.runtime.fanout import fanout_groups
from tests.runtime.markets import conf, recordings

pytestmark = pytest.mark.slow

#: Depend on the machine, not on the market.
_TIMING = ("wall_s", "events_per_s")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return recordings(tmp_path_factory.mktemp("days"))


def comparable(result) -> bytes:
    metrics = {k: v for k, v in result.metrics.items() if k not in _TIMING}
    return msgspec.json.encode([result.trades, metrics, result.equity, result.spreads, list(result.journal),
                                result.rejections, result.sync])


def test_fanout_over_three_recordings_gives_the_serial_per_file_results(ray_local, files):
    groups = fanout_groups(files, "per_file")

    on_ray = ray_backtest.run_groups(groups, conf())
    serial = [run_backtest(group, conf()) for group in groups]

    assert len(on_ray) == 3 and all(r.trades for r in serial)
    assert [comparable(r) for r in on_ray] == [comparable(r) for r in serial]


def test_fanout_workflow_logs_a_parent_run_with_one_child_per_file(ray_local, files, tmp_path, monkeypatch, capsys):
    import mlflow

    from arb.config import TrackingConf
    from workflows.backtest import run

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    c = conf()
    c.runtime.kind = "ray"
    c.backtest.fanout = "per_file"
    c.backtest.recordings = [str(p) for p in files]
    c.backtest.progress = False
    c.tracking = TrackingConf(dir=str(tmp_path / "mlruns"))

    merged = run(c, tmp_path / "out")

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["arb"], output_format="list")
    [parent] = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = sorted((r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id),
                      key=lambda r: int(r.data.tags["arb.fanout.index"]))
    assert len(runs) == 4 and len(children) == 3
    assert all(r.info.status == "FINISHED" for r in runs)
    assert parent.data.tags["arb.fanout"] == "per_file" and parent.data.metrics["fanout_tasks"] == 3
    assert parent.data.metrics["trades"] == sum(r.data.metrics["trades"] for r in children) == len(merged.trades)
    assert [r.data.params["recordings"] for r in children] == [str(p) for p in files]
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(parent.info.run_id)}
    assert {"trades.parquet", "equity.png", "spreads.png", "fanout.json"} <= artifacts
    assert "Backtest fan-out (per_file)" in capsys.readouterr().out
    assert os.path.exists(tmp_path / "out" / "group-002" / "trades.parquet")
