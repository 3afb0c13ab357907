"""Coverage benchmark: 7 venues × N symbols on the simulators, in one process and on Ray.

For each N (default 50, 200, 500) the simulators serve the synthetic market with every venue
listing every symbol (``presets.synthetic(N, full_overlap=True)``: 7 × N books, the worst case
for a scanner host) at its realistic per-symbol rates — majors in every update window of their
venue (10–20 messages/s), a middle tier every 3rd, the long tail every 10th (about 1/s, as
long-tail books publish in the real captures). The simulators run in their own process (the
venues' side); arb runs

- **local**: the local runtime (feeds → decision core in one asyncio loop), in a process pinned
  to one core — the baseline;
- **ray1** / **ray2**: the Ray topology with 1 and 2 shards (feed actors, scanner actors, the
  executor) on a one-node Ray started for the run.

Each mode first waits until every book that trades is live, then measures ``--seconds``:

- CPU per message: CPU seconds of arb's processes (the local process; the actors' processes on
  Ray — Ray's own daemons are reported apart) over the websocket messages the feeds received;
- fresh books: the share of the books that trade whose every update the venue sent was decided
  on within the freshness limit (``strategy.max_age_s``), matching the simulator's send times
  with the decisions (a send belongs to the first decision on its book that had received it);
- tick-to-decision p50/p99: venue send → the scan that included the update;
- memory: resident set of arb's processes at the end.

It reports the largest N one core keeps fresh (≥ 99 % of its books) with p99 under 10 ms, and
compares Ray with one process in the same run: the headline ratio is taken at the largest N that
one process served unsaturated (at most 80 % of its core, the simulators keeping time) — a
saturated process batches more and so spends less per message. The machine is shared (its load
average is printed): read the ratios. The last line of stdout is a JSON object.

    python bench/coverage.py [--sizes 50,200,500] [--seconds 8] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arb.config import ArbConf, UniverseConf, VenueConf
from arb.sim.config import MarketConfig
from arb.sim.presets import synthetic
from bench.common import emit, machine

#: What one core must keep: this share of its books fresh, with tick-to-decision p99 under this.
FRESH_SHARE = 0.99
P99_LIMIT_MS = 10.0
SEED = 7


def market_for(n: int) -> MarketConfig:
    return synthetic(n, full_overlap=True, seed=SEED)


def conf_for(market: MarketConfig) -> ArbConf:
    conf = ArbConf(universe=UniverseConf(venues=list(market.venue_names), symbols=list(market.symbol_names)))
    # 100-level snapshots (Binance weight 5, not 50 for 1000): hundreds of books go live within
    # the venue's REST budget in seconds, not minutes.
    conf.venues = {"binance": VenueConf(depth=100), "mexc": VenueConf(depth=100)}
    conf.live.feed.compression = False  # loopback: the venues' deflate would only cost CPU here
    return conf


def trading(market: MarketConfig) -> set[tuple[str, str]]:
    """The books that should be live: listed and not halted."""
    return {(v.name, s) for v in market.venues for s in market.listed(v.name) if s not in set(v.halted)}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# -- the venues' side ---------------------------------------------------------------------------
def simulator(conn, n: int) -> None:
    """Child process: serve the market; on ("sends", t0, t1) answer the sends in that window."""
    try:
        os.sched_setaffinity(0, {0})
    except (AttributeError, OSError):
        pass
    from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues

    async def serve() -> None:
        sends: list[tuple[str, str, int]] = []
        config = SimConfig(market=market_for(n), seed=SEED, speed=1.0, options=ServerOptions(ping_interval_s=None))
        async with SimulatedVenues(config, on_send=lambda venue, symbol, seq, ts: sends.append((venue, symbol, ts))) as sims:
            conn.send(sims.urls())
            while True:
                request = await asyncio.to_thread(conn.recv)
                if request[0] == "stop":
                    return
                _, t0, t1 = request
                conn.send(([s for s in sends if t0 <= s[2] <= t1], sims.driver.lagging_ns))  # type: ignore[union-attr]
                sends.clear()

    asyncio.run(serve())


# -- arb's side ---------------------------------------------------------------------------------
async def wait_live(count_live, expected: int, timeout_s: float) -> float:
    """Until ``count_live()`` books are live (or the timeout); returns the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if await count_live() >= expected:
            break
        await asyncio.sleep(0.5)
    return time.monotonic() - start


