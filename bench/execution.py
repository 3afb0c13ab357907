"""Execution benchmark: opportunity → fresh balances → both legs acknowledged, on loopback.

Real signed orders on the Binance and OKX simulators' private APIs, through arb's live port
(:class:`~arb.exec.live.LiveVenues`) and its I/O shell. For each of ``--trades`` opportunities
(both legs cross the book, so they fill):

- **cycle**: the opportunity handed to the trader → fresh balances of both venues fetched →
  risk re-checked → both legs sent concurrently → both acknowledged (their fills reported);
- **tick → first order sent**: the same start → the first place request written;
- **risk check**: one :meth:`RiskEngine.check` (the gate every decision passes);
- **arb's own share**: the cycle minus the time its requests spent at the venue (the
  simulator's round trips, measured by the shell), i.e. what arb adds;
- **to fills**: the same start → the later of the two legs' fills known to the trader (an
  IOC the venue only acknowledged is settled by a query), read from the trader's journal.

Run in one process (local), then (``--no-ray`` to skip) with the same desk in a Ray
:class:`~arb.runtime.ray_live.ExecutorActor`, handed each opportunity by a Ray call as a
scanner shard does; there the figures come from the actor's durable journal — to fills, and
to the first order's submission (its request leaves in the same turn of the actor's loop) —
so Ray's call is included; compare them with the local "to fills" and "first order sent".
arb's own share is measured locally only (the shell's per-request timings stay in the actor).
Orders are followed over the venues' private streams, as ``arb live`` does (``--poll``: by
polling their status instead). Targets (product brief): a complete cycle under 30 ms, order placement under 20 ms, risk check
under 5 ms. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("RAY_AUTH_MODE", "disabled")

from arb.book.view import view_of
from arb.config import ArbConf, UniverseConf
from arb.core.numbers import ONE
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.orders import Fill, Order
from arb.exec.port import Accepted, Filled
from arb.io.trading import TradingShell
from arb.runtime.accounts import sim_funding, totals
from arb.runtime.components import build_desk, start
from arb.runtime.live import venue_balances
from arb.scan.opportunity import Opportunity, opportunity_id
from arb.sim import presets
from arb.sim.market import instruments
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from arb.venues.base import Credentials
from arb.venues.registry import trading
from bench.common import emit, machine

SYMBOL = "BTC/USDT"
VENUES = ("binance", "okx")
#: ``--poll``: follow orders by polling their status, not over the venues' private streams.
POLL = False


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def conf() -> ArbConf:
    c = ArbConf(universe=UniverseConf(venues=list(VENUES), symbols=[SYMBOL]))
    c.executor.mode = "live"
    c.executor.balances = {"USDT": 10_000_000.0}
    c.executor.base_value_quote = 10_000_000.0
    c.risk.max_notional_quote = 1_000_000.0
    c.strategy.max_notional_quote = 1_000_000.0
    return c


def opportunity(sims, qty: int) -> Opportunity:
    ask = sims["binance"].book(SYMBOL).best_ask_price()
    bid = sims["okx"].book(SYMBOL).best_bid_price()
    now = time.time_ns()
    buy_limit = (ask * 1005 // 1000) // 10**16 * 10**16
    sell_limit = (bid * 995 // 1000) // 10**17 * 10**17 + 10**17
    return Opportunity(
        id=opportunity_id(now, SYMBOL, "binance", "okx", now, now), symbol=SYMBOL, buy_venue="binance", sell_venue="okx",
        qty=qty, buy_limit=buy_limit, sell_limit=sell_limit, buy_quote=buy_limit * qty // ONE, sell_quote=sell_limit * qty // ONE,
        buy_fee=0, sell_fee=0, gross_profit=0, net_profit=0, buy_fee_rate=10**15, sell_fee_rate=10**15,
        buy_ts_event_ns=now, buy_ts_recv_ns=now, sell_ts_event_ns=now, sell_ts_recv_ns=now, ts_decision_ns=now,
    )


class TimedShell(TradingShell):
    """The shell, noting when each place request left and how long each request took."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.first_place_ns: int | None = None
        self.venue_s: list[tuple[float, float]] = []

    async def _perform(self, out) -> None:
        if out.kind == "place" and self.first_place_ns is None:
            self.first_place_ns = time.perf_counter_ns()
        start = time.perf_counter()
        await super()._perform(out)
        self.venue_s.append((start, time.perf_counter()))


