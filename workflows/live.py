"""``arb live``: trade the universe live (paper by default) with a terminal view and MLflow.

    arb live                         # against loopback simulators of every universe venue
    arb live live=public             # against the venues' real public endpoints (paper trading)
    arb live live.duration_s=60 live.sim.faults.okx.gap=0.002 universe=all

Ctrl-C (or ``live.duration_s``) stops cleanly: feeds close, open paper orders finish, a final
summary is printed and the MLflow run gets its final metrics and trades.
"""

from __future__ import annotations

import asyncio
import json
import contextlib
import functools
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from typing import Any
from pathlib import Path

import aiohttp
import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from rich.console import Console
from rich.live import Live as RichLive

from arb.config import ArbConf, flatten
from arb.core.errors import ArbError, ConfigError
from arb.core.instruments import Instruments
from arb.io.feed import Recorder
from arb.io.health import VenueHealth
from arb.exec.journal import Journal
from arb.exec.journal_sqlite import SqliteJournal
from arb.runtime import journals
from arb.runtime.components import Started, build
from arb.core.numbers import to_plain
from arb.exec.live import VenueAccount
from arb.runtime import listings, settings, universe
from arb.runtime.accounts import describe, env_accounts, reconcile, sim_accounts, totals
from arb.runtime.dashboard.hosting import serve_local, start_ray
from arb.runtime.live import DecisionHook, LocalRuntime, build_feeds, venue_balances
from arb.sim.config import DislocationConfig
from arb.sim.market import instruments as sim_instruments
from arb.sim.server import FaultConfig, SimConfig, SimulatedVenues
from arb.sim.server.venue import SendHook
from workflows import live_view, report
from workflows.backtest import PROJECT_DIR, sim_market
from workflows.config import CONF_DIR, load
from workflows.tracking import Tracker

log = logging.getLogger("arb.live")


def simulator_config(conf: ArbConf) -> SimConfig:
    """Loopback simulators for ``universe.venues`` × ``universe.symbols`` from ``live.sim``."""
    sim = conf.live.sim
    market = replace(
        sim_market(conf), dislocations=DislocationConfig(sim.dislocations_per_min, sim.dislocation_bps, sim.dislocation_s)
    )
    faults = {}
    for venue, conf_faults in sim.faults.items():
        rates: dict[str, Any] = conf_faults.rates()  # FaultConfig's float fields, by name
        if rates and venue in conf.active_venues():
            faults[venue] = FaultConfig(seed=sim.seed, **rates)
    config = SimConfig(market=market, seed=sim.seed, speed=sim.speed, faults=faults)
    problems = config.validate(market.venue_names)
    if problems:
        raise ConfigError("live.sim: " + "; ".join(problems))
    return config


@dataclass
class Venues:
    """Where feeds connect: simulator URLs (or None for the real endpoints), instruments and,
    trading live, the accounts to trade with."""

    urls: Mapping[str, Mapping[str, str]] | None
    instruments: Instruments
    sims: SimulatedVenues | None = None
    accounts: dict[str, VenueAccount] | None = None
    #: The config with the universe resolved (``universe=discover``: the symbols found).
    conf: ArbConf | None = None


#: Where the simulators write the keys they provision (owner-only; not a real secret).
SIM_KEYS_FILE = PROJECT_DIR / "data" / "sim" / "credentials.env"


@contextlib.asynccontextmanager
async def venues(conf: ArbConf, on_send: SendHook | None = None) -> AsyncIterator[Venues]:
    """Start the loopback simulators (``live.source=sim``) or point at the real venues; with
    ``executor.mode=live``, the accounts to trade with (the simulators provision theirs)."""
    live = conf.executor.mode == "live"
    if conf.live.source == "public":
        conf = await resolve_universe(conf, None)
        accounts = env_accounts(conf) if live else None
        cache = PROJECT_DIR / "data" / "instruments"
        if live:  # orders are sized with the venues' real rules, or not sent at all
            instruments = await listings.instruments(conf, cache_dir=cache)
        else:
            try:
                instruments = await listings.instruments(conf, cache_dir=cache)
            except (ConfigError, OSError) as exc:  # paper: trade on, but say the sizes ignore the venues' rules
                log.warning("paper trading without the venues' instruments (lots, ticks, minimums): %s", exc)
                instruments = Instruments()
        yield Venues(None, instruments, accounts=accounts, conf=conf)
        return
    config = simulator_config(conf)
    async with SimulatedVenues(config, on_send=on_send) as sims:
        assert config.market is not None
        conf = await resolve_universe(conf, sims.urls())
        accounts = None
        if live:
            accounts = sim_accounts(conf, sims, config.market, SIM_KEYS_FILE)
            print(f"simulator keys: {SIM_KEYS_FILE} (ARB_<VENUE>_API_KEY=… lines, owner-only)", file=sys.stderr, flush=True)
        yield Venues(sims.urls(), sim_instruments(config.market), sims, accounts, conf)