def run_local(conn, n: int, urls: dict, seconds: float, warmup_s: float) -> None:
    """Child process pinned to one core: the local runtime; sends back its measurements."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})
    except (AttributeError, OSError):
        pass
    import resource

    from arb.runtime.components import build
    from arb.runtime.live import LocalRuntime, build_feeds
    from arb.sim.market import instruments

    market = market_for(n)
    conf = conf_for(market)

    async def main() -> dict:
        parts = build(conf, instruments(market))
        wake = asyncio.Event()
        feeds = build_feeds(conf, wake, urls=urls, seed=1)
        decisions: list[tuple[str, str, int, int]] = []

        def on_decision(changed: list[tuple[str, str]], decided_ns: int) -> None:
            for venue, symbol in changed:
                book = feeds[venue].book(symbol)
                if book is not None and book.ts_recv_ns and book.is_live:
                    decisions.append((venue, symbol, book.ts_recv_ns, decided_ns))

        live = LocalRuntime(feeds, parts, wake, on_decision=on_decision)
        stop = asyncio.Event()
        task = asyncio.ensure_future(live.run(stop))

        async def count_live() -> int:
            return sum(len(f.live_symbols()) for f in feeds.values())

        took = await wait_live(count_live, len(trading(market)), warmup_s)
        await asyncio.sleep(1.0)
        decisions.clear()
        m0 = sum(f.health().messages for f in feeds.values())
        c0, t0 = time.process_time(), time.time_ns()
        await asyncio.sleep(seconds)
        c1, t1 = time.process_time(), time.time_ns()
        m1 = sum(f.health().messages for f in feeds.values())
        live_books = {(v, s) for v, f in feeds.items() for s in f.live_symbols()}
        stop.set()
        await asyncio.wait_for(task, 30)
        return {"mode": "local", "cpu_s": c1 - c0, "messages": m1 - m0, "window": (t0, t1), "decisions": decisions,
                "live": live_books, "warmup_s": took, "rss_bytes": _rss(os.getpid()),
                "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}

    conn.send(asyncio.run(main()))


def run_ray(conn, n: int, urls: dict, shards: int, seconds: float, warmup_s: float, feed_actors: int = 1) -> None:
    """Child process: a one-node Ray and the topology with ``shards`` shards."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ["RAY_TMPDIR"] = tempfile.mkdtemp(prefix="ray-coverage-")
    import ray

    from arb.runtime.ray_cluster import connect
    from arb.runtime.ray_topology import RayTopology
    from arb.sim.market import instruments

    market = market_for(n)
    conf = conf_for(market)
    connect(num_cpus=os.cpu_count(), include_dashboard=False)
    topo = RayTopology(conf, Path(tempfile.mkdtemp()) / "journal.sqlite", instruments(market), urls, shards=shards,
                       actor_cpus=0.01, trace=True, feed_actors=feed_actors)
    try:
        topo.start()

        async def count_live() -> int:
            return sum(h.get("live", 0) for h in await asyncio.to_thread(topo.health))

        took = asyncio.run(wait_live(count_live, len(trading(market)), warmup_s))
        time.sleep(1.0)
        topo.drain_traces()
        p0, d0 = _by_pid(topo.processes()), _ray_daemons()
        h0 = topo.health()
        t0 = time.time_ns()
        time.sleep(seconds)
        t1 = time.time_ns()
        p1, d1 = _by_pid(topo.processes()), _ray_daemons()
        h1 = topo.health()
        decisions = topo.drain_traces()
        messages = sum(h["health"].messages for h in h1 if h.get("started")) - sum(h["health"].messages for h in h0 if h.get("started"))
        live_books = {(venue, s) for by_venue in ray.get([f.live_symbols.remote() for f in topo.feeds], timeout=30)
                      for venue, symbols in by_venue.items() for s in symbols}
        by_role: dict[str, float] = {}
        for pid, p in p1.items():
            if pid in p0:
                role = p["role"].split(":")[0]
                by_role[role] = by_role.get(role, 0.0) + p["cpu_s"] - p0[pid]["cpu_s"]
        conn.send({
            "mode": f"ray{shards}", "cpu_s": sum(by_role.values()), "cpu_by_role": by_role,
            "daemons_cpu_s": sum(d1.get(pid, 0.0) - cpu for pid, cpu in d0.items()), "messages": messages,
            "window": (t0, t1), "decisions": decisions, "live": live_books, "warmup_s": took,
            "rss_bytes": sum(_rss(pid) for pid in p1), "peak_rss_bytes": sum(p["max_rss_bytes"] for p in p1.values()),
            "links": sorted({h.get("link", "") for h in h1}),
        })
    finally:
        topo.stop()
        ray.shutdown()


def _by_pid(processes: list[dict]) -> dict[int, dict]:
    return {p["pid"]: p for p in processes if "pid" in p}


def _rss(pid: int) -> int:
    import psutil

    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return 0