async def local(trades: int, qty: int) -> dict:
    c = conf()
    market = presets.market(VENUES, 1)
    config = SimConfig(market=market, seed=8, speed=1.0, options=ServerOptions(ping_interval_s=None))
    async with SimulatedVenues(config) as sims:
        # The simulated venues answer from loopback; their private budgets are not what we measure.
        for venue in VENUES:
            sims[venue].protocol.private_budget = (10**9, 1.0)
        keys = sims.provision(sim_funding(c, market), VENUES)
        accounts = {v: VenueAccount(trading(v), Credentials(k.key, k.secret, k.passphrase), sims[v].rest_url,
                                    "" if POLL else sims[v].ws_url) for v, k in keys.items()}
        balances = totals(await venue_balances(accounts))
        desk = build_desk(c, lambda v, s: view_of(sims[v].book(s), 20), lambda a: ONE, instruments(market), None, accounts)
        start(desk, c, time.time_ns(), balances)
        port: LiveVenues = desk.port  # type: ignore[assignment]
        woke = asyncio.Event()
        shell = TimedShell(port, woke.set, budgets={})
        port.notify = shell.kick
        runner = asyncio.ensure_future(shell.run())
        cycle, first_sent, own = [], [], []
        trader = desk.trader
        decided: dict[str, int] = {}
        try:
            for _ in range(trades):
                opp = opportunity(sims, qty)
                decided[opp.id] = opp.ts_decision_ns
                shell.first_place_ns, shell.venue_s = None, []
                acked: set[str] = set()
                t0 = time.perf_counter_ns()
                desk.on_opportunities([opp], time.time_ns())
                while len(acked) < 2:
                    woke.clear()
                    try:
                        await asyncio.wait_for(woke.wait(), 5.0)
                    except TimeoutError:
                        break
                    now = time.time_ns()
                    events = port.events(now)  # what Desk.advance does, watching the acks go by
                    acked.update(e.order_id for e in events if isinstance(e, (Accepted, Filled)))
                    commands = trader.on_events(events, now)
                    if commands:
                        port.submit(commands, now)
                t1 = time.perf_counter_ns()
                if len(acked) < 2:
                    continue
                cycle.append((t1 - t0) / 1e6)
                if shell.first_place_ns is not None:
                    first_sent.append((shell.first_place_ns - t0) / 1e6)
                # time spent at the venues: the union of the request intervals
                spans = sorted(shell.venue_s)
                busy, end = 0.0, 0.0
                for a, b in spans:
                    a = max(a, end)
                    if b > a:
                        busy += b - a
                        end = b
                own.append(cycle[-1] - busy * 1e3)
                desk.advance(time.time_ns())
                await asyncio.sleep(0.02)
            deadline = time.monotonic() + 5.0
            while trader.open_legs() and time.monotonic() < deadline:  # the last fills
                await asyncio.sleep(0.01)
                desk.advance(time.time_ns())
        finally:
            await shell.close()
            await runner
        risk_us = risk_check_us(trader, opportunity(sims, qty))
        fills = from_journal(trader.journal, decided)["cycle"]
    return {"cycle": cycle, "first": first_sent, "own": own, "fills": fills, "risk_us": risk_us}


def from_journal(records: Iterable[object], decided: Mapping[str, int]) -> dict[str, list[float]]:
    """Per trade decided at ``decided[trade_id]`` (ns): ms to its first order's submission and
    to the later of its two legs' fills (the fills' event times: when the venue's answer came)."""
    first: dict[str, int] = {}
    filled: dict[str, list[int]] = {}
    for record in records:
        if isinstance(record, Order) and record.trade_id in decided:
            first[record.trade_id] = min(first.get(record.trade_id, record.ts_submit_ns), record.ts_submit_ns)
        elif isinstance(record, Fill) and record.trade_id in decided and record.qty > 0:
            filled.setdefault(record.trade_id, []).append(record.ts_ns)
    both = {t: max(ts) for t, ts in filled.items() if len(ts) >= 2}
    return {"cycle": [(both[t] - decided[t]) / 1e6 for t in both],
            "first": [(first[t] - decided[t]) / 1e6 for t in both if t in first]}


