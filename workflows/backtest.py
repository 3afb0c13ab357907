"""``arb backtest``: replay recordings (or a freshly simulated market) through the live
decision path, print a P&L summary and track the run in MLflow.

    arb backtest                                         # simulate universe.venues × symbols, replay it
    arb backtest backtest.recordings=[a.jsonl.gz,b.jsonl.gz]
    arb backtest --multirun strategy.min_profit_quote=0.25,0.5,1 executor.latency_ms=5,50
    arb backtest --multirun runtime=ray …                  # sweep jobs as Ray tasks
    arb backtest backtest.fanout=per_file backtest.recordings=[…]   # one backtest per file (workflows/fanout.py)
"""

from __future__ import annotations

from dataclasses import replace

import hashlib
import json
import logging
import sys
import tempfile
from pathlib import Path

import hydra
import msgspec
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from arb.config import ArbConf, flatten, redact_overrides, redacted
from arb.core.errors import ArbError, ConfigError
from arb.core.instruments import Instruments
from arb.runtime.backtest import BacktestResult, run_backtest
from arb.sim.config import DislocationConfig, MarketConfig, validate
from arb.sim.market import instruments as sim_instruments
from arb.sim.presets import UNIVERSE, VENUES
from arb.sim.recording import write_recording
from workflows import report
from workflows.config import CONF_DIR, load
from workflows.fanout import check_venues, run_fanout
from workflows.logs import summarised_warnings
from workflows.sweep import PointSummary, point_summary
from workflows.tracking import Tracker

log = logging.getLogger("arb.backtest")
PROJECT_DIR = Path(CONF_DIR).parent


def sim_market(conf: ArbConf) -> MarketConfig:
    """The simulated market for a config: universe venues × symbols with the simulator's
    venue profiles and symbol settings."""
    known = {s.symbol: s for s in UNIVERSE}
    if conf.universe.discover.enabled:  # the simulators list what they simulate; arb discovers it
        conf = replace(conf, universe=replace(conf.universe, symbols=list(known)))
    missing = [s for s in conf.universe.symbols if s not in known]
    if missing:
        raise ConfigError(f"universe.symbols: the simulator has no profile for {', '.join(missing)} (it knows {', '.join(known)})")
    sim = conf.backtest.sim
    market = MarketConfig(
        venues=tuple(VENUES[v] for v in conf.active_venues()),
        symbols=tuple(known[s] for s in conf.universe.symbols),
        dislocations=DislocationConfig(sim.dislocations_per_min, sim.dislocation_bps, sim.dislocation_s),
        name=f"{len(conf.active_venues())}x{len(conf.universe.symbols)}",
    )
    problems = validate(market)
    if problems:
        raise ConfigError("backtest.sim: " + "; ".join(problems))
    return market


def simulated_recording(conf: ArbConf, cache_dir: Path) -> tuple[Path, Instruments]:
    """Simulate the market once per (market, seed, duration) and reuse it (it is deterministic)."""
    market = sim_market(conf)
    sim = conf.backtest.sim
    key = hashlib.sha256(
        json.dumps([repr(market), sim.seed, sim.duration_s], sort_keys=True).encode()
    ).hexdigest()[:16]
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"sim-{market.name}-seed{sim.seed}-{sim.duration_s:g}s-{key}.jsonl.gz"
    if not path.exists():
        with tempfile.NamedTemporaryFile(dir=cache_dir, suffix=".jsonl.gz", delete=False) as tmp:
            partial = Path(tmp.name)
        partial.unlink()
        log.info("simulating %s for %gs (seed %s) → %s", market.name, sim.duration_s, sim.seed, path)
        write_recording(partial, market, sim.seed, sim.duration_s)
        partial.replace(path)  # atomic: a concurrent sweep job never reads a half-written file
    return path, sim_instruments(market)


def _sweep_tags() -> dict[str, str]:
    try:
        hc = HydraConfig.get()
    except ValueError:
        return {}
    tags = {"arb.overrides": " ".join(redact_overrides(hc.overrides.task)) or "(none)"}
    if hc.mode == RunMode.MULTIRUN:
        tags["arb.sweep"] = Path(hc.sweep.dir).name
        tags["arb.sweep.job"] = str(hc.job.num)
    return tags