def _ray_daemons() -> dict[int, float]:
    """CPU seconds of this machine's Ray daemons (raylet, GCS, agents) by pid."""
    import psutil

    out = {}
    for proc in psutil.process_iter(["cmdline"]):
        line = " ".join(proc.info["cmdline"] or ())
        if any(name in line for name in ("raylet", "gcs_server", "dashboard/agent", "runtime_env/agent", "log_monitor")):
            try:
                times = proc.cpu_times()
                out[proc.pid] = times.user + times.system
            except psutil.Error:
                continue
    return out


# -- matching sends with decisions ----------------------------------------------------------
def evaluate(result: dict, sends: list[tuple[str, str, int]], expected: set[tuple[str, str]], max_age_s: float) -> dict:
    """Tick-to-decision per send, and which books stayed fresh (see the module doc)."""
    _, t1 = result["window"]
    max_age_ns = round(max_age_s * 1e9)
    decided: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for venue, symbol, recv, done in result["decisions"]:
        decided.setdefault((venue, symbol), []).append((recv, done))
    by_book: dict[tuple[str, str], list[int]] = {}
    for venue, symbol, ts in sends:
        by_book.setdefault((venue, symbol), []).append(ts)
    latencies: list[float] = []
    stale: set[tuple[str, str]] = set()
    for key, times in by_book.items():
        seen = sorted(decided.get(key, ()))
        recvs = [r for r, _ in seen]
        firsts = _running_min([d for _, d in seen])
        for send in sorted(times):
            i = bisect.bisect_left(recvs, send)
            if i == len(seen):
                if send < t1 - max_age_ns:
                    stale.add(key)  # never decided on, long enough to tell
                continue
            latency = firsts[i] - send
            latencies.append(latency / 1e6)
            if latency > max_age_ns:
                stale.add(key)
    fresh = {key for key in expected if key in result["live"] and key in by_book and key not in stale}
    # A book the venue sent nothing to in the window (none here: every listed book publishes) counts if live.
    fresh |= {key for key in expected if key not in by_book and key in result["live"]}
    return {"latencies_ms": latencies, "fresh_share": len(fresh) / max(len(expected), 1), "stale_books": len(expected - fresh)}


def _running_min(values: list[int]) -> list[int]:
    """``out[i]`` = the earliest decision among those at or after i (decisions come in time order
    per book, but a conflated one may carry an older receive stamp)."""
    out = list(values)
    for i in range(len(out) - 2, -1, -1):
        out[i] = min(out[i], out[i + 1])
    return out