async def resolve_universe(conf: ArbConf, urls: Mapping[str, Mapping[str, str]] | None) -> ArbConf:
    """``universe=discover``: the config with the symbols the venues list (announced); else as is."""
    if not conf.universe.discover.enabled:
        return conf
    rows = await universe.discover(conf, urls)
    symbols = [row.symbol for row in rows]
    print(f"universe: {len(symbols)} symbols discovered on {', '.join(conf.active_venues())} (arb universe shows them)",
          file=sys.stderr, flush=True)
    return replace(conf, universe=replace(conf.universe, symbols=symbols))


@contextlib.asynccontextmanager
async def local_runtime(
    conf: ArbConf, *, journal: Journal | None = None, recorder: Recorder | None = None,
    on_decision: DecisionHook | None = None, on_send: SendHook | None = None,
) -> AsyncIterator[LocalRuntime]:
    """Venues (simulated or real), feeds and the decision core in this process, ready to run;
    the core starts on ``journal`` (restored from it, when it holds records)."""
    async with venues(conf, on_send) as where:
        conf = where.conf or conf
        balances = None
        if where.accounts is not None:
            for line in describe(conf, where.accounts, "the simulators" if where.sims is not None else "the real venues"):
                print(line, file=sys.stderr, flush=True)
            balances = totals(await venue_balances(where.accounts))  # refuses a venue that refuses us, by name
        parts = build(conf, where.instruments, journal=journal, now_ns=time.time_ns(), accounts=where.accounts, balances=balances)
        wake = asyncio.Event()
        feeds = build_feeds(conf, wake, urls=where.urls, recorder=recorder, instruments=parts.instruments)
        cache = PROJECT_DIR / "data" / "instruments" if where.sims is None else None
        source = functools.partial(universe.current, conf, where.urls, cache_dir=cache)
        runtime = LocalRuntime(feeds, parts, wake, on_decision=on_decision, listings=source, refresh_s=conf.universe.refresh_s)
        runtime.accounts = where.accounts
        yield runtime


async def trade(conf: ArbConf, stop: asyncio.Event, *, recorder: Recorder | None = None) -> LocalRuntime:
    """Run venues, feeds and the decision core until ``stop``; return the runtime."""
    async with local_runtime(conf, recorder=recorder) as live:
        await live.run(stop)
        return live


def inventory_of(conf: ArbConf) -> live_view.Inventory:
    return live_view.Inventory(tuple(conf.active_venues()), settings.inventory_targets(conf), settings.withdrawal_fees(conf))


async def _view(live: LocalRuntime, stop: asyncio.Event, mode: str, source: str, inventory: live_view.Inventory) -> None:
    rates = live_view.RateMeter()
    if mode == "none":
        return
    if mode == "rich":
        console = Console()
        with RichLive(console=console, refresh_per_second=4, transient=False) as screen:
            while not stop.is_set():
                screen.update(live_view.render(live, live_view.snapshot(live, time.time_ns(), inventory), rates, source))
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.25)
        return
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 5.0)
        if not stop.is_set():  # the final summary follows a stop
            print(live_view.plain_status(live_view.snapshot(live, time.time_ns(), inventory)), file=sys.stderr, flush=True)


def unreachable(health: Mapping[str, VenueHealth]) -> dict[str, str]:
    """Venues that never delivered a single message, with their last error."""
    return {venue: h.last_error or next((c.last_error for c in h.connections if c.last_error), "") or h.state
            for venue, h in health.items() if h.messages == 0}


