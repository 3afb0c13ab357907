"""Live benchmark: 7 simulated venues × 20 symbols over loopback, through the local runtime (the decision core in one asyncio loop).

The whole live path — websocket feeds, exact books, views, scanner, risk, paper executor —
runs in ONE process and one asyncio loop (pinned to one core). The venue simulators
(arb.sim.server, market precomputed so serving is cheap) run in a second process on the
other core, as the venues would. Reported:

- sustained messages/s the feeds processed during the measured window, and the engine's CPU;
- tick-to-decision latency: from the simulator writing a book update to its socket
  (``on_send``, wall clock) to the engine finishing the scan that first included it
  (``on_decision``), p50/p99/max — updates conflated into one scan each count, with their
  own send time, so queueing shows;
- the same for the ticks whose scan found an opportunity (tick-to-opportunity);
- as a baseline in the same run, loopback transport + decode: send → the book's receive
  stamp (no scan can beat it).

Sends and decisions are matched after the run (a send belongs to the first decision on its
book whose receive stamp is not older than the send). The last line of stdout is a JSON
object.

    python bench/live.py [--rate 20000] [--seconds 10] [--warmup 3]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import multiprocessing as mp
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arb.config import ArbConf, FeedConf, LiveConf, UniverseConf
from arb.runtime.components import build
from arb.runtime.live import LocalRuntime, build_feeds
from arb.sim import presets
from arb.sim.config import DislocationConfig
from arb.sim.market import instruments
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from bench.common import emit, machine, pin_one_core

#: Messages per model second of the 7 × 20 preset (measured by the simulator's helper): the
#: market speed is chosen from the wanted rate.
MSGS_PER_MODEL_S = 1950.0


def pct(values: list[int], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] / 1e6


def _simulator(conn, rate: float, seconds: float) -> None:
    """Child process: serve the market; send URLs, then (on request) every send record."""
    import os

    try:
        os.sched_setaffinity(0, {0})
    except (AttributeError, OSError):
        pass

    async def serve() -> None:
        speed = rate / MSGS_PER_MODEL_S
        # About 20 dislocations per wall-clock minute, whatever the market speed.
        market = replace(presets.seven_venues(20), name="7x20", dislocations=DislocationConfig(20 / speed, 80.0, 3.0))
        sim = SimConfig(market=market, seed=7, speed=speed, prepare_s=speed * seconds, options=ServerOptions(ping_interval_s=None))
        sent: list[tuple[str, str, int]] = []
        async with SimulatedVenues(sim, on_send=lambda venue, symbol, seq, ts: sent.append((venue, symbol, ts))) as sims:
            conn.send(sims.urls())
            await asyncio.to_thread(conn.recv)  # "stop"
            conn.send(sent)

    asyncio.run(serve())


async def bench(rate: float, seconds: float, warmup: float) -> dict:
    market = replace(presets.seven_venues(20), name="7x20")
    parent, child = mp.Pipe()
    started = time.perf_counter()
    proc = mp.get_context("spawn").Process(target=_simulator, args=(child, rate, seconds + warmup + 5), daemon=True)
    proc.start()
    urls = await asyncio.to_thread(parent.recv)
    prepare_s = time.perf_counter() - started
    conf = ArbConf(universe=UniverseConf(venues=list(market.venue_names), symbols=list(market.symbol_names)))
    conf.live = LiveConf(feed=FeedConf())
    parts = build(conf, instruments(market))
    wake = asyncio.Event()
    feeds = build_feeds(conf, wake, urls=urls, seed=1)
    decisions: dict[tuple[str, str], list[tuple[int, int, bool]]] = {}
    seen_before = [0]

    def on_decision(changed: list[tuple[str, str]], decided_ns: int) -> None:
        found = parts.decider.opportunities_seen != seen_before[0]
        seen_before[0] = parts.decider.opportunities_seen
        for venue, symbol in changed:
            book = feeds[venue].book(symbol)
            if book is not None and book.ts_recv_ns:
                decisions.setdefault((venue, symbol), []).append((book.ts_recv_ns, decided_ns, found))

    live = LocalRuntime(feeds, parts, wake, on_decision=on_decision)
    stop = asyncio.Event()
    task = asyncio.ensure_future(live.run(stop))
    await asyncio.sleep(warmup)
    messages0 = sum(f.health().messages for f in feeds.values())
    cpu0 = time.process_time()
    window = (time.time_ns(), 0)
    t0 = time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - t0
    window = (window[0], time.time_ns())
    cpu = time.process_time() - cpu0
    messages = sum(f.health().messages for f in feeds.values()) - messages0
    health = {v: f.health() for v, f in feeds.items()}
    stop.set()
    await asyncio.wait_for(task, 30)
    parent.send("stop")
    sent = await asyncio.to_thread(parent.recv)
    proc.join(10)
    decision, transport, opportunity = _match(sent, decisions, window)
    return {
        "msgs_per_s": messages / elapsed,
        "cpu_share": cpu / elapsed,
        "decision_ms": decision,
        "transport_ms": transport,
        "opportunity_ms": opportunity,
        "prepare_s": prepare_s,
        "gaps": sum(h.gaps for h in health.values()),
        "decode_errors": sum(h.decode_errors for h in health.values()),
        "trades": len(parts.core.trades),
        "opportunities": parts.decider.opportunities_seen,
        "engine_errors": live.stats.errors,
    }


def _match(sent, decisions, window) -> tuple[list[int], list[int], list[int]]:
    """Each send in the window → the first decision on its book that had received it."""
    by_book: dict[tuple[str, str], list[int]] = {}
    for venue, symbol, ts in sent:
        if window[0] <= ts <= window[1]:
            by_book.setdefault((venue, symbol), []).append(ts)
    decision, transport, opportunity = [], [], []
    for key, sends in by_book.items():
        seen = sorted(decisions.get(key, ()))
        recvs = [r for r, _, _ in seen]
        for send in sorted(sends):
            i = bisect.bisect_left(recvs, send)
            if i == len(seen):
                continue  # never decided in the window (the run stopped)
            received, decided, found = seen[i]
            decision.append(decided - send)
            transport.append(received - send)
            if found:
                opportunity.append(decided - send)
    return decision, transport, opportunity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20_000, help="target messages/s from the simulators")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()
    cpu = pin_one_core()
    r = asyncio.run(bench(args.rate, args.seconds, args.warmup))
    d, t, o = r["decision_ms"], r["transport_ms"], r["opportunity_ms"]
    print(f"7 venues x 20 symbols; engine in one process on one core; {args.seconds:g} s measured (simulator ready in {r['prepare_s']:.1f} s)")
    print(f"sustained {r['msgs_per_s']:,.0f} msgs/s, CPU {r['cpu_share']:.0%} of a core, gaps {r['gaps']}, decode errors {r['decode_errors']}")
    print(f"{'latency (ms)':<28}{'p50':>8}{'p99':>8}{'max':>8}{'n':>9}")
    for name, values in (("send → decision", d), ("send → opportunity", o), ("send → receive (baseline)", t)):
        print(f"{name:<28}{pct(values, .5):>8.3f}{pct(values, .99):>8.3f}{(max(values) / 1e6 if values else float('nan')):>8.3f}{len(values):>9}")
    print(f"opportunities {r['opportunities']}, trades {r['trades']}, engine errors {r['engine_errors']}")
    emit(
        {
            "msgs_per_s": round(r["msgs_per_s"]),
            "tick_to_decision_p50_ms": round(pct(d, .5), 3),
            "tick_to_decision_p99_ms": round(pct(d, .99), 3),
            "tick_to_opportunity_p50_ms": round(pct(o, .5), 3),
            "tick_to_opportunity_p99_ms": round(pct(o, .99), 3),
            "transport_p50_ms": round(pct(t, .5), 3),
            "transport_p99_ms": round(pct(t, .99), 3),
            "samples": len(d),
            "cpu_share": round(r["cpu_share"], 3),
            "target_rate": args.rate,
            "gaps": r["gaps"],
            "cpu": cpu,
            **machine(),
        }
    )


if __name__ == "__main__":
    main()