def _progress_bar(enabled: bool):
    if not enabled:
        return None, None
    bar = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn(), transient=True)
    task = bar.add_task("replaying", total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


def run(conf: ArbConf, out_dir: Path, tags: dict[str, str] | None = None) -> BacktestResult:
    """The whole workflow for one config (also the notebook's entry)."""
    return tracked(conf, out_dir, tags)[0]


def tracked(conf: ArbConf, out_dir: Path, tags: dict[str, str] | None = None) -> tuple[BacktestResult, Tracker]:
    """:func:`run`, and the tracker of its MLflow run."""
    if conf.backtest.fanout != "none":
        return run_fanout(conf, out_dir, PROJECT_DIR, tags)
    if conf.backtest.recordings:
        paths = [Path(p) for p in conf.backtest.recordings]
        for p in paths:
            if not p.exists():
                raise ConfigError(f"backtest.recordings: {p} does not exist")
        instruments = Instruments()
        source = ", ".join(p.name for p in paths)
    else:
        path, instruments = simulated_recording(conf, PROJECT_DIR / conf.backtest.cache_dir)
        paths, source = [path], f"simulated {path.name}"
    if conf.backtest.recordings:
        check_venues([paths], conf, "backtest.recordings",
                     "add recordings of other venues, or set universe.venues to the venues recorded")
    else:
        check_venues([paths], conf, "universe.venues", "list at least two venues in universe.venues")
    tracker = Tracker(conf.tracking, PROJECT_DIR)
    tracker.start(run_name=f"backtest {source}"[:250], tags={"arb.workflow": "backtest", "arb.source": source[:500], **(tags or {})})
    status = "FAILED"
    try:
        tracker.params({**flatten(conf), "recordings": ",".join(str(p) for p in paths)})
        bar, update = _progress_bar(conf.backtest.progress and sys.stderr.isatty())
        if bar is not None:
            with bar:
                result = run_backtest(paths, conf, instruments, progress=update)
        else:
            result = run_backtest(paths, conf, instruments)
        out_dir.mkdir(parents=True, exist_ok=True)
        tracker.metrics(result.metrics)
        tracker.series("pnl_usd", [(i, v, ts // 1_000_000) for i, (ts, v) in enumerate(result.equity)])
        artifacts = [
            report.trades_parquet(result.trades, out_dir / "trades.parquet"),
            report.equity_png(result.equity, out_dir / "equity.png", f"P&L — {source}"),
            report.spreads_png(result.spreads, out_dir / "spreads.png", "Net spreads that made no opportunity"),
        ]
        config_path = out_dir / "config.yaml"
        config_path.write_text(OmegaConf.to_yaml(OmegaConf.create(redacted(conf))))
        spreads_path = out_dir / "spreads.json"
        spreads_path.write_bytes(msgspec.json.encode(result.spreads))
        for artifact in (*artifacts, config_path, spreads_path):
            tracker.artifact(artifact)
        status = "FINISHED"
    finally:
        tracker.end(status)
    report.print_summary(f"Backtest: {source}", report.backtest_rows(result.metrics, result.summary))
    for warning in result.warnings:  # what the numbers above do not say by themselves
        print(f"warning: {warning}", file=sys.stderr)
    print(f"MLflow: {tracker.describe()}")
    print(f"artifacts: {out_dir}")
    return result, tracker


@hydra.main(config_path=CONF_DIR, config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> PointSummary:
    """One backtest; returns its key metrics (a sweep's table is made of them)."""
    try:
        conf = load(cfg)
        out_dir = Path(HydraConfig.get().runtime.output_dir)
        with summarised_warnings():  # a file of 717 bad frames: 3 warnings, then one line with the count
            result, tracker = tracked(conf, out_dir, _sweep_tags())
        return point_summary(result.metrics, tracker.run_id, tracker.uri, out_dir)
    except ArbError as exc:
        print(f"arb backtest: {exc}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str]) -> int:
    sys.argv = ["arb backtest", *argv]
    app()
    return 0
