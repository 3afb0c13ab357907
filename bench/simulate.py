"""Simulator benchmark: how fast arb.sim writes a recording, on one core.

Generates the 3-venue × 10-symbol preset for 60 s of market time (seed 1), as plain
JSON Lines and as gzip, best of N. The baseline in the same run is the market model
alone (``MarketModel.step`` over the same 60 s, no wire encoding, no file), so the
figures split model cost from encoding + writing cost. Events are the records written
(connect, ws_out, ws frames, REST bodies). The last line of stdout is a JSON object.

    python bench/simulate.py [--seconds 60] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arb.sim.market import DEFAULT_START_NS, MarketModel  # noqa: E402
from arb.sim.presets import three_venues  # noqa: E402
from arb.sim.recording import write_recording  # noqa: E402
from bench.common import best_of, emit, machine, pin_one_core  # noqa: E402

SEED = 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="market time to simulate")
    parser.add_argument("--repeats", type=int, default=3)
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
        "cpu": cpu,
        **machine(),
    })


if __name__ == "__main__":
    main()
