"""Short simulated markets for the fan-out and sweep tests: one file per UTC day."""

from __future__ import annotations

from pathlib import Path

from arb.config import ArbConf, UniverseConf
from arb.sim.config import DislocationConfig
from arb.sim.presets import market
from arb.sim.recording import write_recording

VENUES = ["binance", "okx", "kraken"]
SYMBOLS = ["BTC/USDT", "ETH/USDT"]
DAY_NS = 86_400 * 1_000_000_000
START_NS = 1_700_006_400 * 1_000_000_000  # 2023-11-15 00:00 UTC


def recordings(folder: Path, days: int = 3, duration_s: float = 15.0) -> list[Path]:
    """``days`` recordings of 3 venues × 2 symbols, a day apart, with frequent dislocations
    (so they trade); seeds differ per day."""
    config = market(tuple(VENUES), len(SYMBOLS), name="3x2", dislocations=DislocationConfig(rate_per_min=12))
    paths = []
    for day in range(days):
        path = folder / f"day{day}.jsonl.gz"
        write_recording(path, config, seed=100 + day, duration_s=duration_s, start_ns=START_NS + day * DAY_NS)
        paths.append(path)
    return paths


def conf() -> ArbConf:
    return ArbConf(universe=UniverseConf(venues=list(VENUES), symbols=list(SYMBOLS)))