async def _reachability(live: LocalRuntime, stop: asyncio.Event, after_s: float = 10.0) -> None:
    """Say plainly, once, which venues cannot be reached (still trying: they may come up)."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), after_s)
    if stop.is_set():
        return
    for venue, why in unreachable(live.health()).items():
        log.warning("%s cannot be reached after %.0f s (%s); still trying", venue, after_s, why or "no answer")


async def _metrics(live: LocalRuntime, stop: asyncio.Event, tracker: Tracker, every_s: float) -> None:
    step = 0
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)
        snap = live_view.snapshot(live, time.time_ns())
        numbers = {k: float(v) for k, v in snap.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        await asyncio.to_thread(tracker.metrics, numbers, step)  # sqlite writes stay off the loop
        step += 1


def stop_event(duration_s: float = 0.0, stop: asyncio.Event | None = None) -> asyncio.Event:
    """An event set by Ctrl-C / SIGTERM, or after ``duration_s`` (0: never). Call inside the loop."""
    stop = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(sig, stop.set)
    if duration_s:
        loop.call_later(duration_s, stop.set)
    return stop


def run_journal(conf: ArbConf) -> journals.RunJournal:
    """This run's journal (a new file, or the last one with ``live.resume=true``), announced."""
    directory = Path(conf.live.journal_dir)
    chosen = journals.choose(directory if directory.is_absolute() else PROJECT_DIR / directory, conf.live.resume, time.time_ns())
    print(f"journal: {chosen.describe()}", file=sys.stderr, flush=True)
    return chosen


def announce(started: Started, chosen: journals.RunJournal) -> None:
    if chosen.resumed:
        print(f"resuming {chosen.path.name}: {started.records} records, {started.trades} trades restored"
              + (f", {len(started.resumed)} interrupted trades finished" if started.resumed else ""), file=sys.stderr, flush=True)


async def run_live(conf: ArbConf, tracker: Tracker, chosen: journals.RunJournal) -> LocalRuntime:
    """``arb live`` inside a running loop: signals, view, periodic metrics, duration."""
    stop = stop_event(conf.live.duration_s)
    mode = conf.live.view
    if mode == "auto":
        mode = "rich" if sys.stdout.isatty() else "plain"
    with SqliteJournal(chosen.path) as journal:
        return await _run_local(conf, tracker, journal, chosen, stop, mode)


async def _run_local(
    conf: ArbConf, tracker: Tracker, journal: Journal, chosen: journals.RunJournal, stop: asyncio.Event, mode: str,
) -> LocalRuntime:
    async with local_runtime(conf, journal=journal) as live, serve_local(conf, live, PROJECT_DIR, os.environ):
        announce(live.parts.started, chosen)
        helpers = [
            asyncio.ensure_future(_view(live, stop, mode, conf.live.source, inventory_of(conf))),
            asyncio.ensure_future(_reachability(live, stop)),
            asyncio.ensure_future(_metrics(live, stop, tracker, conf.live.metrics_every_s)),
        ]
        try:
            await live.run(stop)
        finally:
            stop.set()
            await asyncio.gather(*helpers, return_exceptions=True)
        if live.accounts is not None:  # arb's books against what the venues say, exactly
            live.mismatches = reconcile(live.parts.portfolio, await venue_balances(live.accounts))
        never = unreachable(live.health())
        if never and len(never) == len(live.feeds):
            raise ArbError("no venue could be reached: " + "; ".join(f"{v}: {why or 'no answer'}" for v, why in never.items()))
        if never:
            log.warning("never reached: %s", "; ".join(f"{v} ({why or 'no answer'})" for v, why in never.items()))
        return live