# -- driver ---------------------------------------------------------------------------------
def measure(n: int, modes: list[str], seconds: float, warmup_s: float) -> list[dict]:
    ctx = mp.get_context("spawn")
    market = market_for(n)
    expected = trading(market)
    max_age_s = conf_for(market).strategy.max_age_s
    sim_end, sim_child = ctx.Pipe()
    sim = ctx.Process(target=simulator, args=(sim_child, n), daemon=True)
    sim.start()
    urls = sim_end.recv()
    rows = []
    try:
        for mode in modes:
            ours, theirs = ctx.Pipe()
            if mode == "local":
                proc = ctx.Process(target=run_local, args=(theirs, n, urls, seconds, warmup_s))
            else:
                proc = ctx.Process(target=run_ray, args=(theirs, n, urls, int(mode[3:]), seconds, warmup_s))
            proc.start()
            result = ours.recv()
            proc.join(60)
            sim_end.send(("sends", *result["window"]))
            sends, lagging_ns = sim_end.recv()
            row = {**result, **evaluate(result, sends, expected, max_age_s), "n": n, "books": len(expected),
                   "sim_lag_s": lagging_ns / 1e9}
            row.pop("decisions")
            row.pop("live")
            rows.append(row)
    finally:
        sim_end.send(("stop",))
        sim.join(30)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200,500", help="symbols per venue, comma-separated")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured window per mode")
    parser.add_argument("--warmup", type=float, default=90.0, help="longest wait for every book to go live")
    parser.add_argument("--modes", default="local,ray1,ray2")
    parser.add_argument("--quick", action="store_true", help="N = 50 only, 4 s windows (CI size)")
    args = parser.parse_args()
    sizes = [50] if args.quick else [int(x) for x in args.sizes.split(",")]
    load0 = os.getloadavg()
    seconds = 4.0 if args.quick else args.seconds
    modes = args.modes.split(",")
    started = time.perf_counter()
    rows = [row for n in sizes for row in measure(n, modes, seconds, args.warmup)]
    for row in rows:
        row["msgs_per_s"] = row["messages"] / seconds
        row["cpu_us_per_msg"] = row["cpu_s"] / max(row["messages"], 1) * 1e6
        row["p50_ms"], row["p99_ms"] = pct(row["latencies_ms"], 0.5), pct(row["latencies_ms"], 0.99)
    print(f"7 venues x N symbols (every venue lists every symbol), realistic per-symbol rates; {seconds:g} s windows, "
          f"{os.cpu_count()} cores shared (load average {load0[0]:.1f} -> {os.getloadavg()[0]:.1f}); "
          f"total {time.perf_counter() - started:.0f} s")
    print(f"{'N':>4} {'books':>6} {'mode':<6}{'msgs/s':>8}{'CPU us/msg':>11}{'cores':>7}{'daemons':>9}{'fresh':>8}{'p50 ms':>8}"
          f"{'p99 ms':>8}{'RSS MB':>8}{'ready s':>8}{'sim lag':>8}")
    for r in rows:
        daemons = r.get("daemons_cpu_s")
        print(f"{r['n']:>4} {r['books']:>6} {r['mode']:<6}{r['msgs_per_s']:>8,.0f}{r['cpu_us_per_msg']:>11.1f}"
              f"{r['cpu_s'] / seconds:>7.2f}"
              f"{(daemons / max(r['messages'], 1) * 1e6 if daemons is not None else float('nan')):>9.1f}"
              f"{r['fresh_share']:>8.1%}{r['p50_ms']:>8.2f}{r['p99_ms']:>8.2f}{r['rss_bytes'] / 1e6:>8.0f}"
              f"{r['warmup_s']:>8.1f}{r['sim_lag_s']:>8.2f}")
    for r in rows:
        if "cpu_by_role" in r:
            parts = ", ".join(f"{role} {cpu / max(r['messages'], 1) * 1e6:.1f}" for role, cpu in sorted(r["cpu_by_role"].items()))
            print(f"  N={r['n']} {r['mode']}: CPU us/msg by actor: {parts}")
    local = {r["n"]: r for r in rows if r["mode"] == "local"}
    ray1 = {r["n"]: r for r in rows if r["mode"] == "ray1"}
    ray2 = {r["n"]: r for r in rows if r["mode"] == "ray2"}
    one_core = [n for n, r in local.items() if r["fresh_share"] >= FRESH_SHARE and r["p99_ms"] < P99_LIMIT_MS]
    unsaturated = [n for n, r in local.items() if r["cpu_s"] / seconds <= 0.8 and r["sim_lag_s"] < 0.5]
    top = max(unsaturated) if unsaturated else max(sizes)
    ratio = {n: ray1[n]["cpu_us_per_msg"] / local[n]["cpu_us_per_msg"] for n in ray1 if n in local}
    for n, x in sorted(ratio.items()):
        print(f"N={n}: Ray (1 shard) spends {x:.2f}x the CPU per message of one process")
    print(f"headline figures at N={top} (the largest N one process served unsaturated)")
    print(f"largest N one core keeps fresh (>= {FRESH_SHARE:.0%} of books, p99 < {P99_LIMIT_MS:g} ms): {max(one_core) if one_core else 'none'}"
          f"{' (every size tried)' if one_core and max(one_core) == top else ''}")

    def fig(table: dict, n: int, key: str, digits: int = 1):
        return round(table[n][key], digits) if n in table else None

    emit({
        "sizes": sizes,
        "headline_n": top,
        "load_average": round(load0[0], 1),
        "books": {n: local[n]["books"] for n in local},
        "cpu_us_per_msg_local": fig(local, top, "cpu_us_per_msg"),
        "cpu_us_per_msg_ray": fig(ray1, top, "cpu_us_per_msg"),
        "cpu_us_per_msg_ray_2_shards": fig(ray2, top, "cpu_us_per_msg"),
        "ray_to_local_cpu_ratio": round(ratio[top], 2) if top in ratio else None,
        "max_fresh_symbols_one_core": max(one_core) if one_core else 0,
        "by_size": {
            n: {mode: {"cpu_us_per_msg": round(r["cpu_us_per_msg"], 1), "msgs_per_s": round(r["msgs_per_s"]),
                       "fresh_share": round(r["fresh_share"], 4), "p50_ms": round(r["p50_ms"], 2), "p99_ms": round(r["p99_ms"], 2),
                       "rss_mb": round(r["rss_bytes"] / 1e6), "daemons_cpu_us_per_msg": (
                           round(r["daemons_cpu_s"] / max(r["messages"], 1) * 1e6, 1) if "daemons_cpu_s" in r else None)}
                for mode, r in ((r["mode"], r) for r in rows if r["n"] == n)}
            for n in sizes
        },
        "seconds": seconds,
        **machine(),
    })


if __name__ == "__main__":
    main()
