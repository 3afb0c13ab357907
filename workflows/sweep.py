"""Sweeps (``--multirun``): what is prepared before the jobs, and the table that ends them.

Before: concurrent jobs must not race to create the same things: the local MLflow store
(its tables are created on first use) and experiment, and the simulated market every job
of a strategy sweep replays. :class:`PrepareSweep` is a Hydra callback
(``conf/runtime/ray.yaml``) that creates them from the sweep's base config before the
launcher starts any job.

After: every job hands its key metrics back to the driver as its return value
(:class:`PointSummary`: a few numbers, so it travels back from a Ray worker for free), and
the sweeper (``hydra_plugins/arb_sweeper``, for the local and the Ray launcher alike) calls
:func:`finish_sweep`: one table of the points side by side — the overrides that vary, the
key metrics, the best point marked — printed in the driver, written to
``<sweep dir>/sweep.csv`` and logged as the ``sweep.csv`` artifact of every point's MLflow
run, with tags ``arb.sweep.rank`` (1 = best) and ``arb.sweep.best``. The best point has the
highest net P&L (ties: the lower job number).

Why an artifact on each run and not a parent run: the points' runs are already grouped by
their ``arb.sweep`` tag, and a parent run would be one more row, without a point's metrics,
in every search over the experiment (the notebook and the sweep tests read one row per
point); the table and the ranks on each run make any one of them lead to the others.
"""

from __future__ import annotations

import copy
import csv
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, open_dict, read_write
from rich.table import Table

from arb.config import SECRET_KEYS
from workflows import report

log = logging.getLogger("arb.sweep")

#: ``(metric, column title)`` for every point, in table order.
COLUMNS = (
    ("net_pnl_usd", "net P&L (USD)"),
    ("trades", "trades"),
    ("one_legged_fills", "one-legged"),
    ("fill_ratio", "fill ratio"),
    ("max_drawdown_usd", "max drawdown (USD)"),
    ("opportunities_taken", "opportunities taken"),
    ("fees_usd", "fees (USD)"),
)
#: The metric that picks the best point (highest wins).
BEST_BY = "net_pnl_usd"


class PointSummary(msgspec.Struct, frozen=True):
    """What one sweep job hands back to the driver: its key metrics and where its run is."""

    metrics: dict[str, float]
    run_id: str | None
    tracking_uri: str | None
    output_dir: str


class SweepPoint(msgspec.Struct):
    """One job of a sweep as the driver saw it come back."""

    job: int
    overrides: list[str]
    status: str  # "FINISHED" or "FAILED"
    summary: PointSummary | None = None
    error: str = ""


def point_summary(metrics: dict[str, float], run_id: str | None, tracking_uri: str | None, output_dir: Path) -> PointSummary:
    """A job's return value: the :data:`COLUMNS` metrics it has (and ``fully_filled``, which
    tells an exact fill ratio of 1), and its run."""
    keep = {k for k, _ in COLUMNS} | {"fully_filled"}
    return PointSummary({k: float(v) for k, v in metrics.items() if k in keep}, run_id, tracking_uri, str(output_dir))


def _key_value(override: str) -> tuple[str, str]:
    key, _, value = override.partition("=")
    key = key.lstrip("+~")
    if key.rsplit(".", 1)[-1] in SECRET_KEYS:
        value = "***"
    return key, value


def varying(points: Sequence[SweepPoint]) -> list[str]:
    """Override keys whose value differs between points (in the order first given)."""
    given = [dict(_key_value(o) for o in point.overrides if not o.startswith("hydra.")) for point in points]
    keys = list(dict.fromkeys(key for values in given for key in values))
    return [key for key in keys if len({values.get(key, "(default)") for values in given}) > 1]


def ranked(points: Sequence[SweepPoint]) -> list[SweepPoint]:
    """Finished points, best first (see :data:`BEST_BY`)."""
    done = [(p, p.summary) for p in points if p.summary is not None and BEST_BY in p.summary.metrics]
    return [p for p, _ in sorted(done, key=lambda ps: (-_num(ps[1].metrics[BEST_BY]), ps[0].job))]