async def run_live_ray(conf: ArbConf, tracker: Tracker, chosen: journals.RunJournal) -> str:
    """``arb live runtime=ray``: the same trading as one process, on Ray actors (feeds and
    scanners per shard, one executor with a durable journal). Returns the summary's JSON line."""
    from arb.runtime.ray_topology import RayTopology, live_books

    stop = stop_event(conf.live.duration_s)
    runtime = conf.runtime
    async with venues(conf) as where:
        conf = where.conf or conf
        balances = None
        if where.accounts is not None:
            for line in describe(conf, where.accounts, "the simulators" if where.sims is not None else "the real venues"):
                print(line, file=sys.stderr, flush=True)
            balances = totals(await venue_balances(where.accounts))
        topo = RayTopology(conf, chosen.path, where.instruments, where.urls, shards=runtime.shards, actor_cpus=runtime.actor_cpus,
                           accounts=where.accounts, balances=balances)
        await asyncio.to_thread(topo.start)
        first = await asyncio.to_thread(topo.state)
        if chosen.resumed:
            print(f"resuming {chosen.path.name}: {first['restored_records']} records, {first['restored_trades']} trades restored",
                  file=sys.stderr, flush=True)
        step = 0
        dashboard = None
        cache = PROJECT_DIR / "data" / "instruments" if where.sims is None else None
        refresh_at = time.monotonic() + conf.universe.refresh_s
        try:
            dashboard = await start_ray(conf, topo, PROJECT_DIR, os.environ)  # served from this driver
            while not stop.is_set():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), 2.0)
                await asyncio.to_thread(topo.ensure_started, 5.0)  # restarted actors resume their loops
                if conf.universe.refresh_s > 0 and time.monotonic() >= refresh_at and not stop.is_set():
                    refresh_at = time.monotonic() + conf.universe.refresh_s
                    try:
                        symbols, listing = await universe.current(conf, where.urls, cache_dir=cache)
                    except (ConfigError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                        log.warning("listing refresh failed (%s: %s); the last listing stays in force", type(exc).__name__, exc)
                    else:
                        await asyncio.to_thread(topo.apply_listing, symbols, listing)
                state = await asyncio.to_thread(topo.state)
                health = await asyncio.to_thread(topo.health)
                status = {
                    "trades": state["trades"], "open_legs": state["open_legs"], "pnl_usd": state["pnl_usd"],
                    "live_books": live_books(health),
                    "messages": sum(h["health"].messages for h in health if h.get("started")),
                }
                if conf.live.view != "none":
                    print(" ".join(f"{k}={'n/a' if v is None else f'{v:.2f}' if isinstance(v, float) else v}" for k, v in status.items()),
                          file=sys.stderr, flush=True)
                step += 1
                if step % max(1, round(conf.live.metrics_every_s / 2)) == 0:
                    await asyncio.to_thread(tracker.metrics, {k: float(v) for k, v in status.items() if v is not None}, step)
        finally:
            if dashboard is not None:
                await dashboard.stop()
            await asyncio.to_thread(topo.stop_feeds_and_drain)
            state = await asyncio.to_thread(topo.state)
            await asyncio.to_thread(topo.stop)
        mismatches = None
        if where.accounts is not None:
            mismatches = reconcile(state["balances_fixed"], await venue_balances(where.accounts))
    report.print_summary(
        "arb live (ray) — final",
        {"trades": state["trades"], "P&L (USD, mark to market)": "n/a" if state["pnl_usd"] is None else state["pnl_usd"],
         "risk state": state["risk_state"], "journal": chosen.describe(), "journal records": state["journal_records"],
         **({"restored at start (records / trades)": f"{state['restored_records']} / {state['restored_trades']}"}
            if chosen.resumed else {}),
         **({"reconciled with the venues": _reconciled(mismatches)} if mismatches is not None else {})},
    )
    tracker.metrics({"trades": float(state["trades"]), **({} if state["pnl_usd"] is None else {"pnl_usd": float(state["pnl_usd"])})})
    return final_line(run_mode(conf), state["trades"], state["orders"], state["pnl_fixed"], state["realized_fixed"], mismatches)


def final_line(mode: str, trades: int, orders: int, pnl_usd: int | None, realized: Mapping[str, int],
               mismatches: Mapping[str, tuple[str, str]] | None) -> str:
    """The summary's last line: one JSON object (money as exact decimal strings).
    ``reconciled``: arb's portfolio equals the venues' balances fetched at the end, exactly
    (null when paper trading: there are no venue balances)."""
    return json.dumps({
        "mode": mode, "trades": trades, "orders": orders,
        "pnl_quote": None if pnl_usd is None else to_plain(pnl_usd),
        "realized_quote": {asset: to_plain(v) for asset, v in sorted(realized.items())},
        "reconciled": None if mismatches is None else not mismatches,
        **({"mismatches": dict(mismatches)} if mismatches else {}),
    }, separators=(",", ":"))


def _reconciled(mismatches: Mapping[str, tuple[str, str]]) -> str:
    if not mismatches:
        return "exactly"
    shown = "; ".join(f"{key} venue {theirs} vs arb {ours}" for key, (theirs, ours) in list(mismatches.items())[:3])
    return f"NO — {len(mismatches)} balances differ: {shown}{' …' if len(mismatches) > 3 else ''} (all in the JSON line)"


def run_mode(conf: ArbConf) -> str:
    """``paper``, ``live`` or ``live-dry-run``."""
    return conf.executor.mode + ("-dry-run" if conf.executor.mode == "live" and conf.executor.dry_run else "")


def finish(
    live: LocalRuntime, tracker: Tracker, out_dir: Path, source: str, chosen: journals.RunJournal, mode: str,
    inventory: live_view.Inventory,
) -> str:
    """Final summary table, metrics, trades and the rebalancing report; returns the summary's JSON line."""
    snap = live_view.snapshot(live, time.time_ns(), inventory)
    numbers = {k: float(v) for k, v in snap.items() if isinstance(v, (int, float))}
    tracker.metrics(numbers)
    out_dir.mkdir(parents=True, exist_ok=True)
    tracker.artifact(report.trades_parquet(live.core.trades, out_dir / "trades.parquet"))
    plan = snap["rebalance"]
    rebalance_file = out_dir / "rebalance.json"
    rebalance_file.write_text(json.dumps([{"asset": t.asset, "from": t.source, "to": t.target, "amount": to_plain(t.amount),
                                           "withdrawal_fee": to_plain(t.fee)} for t in plan], indent=1))
    tracker.artifact(rebalance_file)
    report.print_summary(
        f"arb live ({source}) — final",
        {
            "ran (s)": snap["uptime_s"],
            "trading state": snap["state"],
            "P&L (USD, mark to market)": "n/a (an asset held was never priced)" if snap["pnl_usd"] is None else snap["pnl_usd"],
            "trades": snap["trades"],
            "one-legged fills": snap["one_legged"],
            "opportunities seen / taken": f"{snap['opportunities_seen']} / {snap['opportunities_taken']}",
            "messages": snap["messages"],
            "gaps / resyncs": f"{snap['gaps']} / {snap['resyncs']}",
            "reconnects": snap["reconnects"],
            "checksum failures": snap["checksum_failures"],
            "decode errors skipped": snap["decode_errors"],
            "internal errors": snap["internal_errors"],
            "listings refreshed / failed": f"{snap['listing_refreshes']} / {snap['listing_refresh_failures']}",
            "inventory: trades paused by floors": snap["inventory_paused"],
            "inventory: transfers to restore the split": "; ".join(
                f"{to_plain(t.amount)} {t.asset} {t.source}→{t.target} (fee {to_plain(t.fee)})" for t in plan[:5]) or "none",
            "journal": chosen.describe(),
            **({"restored at start (records / trades)": f"{live.parts.started.records} / {live.parts.started.trades}"}
               if chosen.resumed else {}),
            **({"reconciled with the venues": _reconciled(live.mismatches)} if live.mismatches is not None else {}),
        },
    )
    trader = live.core.trader
    return final_line(mode, len(live.core.trades), trader.orders, trader.pnl(), trader.portfolio.realized, live.mismatches)


@hydra.main(config_path=CONF_DIR, config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> None:
    try:
        conf = load(cfg)
        out_dir = Path(HydraConfig.get().runtime.output_dir)
        chosen = run_journal(conf)
        tracker = Tracker(conf.tracking, PROJECT_DIR)
        tracker.start(f"live {conf.live.source}", {"arb.workflow": "live", "arb.source": conf.live.source,
                                                   "arb.journal": str(chosen.path), "arb.resumed": str(chosen.resumed).lower()})
        status = "FAILED"
        line = ""
        try:
            tracker.params(flatten(conf))
            if conf.runtime.kind == "ray":
                from arb.runtime.ray_cluster import connect

                runtime = conf.runtime  # Ray wants its driver set up on the main thread
                resources = connect(runtime.address, runtime.num_cpus, runtime.namespace)
                log.info("Ray: %s", {k: v for k, v in resources.items() if not k.startswith("node:")})
                line = asyncio.run(run_live_ray(conf, tracker, chosen))
            else:
                live = asyncio.run(run_live(conf, tracker, chosen))
                line = finish(live, tracker, out_dir, conf.live.source, chosen, run_mode(conf), inventory_of(conf))
            status = "FINISHED"
        finally:
            tracker.end(status)
        print(f"MLflow: {tracker.describe()}")
        print(line)  # the summary's last line: one JSON object
    except ArbError as exc:
        print(f"arb live: {exc}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str]) -> int:
    sys.argv = ["arb live", *argv]
    app()
    return 0
