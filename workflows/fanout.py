"""``arb backtest backtest.fanout=per_file|per_day``: many recordings, one backtest each.

    arb backtest backtest.fanout=per_file backtest.recordings=[d1.jsonl.gz,d2.jsonl.gz,d3.jsonl.gz]
    arb backtest runtime=ray backtest.fanout=per_day backtest.recordings=[…]        # Ray tasks
    arb backtest runtime=ray runtime.address=auto backtest.fanout=per_file …       # on a cluster

Groups (:func:`arb.runtime.fanout.fanout_groups`) run as Ray tasks with ``runtime=ray``,
else one after another here — the same results either way. MLflow: **one parent run** for
the fan-out (the config as params, the merged metrics, P&L curve, trades and plots) with
**one child run per group** (its recordings, metrics, P&L curve and trades), all logged
from this process once the results are back: tasks only compute, so they may run on nodes
that cannot reach a local tracking store.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from arb.config import ArbConf, flatten
from arb.core.errors import ConfigError
from arb.core.instruments import Instruments
from arb.runtime.backtest import BacktestResult, run_backtest
from arb.runtime.fanout import fanout_groups, merge_results, recorded_venues
from workflows import report
from workflows.tracking import Tracker

log = logging.getLogger("arb.backtest")


def run_groups(groups: list[list[Path]], conf: ArbConf, instruments: Instruments) -> list[BacktestResult]:
    """Every group's backtest: Ray tasks with ``runtime.kind=ray``, else serially here."""
    if conf.runtime.kind != "ray":
        return [run_backtest(group, conf, instruments) for group in groups]
    from arb.runtime import ray_backtest, ray_cluster

    rt = conf.runtime
    resources = ray_cluster.connect(rt.address, rt.num_cpus, rt.namespace)
    log.info("fan-out: %d backtests as Ray tasks on %g CPUs", len(groups), resources.get("CPU", 0))
    return ray_backtest.run_groups(groups, conf, instruments, rt.task_cpus)


def check_venues(groups: list[list[Path]], conf: ArbConf, setting: str, advice: str) -> list[set[str]]:
    """The venues (of ``universe.venues``) each backtest will replay. An arbitrage needs two
    in one backtest: refuse when no backtest has two (it could only report 0 trades; the
    error names ``setting`` and gives ``advice``), warn for each one that has not."""
    venues = [recorded_venues(group, conf.universe.venues) for group in groups]
    thin = [f"{', '.join(p.name for p in g)} ({', '.join(sorted(v)) or 'none of them'})"
            for g, v in zip(groups, venues) if len(v) < 2]
    if len(thin) == len(groups):
        listed = "; ".join(thin[:5]) + (f"; … {len(thin) - 5} more" if len(thin) > 5 else "")
        raise ConfigError(f"{setting}: no backtest can trade: each holds fewer than two of universe.venues "
                          f"[{', '.join(conf.universe.venues)}] — {listed}. A cross-venue arbitrage needs two "
                          f"venues in one backtest: {advice}")
    for text in thin:
        log.warning("%s: fewer than two of universe.venues, so no trade is possible in this backtest: %s", setting, text)
    return venues