async def on_ray(trades: int, qty: int, journal_dir: str) -> dict:
    """The same trades with the desk in a Ray executor actor (see the module doc)."""
    import ray

    from arb.exec.journal_sqlite import SqliteJournal
    from arb.runtime.ray_handles import actor_class
    from arb.runtime.ray_live import ExecutorActor

    c = conf()
    market = presets.market(VENUES, 1)
    config = SimConfig(market=market, seed=8, speed=1.0, options=ServerOptions(ping_interval_s=None))
    journal = str(Path(journal_dir) / "execution.sqlite")
    ray.init(num_cpus=2, include_dashboard=False, namespace="arb-bench-execution", log_to_driver=False)
    decided: dict[str, int] = {}
    try:
        async with SimulatedVenues(config) as sims:  # served by this loop: the driver only awaits Ray
            for venue in VENUES:
                sims[venue].protocol.private_budget = (10**9, 1.0)
            keys = sims.provision(sim_funding(c, market), VENUES)
            accounts = {v: VenueAccount(trading(v), Credentials(k.key, k.secret, k.passphrase), sims[v].rest_url,
                                        "" if POLL else sims[v].ws_url) for v, k in keys.items()}
            balances = totals(await venue_balances(accounts))
            executor = actor_class(ExecutorActor).options(num_cpus=0.5).remote(
                c, journal, instruments(market), [0], accounts, balances)
            await executor.ensure_started.remote()
            for _ in range(trades):
                opp = opportunity(sims, qty)
                decided[opp.id] = opp.ts_decision_ns
                views = [view_of(sims[v].book(SYMBOL), 20) for v in VENUES]
                await executor.submit.remote([opp], views, None)
                # No polling of the actor while it trades (a state call would hold up its loop):
                # each trade finishes in milliseconds; the journal says when, and which did.
                await asyncio.sleep(0.1)
            await executor.drain.remote()
            ray.kill(executor)
    finally:
        ray.shutdown()
    return from_journal(SqliteJournal(journal, readonly=True), decided)


def risk_check_us(trader, opp: Opportunity, n: int = 20_000) -> float:
    risk, portfolio = trader.risk, trader.portfolio
    now = time.time_ns()
    t0 = time.perf_counter()
    for _ in range(n):
        risk.check(opp, portfolio, now, 0)
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades", type=int, default=60)
    parser.add_argument("--no-ray", dest="ray", action="store_false", help="one process only")
    parser.add_argument("--poll", action="store_true", help="follow orders by polling (no private streams)")
    args = parser.parse_args()
    global POLL
    POLL = args.poll
    r = asyncio.run(local(args.trades, ONE // 1000))
    rows = [("cycle: opportunity → balances → both legs acked", r["cycle"]),
            ("tick → first order sent", r["first"]),
            ("arb's own share of the cycle", r["own"]),
            ("opportunity → both legs' fills known", r["fills"])]
    ray_r: dict = {}
    if args.ray:
        with tempfile.TemporaryDirectory() as tmp:
            ray_r = asyncio.run(on_ray(args.trades, ONE // 1000, tmp))
        rows += [("Ray: opportunity → both legs' fills known", ray_r["cycle"]),
                 ("Ray: tick → first order submitted", ray_r["first"])]
    print(f"{len(r['cycle'])} live trades on the Binance + OKX simulators (loopback), orders followed "
          f"{'by polling' if POLL else 'over the private streams'}; one process"
          + (f"; {len(ray_r['cycle'])} with the executor on Ray" if ray_r else ""))
    print(f"{'latency (ms)':46} {'p50':>8} {'p99':>8}  target")
    targets = ["< 30", "< 20", "", "< 30", "< 30", "< 20"]
    for i, (name, values) in enumerate(rows):
        print(f"{name:46} {pct(values, 0.5):8.2f} {pct(values, 0.99):8.2f}  {targets[i]}")
    print(f"risk check: {r['risk_us']:.1f} µs per decision (target < 5 ms)")
    emit({
        "trades": len(r["cycle"]),
        "cycle_p50_ms": round(pct(r["cycle"], 0.5), 3), "cycle_p99_ms": round(pct(r["cycle"], 0.99), 3),
        "first_order_sent_p50_ms": round(pct(r["first"], 0.5), 3), "first_order_sent_p99_ms": round(pct(r["first"], 0.99), 3),
        "arb_own_p50_ms": round(pct(r["own"], 0.5), 3), "arb_own_p99_ms": round(pct(r["own"], 0.99), 3),
        "fills_p50_ms": round(pct(r["fills"], 0.5), 3), "fills_p99_ms": round(pct(r["fills"], 0.99), 3),
        **({"ray_trades": len(ray_r["cycle"]),
            "ray_fills_p50_ms": round(pct(ray_r["cycle"], 0.5), 3), "ray_fills_p99_ms": round(pct(ray_r["cycle"], 0.99), 3),
            "ray_first_order_p50_ms": round(pct(ray_r["first"], 0.5), 3),
            "ray_first_order_p99_ms": round(pct(ray_r["first"], 0.99), 3)} if ray_r else {}),
        "order_updates": "polling" if POLL else "streams",
        "risk_check_us": round(r["risk_us"], 2), "targets_ms": {"cycle": 30, "order": 20, "risk": 5},
        **machine(),
    })


if __name__ == "__main__":
    main()
