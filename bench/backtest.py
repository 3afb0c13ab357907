"""Backtest benchmark: end-to-end events per second on one core.

Simulates the research default — 3 venues (Binance, OKX, Kraken) × 10 symbols, 60 s — and
replays it three ways in the same run, so the cost of each layer shows:

- ``read``: stream and parse the recording's records (the floor);
- ``books``: read + decode + exact books with sync rules and checksums (``arb verify``'s work);
- ``backtest``: the full decision path — books → views → scanner → risk → paper executor.

Best of N runs each. The last line of stdout is a JSON object.

    python bench/backtest.py [--duration 60] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arb.config import ArbConf, UniverseConf
from arb.replay.verify import verify
from arb.replay.merge import merged_records
from arb.runtime.backtest import run_backtest
from arb.sim.market import instruments
from arb.sim.presets import three_venues
from arb.sim.recording import write_recording
from bench.common import emit, machine, pin_one_core


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="simulated seconds")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cpu = pin_one_core()
    market = three_venues(10)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "market.jsonl.gz"
        started = time.perf_counter()
        generated = write_recording(path, market, seed=7, duration_s=args.duration)
        gen_s = time.perf_counter() - started
        events = generated.records
        conf = ArbConf(universe=UniverseConf(venues=list(market.venue_names), symbols=list(market.symbol_names)))
        inst = instruments(market)
        runs = {
            "read": lambda: sum(1 for _ in merged_records([path])),
            "books": lambda: verify([path]),
            "backtest": lambda: run_backtest([path], conf, inst),
        }
        best = {name: float("inf") for name in runs}
        result = None
        for _ in range(args.repeats):
            for name, fn in runs.items():
                t0 = time.perf_counter()
                out = fn()
                best[name] = min(best[name], time.perf_counter() - t0)
                if name == "backtest":
                    result = out
    rates = {name: events / seconds for name, seconds in best.items()}
    print(f"market {market.name}, {args.duration:g} s simulated, {events:,} events (generated in {gen_s:.1f} s)")
    print(f"{'layer':<10}{'seconds':>10}{'events/s':>12}")
    for name in runs:
        print(f"{name:<10}{best[name]:>10.3f}{rates[name]:>12,.0f}")
    assert result is not None
    print(f"trades {int(result.metrics['trades'])}, net P&L {result.metrics['net_pnl_usd']:.2f} USD")
    emit(
        {
            "backtest_events_per_s": round(rates["backtest"]),
            "books_events_per_s": round(rates["books"]),
            "read_events_per_s": round(rates["read"]),
            "decision_path_share": round(1 - best["books"] / best["backtest"], 3),
            "events": events,
            "trades": int(result.metrics["trades"]),
            "target_events_per_s": 50_000,
            "cpu": cpu,
            **machine(),
        }
    )


if __name__ == "__main__":
    main()