def _num(value: float) -> float:
    return float("-inf") if value != value else value  # NaN ranks last


def _cell(metric: str, metrics: dict[str, float]) -> str:
    value = metrics.get(metric)
    if value is None:
        return ""
    if metric == "fill_ratio":  # rounded down: 1.0000 only when every trade matched
        return report.ratio_text(value, exact_one=metrics.get("fully_filled") == metrics.get("trades", -1))
    return f"{value:.4f}" if metric.endswith("_usd") else f"{value:g}"


def rows(points: Sequence[SweepPoint]) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)`` of the sweep table, in job order: the job, the overrides that
    vary, the :data:`COLUMNS` metrics, the rank (or FAILED) and ``best`` on the best row."""
    keys = varying(points)
    rank = {p.job: i for i, p in enumerate(ranked(points), start=1)}
    header = ["job", *keys, *(title for _, title in COLUMNS), "rank", "best"]
    out = []
    for point in sorted(points, key=lambda p: p.job):
        values = dict(_key_value(o) for o in point.overrides if not o.startswith("hydra."))
        metrics = point.summary.metrics if point.summary is not None else {}
        out.append([
            str(point.job), *(values.get(key, "(default)") for key in keys), *(_cell(m, metrics) for m, _ in COLUMNS),
            "FAILED" if point.status != "FINISHED" else str(rank.get(point.job, "")),
            "best" if rank.get(point.job) == 1 else "",
        ])
    return header, out


def print_table(points: Sequence[SweepPoint], title: str) -> None:
    header, body = rows(points)
    table = Table(title=title, title_justify="left")
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if 0 < i < len(header) - len(COLUMNS) - 2 or name == "best" else "right")
    for cells in body:
        table.add_row(*cells, style="bold" if cells[-1] == "best" else None)
    report.console().print(table)


def write_csv(points: Sequence[SweepPoint], path: Path) -> Path:
    header, body = rows(points)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*header, "mlflow_run_id", "output_dir"])
        for point, cells in zip(sorted(points, key=lambda p: p.job), body):
            summary = point.summary
            writer.writerow([*cells, summary.run_id if summary else "", summary.output_dir if summary else ""])
    return path


def finish_sweep(points: Sequence[SweepPoint], sweep_dir: Path) -> None:
    """Print the sweep table, write ``sweep.csv`` and log it on every point's run."""
    from workflows.tracking import annotate_run

    sweep_dir.mkdir(parents=True, exist_ok=True)
    print_table(points, f"Sweep {sweep_dir.name}: {len(points)} points")
    path = write_csv(points, sweep_dir / "sweep.csv")
    order = ranked(points)
    for rank, point in enumerate(order, start=1):
        summary = point.summary
        assert summary is not None
        if summary.run_id and summary.tracking_uri:
            annotate_run(summary.tracking_uri, summary.run_id, {"arb.sweep.rank": str(rank), "arb.sweep.best": str(rank == 1).lower()},
                         [path])
    if order:
        best = order[0]
        assert best.summary is not None
        chosen = " ".join(f"{k}={v}" for k, v in map(_key_value, best.overrides) if k in varying(points)) or "(the only point)"
        print(f"best: job {best.job}: {chosen} — net P&L {best.summary.metrics[BEST_BY]:,.4f} USD"
              + (f" (MLflow run {best.summary.run_id})" if best.summary.run_id else ""))
    failed = [p for p in points if p.status != "FINISHED"]
    for point in failed:
        print(f"FAILED job {point.job}: {' '.join(point.overrides)}: {point.error}")
    print(f"sweep table: {path}")


class PrepareSweep(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from workflows.backtest import PROJECT_DIR, simulated_recording
        from workflows.config import load
        from workflows.tracking import Tracker

        task = copy.deepcopy(config)  # the job config alone, as Hydra hands it to a job
        with read_write(task), open_dict(task):
            del task["hydra"]
        conf = load(task)
        Tracker(conf.tracking, PROJECT_DIR)  # creates the store and the experiment
        if not conf.backtest.recordings:
            simulated_recording(conf, PROJECT_DIR / conf.backtest.cache_dir)

