"""Shared helpers for the benchmarks: timing, one-core pinning, output."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable


def pin_one_core() -> int | None:
    """Run on one CPU (the last one) where the OS allows it; returns the CPU or None."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})
        return cpus[-1]
    except (AttributeError, OSError):
        return None


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """Fastest wall time of ``repeats`` runs (the least disturbed by a shared machine)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Best time of each function, alternating them so machine noise hits all alike."""
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def machine() -> dict[str, object]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine()}


def emit(result: dict[str, object]) -> None:
    """The contract: a JSON object as the last line of stdout."""
    print(json.dumps(result, separators=(",", ":")))
