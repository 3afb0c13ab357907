"""Simulator benchmark: how fast arb.sim writes a recording, on one core.

Generates the 3-venue × 10-symbol preset for 60 s of market time (seed 1), as plain
JSON Lines and as gzip, best of N. The baseline in the same run is the market model
alone (``MarketModel.step`` over the same 60 s, no wire encoding, no file), so the
figures split model cost from encoding + writing cost. Events are the records written
(connect, ws_out, ws frames, REST bodies).

**At market size**: the model alone on the synthetic market (``presets.synthetic(N,
full_overlap=True)``, 7 × N books at their realistic rates) for N = 50 … 1000 — CPU per
published change and per level changed. The model's work per change does not depend on N (a
window visits only the books due in it); what grows is the interpreter's: its cyclic garbage
collector scans every live object now and then, and more books are more objects. The baseline
column freezes the model's objects after it is built (``gc.freeze()``: a host's choice, e.g. a
simulator process), which leaves the model's own cost. The last line of stdout is a JSON object.

    python bench/simulate.py [--seconds 60] [--repeats 3] [--sizes 50,200,500,1000]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arb.sim.market import DEFAULT_START_NS, MarketModel
from arb.sim.presets import synthetic, three_venues
from arb.sim.recording import write_recording
from bench.common import best_of, emit, machine, pin_one_core

SEED = 1


def at_size(n: int, seconds: float = 1.5, freeze: bool = False) -> tuple[float, float, float]:
    """``(µs per change, µs per level changed, changes per model second)`` of the model alone
    on the synthetic market of ``n`` symbols (after 2 s of warm-up), best of two runs;
    ``freeze``: the objects alive after the warm-up are left out of garbage collection."""
    best = (float("inf"), float("inf"), 0.0)
    for _ in range(2):
        model = MarketModel(synthetic(n, full_overlap=True, seed=SEED), SEED, start_ns=0)
        model.step(2_000_000_000)
        if freeze:
            gc.freeze()
        changes = levels = 0
        start_model, cpu0 = model.now_ns, time.process_time()
        while time.process_time() - cpu0 < seconds:
            for change in model.step(model.now_ns + 10_000_000):
                changes += 1
                levels += len(change.bids) + len(change.asks)
        cpu = time.process_time() - cpu0
        row = (cpu / changes * 1e6, cpu / levels * 1e6, changes / ((model.now_ns - start_model) / 1e9))
        best = min(best, row)
        gc.unfreeze()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="market time to simulate")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="50,200,500,1000", help="synthetic market sizes for the model alone")
    args = parser.parse_args()
    cpu = pin_one_core()
    config = three_venues()
    tick_ns = config.tick_ms * 1_000_000
    ticks = int(args.seconds * 1e9) // tick_ns
    counts: dict[str, int] = {}

    def model_only() -> None:
        model = MarketModel(config, SEED)
        changes = 0
        for i in range(1, ticks + 1):
            changes += len(model.step(DEFAULT_START_NS + i * tick_ns))
        counts["changes"] = changes

    with tempfile.TemporaryDirectory() as tmp:
        sizes: dict[str, int] = {}

        def record(suffix: str):
            def run() -> None:
                path = Path(tmp) / f"sim{suffix}"
                generated = write_recording(path, config, SEED, args.seconds, overwrite=True)
                counts["records"] = generated.records
                counts["frames"] = generated.frames
                sizes[suffix] = path.stat().st_size
            return run

        t_model = best_of(model_only, args.repeats)
        t_plain = best_of(record(".jsonl"), args.repeats)
        t_gzip = best_of(record(".jsonl.gz"), args.repeats)

    records = counts["records"]
    print(f"{config.name}: {args.seconds:g} s of market, {counts['changes']} book changes, {records} records")
    print(f"  model only (baseline)   {t_model:7.3f} s   {counts['changes'] / t_model:10,.0f} changes/s")
    print(f"  recording .jsonl        {t_plain:7.3f} s   {records / t_plain:10,.0f} events/s   {sizes['.jsonl'] / 1e6:6.1f} MB")
    print(f"  recording .jsonl.gz     {t_gzip:7.3f} s   {records / t_gzip:10,.0f} events/s   {sizes['.jsonl.gz'] / 1e6:6.1f} MB")
    print(f"  market seconds per wall second: {args.seconds / t_plain:,.0f} (plain), {args.seconds / t_gzip:,.0f} (gzip)")
    market_sizes = [int(x) for x in args.sizes.split(",") if x]
    scale = {n: at_size(n) for n in market_sizes}
    frozen = {n: at_size(n, freeze=True) for n in market_sizes}
    print("model alone at market size (7 venues x N symbols, every venue lists every symbol):")
    print(f"  {'N':>5}{'books':>7}{'changes/s':>11}{'us/change':>11}{'us/level':>10}{'frozen us/change':>18}{'us/level':>10}")
    for n, (per_change, per_level, rate) in scale.items():
        print(f"  {n:>5}{7 * n:>7}{rate:>11,.0f}{per_change:>11.1f}{per_level:>10.2f}{frozen[n][0]:>18.1f}{frozen[n][1]:>10.2f}")
    emit({
        "bench": "simulate",
        "preset": config.name,
        "market_seconds": args.seconds,
        "changes": counts["changes"],
        "records": records,
        "frames": counts["frames"],
        "model_changes_per_s": round(counts["changes"] / t_model),
        "events_per_s_jsonl": round(records / t_plain),
        "events_per_s_gzip": round(records / t_gzip),
        "bytes_jsonl": sizes[".jsonl"],
        "bytes_gzip": sizes[".jsonl.gz"],
        "model_us_per_change_by_n": {n: round(row[0], 1) for n, row in scale.items()},
        "model_us_per_level_by_n": {n: round(row[1], 2) for n, row in scale.items()},
        "model_frozen_us_per_change_by_n": {n: round(row[0], 1) for n, row in frozen.items()},
        "model_frozen_us_per_level_by_n": {n: round(row[1], 2) for n, row in frozen.items()},
        "cpu": cpu,
        **machine(),
    })


if __name__ == "__main__":
    main()
