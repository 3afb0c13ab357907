"""Which journal a live run writes: its own new file, or — asked for — the last one.

Every ``arb live`` journals every intent, order, fill and deposit to SQLite
(:class:`~arb.exec.journal_sqlite.SqliteJournal`). A new run starts a new file
``<dir>/live-<UTC start time>.sqlite`` and so starts clean; ``resume`` continues the most
recent file in ``dir`` (its balances, open orders and P&L) and the run says so. Nothing is
ever resumed silently, and nothing is overwritten.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path

from arb.core.errors import ConfigError

_PREFIX = "live-"
_SUFFIX = ".sqlite"


@dataclass(frozen=True)
class RunJournal:
    path: Path
    resumed: bool

    def describe(self) -> str:
        return f"{self.path} ({'resumed' if self.resumed else 'new'})"


def choose(directory: str | os.PathLike[str], resume: bool, now_ns: int) -> RunJournal:
    """The journal of a run starting at ``now_ns`` (see the module docstring)."""
    folder = Path(directory)
    if resume:
        found = latest(folder)
        if found is None:
            raise ConfigError(f"live.resume=true: no journal to resume in {folder} (a new run starts one)")
        return RunJournal(found, True)
    stamp = datetime.fromtimestamp(now_ns / 1e9, tz=UTC).strftime("%Y%m%d-%H%M%S")
    path = folder / f"{_PREFIX}{stamp}{_SUFFIX}"
    n = 1
    while path.exists():  # two runs in one second: never reuse a journal
        n += 1
        path = folder / f"{_PREFIX}{stamp}-{n}{_SUFFIX}"
    return RunJournal(path, False)


def latest(folder: Path) -> Path | None:
    """The most recently started run's journal in ``folder`` (by name: the start time)."""
    if not folder.is_dir():
        return None
    names = sorted((p for p in folder.glob(f"{_PREFIX}*{_SUFFIX}")), key=lambda p: _order(p.name))
    return names[-1] if names else None


def _order(name: str) -> tuple[str, int]:
    parts = name[len(_PREFIX) : -len(_SUFFIX)].split("-")
    return ("-".join(parts[:2]), int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 1)
