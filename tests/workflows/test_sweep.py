"""The table that ends every sweep: points side by side, the best marked, logged on each run."""

from __future__ import annotations

import csv

import pytest

from arb.config import TrackingConf
from workflows import sweep
from workflows.sweep import PointSummary, SweepPoint
from workflows.tracking import Tracker


def point(job, overrides, pnl, trades=10, fully=10, run_id=None, uri=None):
    metrics = {"net_pnl_usd": pnl, "trades": trades, "fully_filled": fully, "one_legged_fills": trades - fully,
               "fill_ratio": 1.0 if fully == trades else 0.99996, "max_drawdown_usd": 1.5,
               "opportunities_taken": trades, "fees_usd": 2.0}
    return SweepPoint(job, overrides, "FINISHED", PointSummary(metrics, run_id, uri, f"/out/{job}"))


POINTS = [
    point(0, ["strategy.min_profit_quote=0.25", "executor.latency_ms=5", "tracking.dir=/t"], 10.0),
    point(1, ["strategy.min_profit_quote=0.25", "executor.latency_ms=50", "tracking.dir=/t"], 12.5, fully=9),
    point(2, ["strategy.min_profit_quote=1", "executor.latency_ms=5", "tracking.dir=/t"], 12.5),
    SweepPoint(3, ["strategy.min_profit_quote=1", "executor.latency_ms=50", "tracking.dir=/t"], "FAILED", None, "boom"),
]


def test_the_table_shows_what_varies_and_marks_the_best_point():
    header, rows = sweep.rows(POINTS)
    assert header[:3] == ["job", "strategy.min_profit_quote", "executor.latency_ms"]  # tracking.dir is the same
    assert header[-2:] == ["rank", "best"]
    by_job = {r[0]: dict(zip(header, r)) for r in rows}
    # a tie on net P&L goes to the lower job number
    assert by_job["1"]["rank"] == "1" and by_job["1"]["best"] == "best"
    assert by_job["2"]["rank"] == "2" and by_job["0"]["rank"] == "3"
    assert by_job["3"]["rank"] == "FAILED" and by_job["3"]["net P&L (USD)"] == ""
    # 9 of 10 trades matched: never printed as 1.0000
    assert by_job["1"]["fill ratio"] == "0.9999" and by_job["0"]["fill ratio"] == "1.0000"


def test_secrets_in_overrides_are_masked():
    points = [point(0, ["venues.binance.api_key=${oc.env:K1}", "executor.latency_ms=5"], 1.0),
              point(1, ["venues.binance.api_key=${oc.env:K2}", "executor.latency_ms=50"], 2.0)]
    header, rows = sweep.rows(points)
    assert "K1" not in repr(rows) and "K2" not in repr(rows)
    assert sweep.varying(points) == ["executor.latency_ms"]


def test_finish_sweep_prints_writes_csv_and_tags_every_run(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    trackers = []
    for name in ("a", "b"):
        tracker = Tracker(TrackingConf(dir=str(tmp_path / "mlruns")), tmp_path)
        tracker.start(name, {})
        tracker.end()
        trackers.append(tracker)
    points = [point(0, ["x=1"], 3.0, run_id=trackers[0].run_id, uri=trackers[0].uri),
              point(1, ["x=2"], 7.0, run_id=trackers[1].run_id, uri=trackers[1].uri)]

    sweep.finish_sweep(points, tmp_path / "multirun")

    out = capsys.readouterr().out
    assert "Sweep multirun: 2 points" in out
    assert f"best: job 1: x=2 — net P&L 7.0000 USD (MLflow run {trackers[1].run_id})" in out
    with (tmp_path / "multirun" / "sweep.csv").open() as f:
        table = list(csv.DictReader(f))
    assert [(r["x"], r["rank"], r["best"], r["mlflow_run_id"]) for r in table] == [
        ("1", "2", "", trackers[0].run_id), ("2", "1", "best", trackers[1].run_id)]
    from mlflow import MlflowClient

    client = MlflowClient(trackers[0].uri)
    for tracker, rank in zip(trackers, ("2", "1")):
        run = client.get_run(tracker.run_id)
        assert run.data.tags["arb.sweep.rank"] == rank
        assert run.data.tags["arb.sweep.best"] == ("true" if rank == "1" else "false")
        assert [a.path for a in client.list_artifacts(tracker.run_id)] == ["sweep.csv"]


def test_a_failed_job_is_listed_after_the_table(tmp_path, capsys):
    sweep.finish_sweep(POINTS, tmp_path)
    out = capsys.readouterr().out
    assert "FAILED job 3: strategy.min_profit_quote=1 executor.latency_ms=50 tracking.dir=/t: boom" in out


@pytest.mark.parametrize("value", [float("nan")])
def test_a_nan_pnl_ranks_last(value):
    points = [point(0, ["x=1"], value), point(1, ["x=2"], -5.0)]
    assert [p.job for p in sweep.ranked(points)] == [1, 0]
