"""Cluster benchmark: the live engine on Ray actors over a ``ray.cluster_utils`` cluster
(1 head + 2 workers on this machine), fed by the 7-venue × 20-symbol simulators.

Runs the same market with 1 shard and with 2 shards and reports, for each:

- aggregate messages/s the feed actors processed (the simulators offer ``--rate``);
- tick-to-opportunity (feed receive → scanner emits it) and tick-to-trade (feed receive →
  executor decides to trade, after its risk check) latency p50/p99, through the actors;
- CPU cores used by the whole machine during the window (/proc/stat).

The simulators run in their own process (the venues' side), outside Ray. Compare the two
shard counts in the same run: the box is shared, ratios hold better than absolutes. The
last line of stdout is a JSON object.

    python bench/cluster.py [--rate 8000] [--seconds 10] [--warmup 5]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arb.config import ArbConf, UniverseConf
from arb.sim import presets
from arb.sim.market import instruments
from bench.common import emit, machine
from bench.live import _simulator, pct


def _cpu_busy() -> tuple[int, int]:
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def run(shards: int, urls: dict, seconds: float, warmup: float) -> dict:
    import ray

    from arb.runtime.ray_topology import RayTopology

    market = replace(presets.seven_venues(20), name="7x20")
    conf = ArbConf(universe=UniverseConf(venues=list(market.venue_names), symbols=list(market.symbol_names)))
    topo = RayTopology(conf, Path(tempfile.mkdtemp()) / "journal.sqlite", instruments(market), urls, shards=shards, actor_cpus=0.05)
    topo.start()
    try:
        time.sleep(warmup)
        topo.ensure_started()
        m0 = sum(h["health"].messages for h in topo.health() if h.get("started"))
        s0 = {s["shard"]: (len(s["decision_ms"]), len(s["opportunity_ms"])) for s in topo.scanner_stats()}
        t0_state = topo.state()
        busy0, total0 = _cpu_busy()
        t0 = time.perf_counter()
        time.sleep(seconds)
        elapsed = time.perf_counter() - t0
        busy1, total1 = _cpu_busy()
        m1 = sum(h["health"].messages for h in topo.health() if h.get("started"))
        stats = topo.scanner_stats()
        state = topo.state()
    finally:
        topo.stop()
    decision, opportunity = [], []
    for s in stats:
        d0, o0 = s0.get(s["shard"], (0, 0))
        decision += s["decision_ms"][d0:]
        opportunity += s["opportunity_ms"][o0:]
    trade = state["trade_ms"][len(t0_state["trade_ms"]):]
    return {
        "shards": shards,
        "msgs_per_s": (m1 - m0) / elapsed,
        "cores_used": (busy1 - busy0) / (total1 - total0) * (os.cpu_count() or 1),
        "decision_ms": [x * 1e6 for x in decision],  # pct() takes ns
        "opportunity_ms": [x * 1e6 for x in opportunity],
        "trade_ms": [x * 1e6 for x in trade],
        "trades": state["trades"] - t0_state["trades"],
        "ray_nodes": len(ray.nodes()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=8000.0, help="messages/s the simulators offer")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    args = parser.parse_args()
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_TMPDIR", tempfile.mkdtemp(prefix="ray-bench-"))
    import ray
    from ray.cluster_utils import Cluster

    parent, child = mp.Pipe()
    total_s = 2 * (args.seconds + args.warmup + 15)
    sim = mp.get_context("spawn").Process(target=_simulator, args=(child, args.rate, total_s), daemon=True)
    sim.start()
    urls = parent.recv()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "resources": {"arb_head": 1, "arb_node": 1, "arb_shard": 1}, "include_dashboard": False},
    )
    for _ in range(2):
        cluster.add_node(num_cpus=1, resources={"arb_node": 1, "arb_shard": 1})
    ray.init(address=cluster.address)
    try:
        results = [run(shards, urls, args.seconds, args.warmup) for shards in (1, 2)]
    finally:
        ray.shutdown()
        cluster.shutdown()
        parent.send("stop")
        sim.join(10)
    print(f"7 venues x 20 symbols offered at {args.rate:,.0f} msgs/s; cluster of {results[0]['ray_nodes']} nodes on {os.cpu_count()} cores")
    print(f"{'shards':<8}{'msgs/s':>10}{'cores':>7}{'opp p50':>9}{'opp p99':>9}{'trade p50':>11}{'trade p99':>11}{'trades':>8}")
    for r in results:
        print(f"{r['shards']:<8}{r['msgs_per_s']:>10,.0f}{r['cores_used']:>7.2f}{pct(r['opportunity_ms'], .5):>9.2f}"
              f"{pct(r['opportunity_ms'], .99):>9.2f}{pct(r['trade_ms'], .5):>11.2f}{pct(r['trade_ms'], .99):>11.2f}{r['trades']:>8}")
    one, two = results
    emit(
        {
            "msgs_per_s_1_shard": round(one["msgs_per_s"]),
            "msgs_per_s_2_shards": round(two["msgs_per_s"]),
            "shard_scaling": round(two["msgs_per_s"] / one["msgs_per_s"], 2) if one["msgs_per_s"] else None,
            "tick_to_opportunity_p50_ms": round(pct(two["opportunity_ms"], .5), 2),
            "tick_to_opportunity_p99_ms": round(pct(two["opportunity_ms"], .99), 2),
            "tick_to_trade_p50_ms": round(pct(two["trade_ms"], .5), 2),
            "tick_to_trade_p99_ms": round(pct(two["trade_ms"], .99), 2),
            "tick_to_decision_p50_ms": round(pct(two["decision_ms"], .5), 2),
            "tick_to_decision_p99_ms": round(pct(two["decision_ms"], .99), 2),
            "cores_used_1_shard": round(one["cores_used"], 2),
            "cores_used_2_shards": round(two["cores_used"], 2),
            "offered_rate": args.rate,
            **machine(),
        }
    )


if __name__ == "__main__":
    main()