def _series(tracker: Tracker, result: BacktestResult) -> None:
    tracker.series("pnl_usd", [(i, v, ts // 1_000_000) for i, (ts, v) in enumerate(result.equity)])


def run_fanout(conf: ArbConf, out_dir: Path, project_dir: Path,
               tags: dict[str, str] | None = None) -> tuple[BacktestResult, Tracker]:
    """The whole fan-out workflow (see the module doc); returns the merged result and the
    tracker of the parent run."""
    mode = conf.backtest.fanout
    if not conf.backtest.recordings:
        raise ConfigError(f"backtest.fanout={mode} needs backtest.recordings (there is nothing to fan out over)")
    paths = [Path(p) for p in conf.backtest.recordings]
    for p in paths:
        if not p.exists():
            raise ConfigError(f"backtest.recordings: {p} does not exist")
    groups = fanout_groups(paths, mode)
    if not groups:
        raise ConfigError("backtest.recordings: no records in any of them")
    venues = check_venues(groups, conf, f"backtest.fanout={mode}",
                          "use backtest.fanout=per_day to replay each day's per-venue files together, or backtest.fanout=none")
    started = time.perf_counter()
    results = run_groups(groups, conf, Instruments())
    wall_s = time.perf_counter() - started
    merged = merge_results(results)
    merged.metrics["fanout_tasks"] = len(groups)
    merged.metrics["fanout_wall_s"] = wall_s
    merged.metrics["fanout_events_per_s"] = merged.metrics["events"] / wall_s if wall_s > 0 else 0.0

    out_dir.mkdir(parents=True, exist_ok=True)
    source = f"{len(groups)} {'files' if mode == 'per_file' else 'days'} of {len(paths)} recordings"
    parent = Tracker(conf.tracking, project_dir)
    parent.start(run_name=f"backtest fan-out {mode}: {source}"[:250],
                 tags={"arb.workflow": "backtest", "arb.fanout": mode, "arb.source": source, **(tags or {})})
    status = "FAILED"
    try:
        parent.params({**flatten(conf), "recordings": ",".join(str(p) for p in paths)})
        for index, (group, result) in enumerate(zip(groups, results)):
            names = ", ".join(p.name for p in group)
            child = Tracker(conf.tracking, project_dir)
            child.start(run_name=f"{index}: {names}"[:250], parent=parent,
                        tags={"arb.workflow": "backtest", "arb.fanout": mode, "arb.fanout.index": str(index),
                              "arb.source": names[:500]})
            try:
                child.params({"recordings": ",".join(str(p) for p in group)[:500], "fanout.index": index})
                child.metrics(result.metrics)
                _series(child, result)
                group_dir = out_dir / f"group-{index:03d}"
                group_dir.mkdir(exist_ok=True)
                child.artifact(report.trades_parquet(result.trades, group_dir / "trades.parquet"))
            finally:
                child.end("FINISHED")
        parent.metrics(merged.metrics)
        _series(parent, merged)
        groups_path = out_dir / "fanout.json"
        groups_path.write_text(json.dumps(
            [{"recordings": [str(p) for p in g], "metrics": r.metrics} for g, r in zip(groups, results)], indent=1))
        for artifact in (
            report.trades_parquet(merged.trades, out_dir / "trades.parquet"),
            report.equity_png(merged.equity, out_dir / "equity.png", f"P&L — {source}, chained"),
            report.spreads_png(merged.spreads, out_dir / "spreads.png", "Net spreads that made no opportunity"),
            groups_path,
        ):
            parent.artifact(artifact)
        status = "FINISHED"
    finally:
        parent.end(status)
    m = merged.metrics
    rows = report.backtest_rows(m, merged.summary)
    rows["max drawdown (USD, groups chained)"] = rows.pop("max drawdown (USD)")
    del rows["wall time (s)"], rows["throughput (events per wall-clock second)"]
    rows[f"backtests ({'Ray tasks' if conf.runtime.kind == 'ray' else 'serial'})"] = len(groups)
    rows["compute time, summed over backtests (s)"] = m["wall_s"]
    rows["wall time (s)"] = wall_s
    rows["throughput (events per wall-clock second)"] = m["fanout_events_per_s"]
    report.print_summary(f"Backtest fan-out ({mode}): {source}", rows)
    for group, result, held in zip(groups, results, venues):
        alone = "" if len(held) >= 2 else f" (only {', '.join(sorted(held)) or 'no venue'} of universe.venues: cannot trade)"
        print(f"  {', '.join(p.name for p in group)}: {int(result.metrics['trades'])} trades, "
              f"net P&L {result.metrics['net_pnl_usd']:,.4f} USD{alone}")
    print(f"MLflow: {parent.describe()}")
    print(f"  with {len(groups)} child runs, one per backtest")
    print(f"artifacts: {out_dir}")
    return merged, parent
