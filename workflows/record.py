"""``arb record``: write the universe's raw market data to rotating "arb recording v1" files.

    arb record                                   # 60 s of the loopback simulators → data/recordings/
    arb record live=public record.duration_s=0   # the real venues, until Ctrl-C

One gzip stream per venue, rotated by size or time; a recording verifies with
``arb verify`` and backtests with ``arb backtest backtest.recordings=[…]``. Ctrl-C or a crash
leaves every file readable to its last complete line.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import hydra
from omegaconf import DictConfig

from arb.config import ArbConf
from arb.core.errors import ArbError
from arb.record.rotating import RotatingRecorder
from workflows import report
from workflows.backtest import PROJECT_DIR
from workflows.config import CONF_DIR, load
from workflows.live import stop_event, trade


async def record(conf: ArbConf, stop: asyncio.Event | None = None) -> RotatingRecorder:
    """Record until ``stop`` (or ``record.duration_s``); returns the closed recorder."""
    stop = stop_event(conf.record.duration_s, stop)
    directory = Path(conf.record.dir)
    if not directory.is_absolute():
        directory = PROJECT_DIR / directory
    source = f"arb record ({conf.live.source}) {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}"
    recorder = RotatingRecorder(
        directory, conf.universe.symbols, source,
        rotate_bytes=round(conf.record.rotate_mb * 2**20), rotate_s=conf.record.rotate_s,
    )
    try:
        # The same feeds as arb live (books are kept, so resyncs happen exactly as live);
        # no trading: the executor never sees an opportunity because the kill switch is set.
        conf.risk.kill_switch = True
        await trade(conf, stop, recorder=recorder)
    finally:
        recorder.close()
    return recorder


@hydra.main(config_path=CONF_DIR, config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> None:
    try:
        conf = load(cfg, tracking=False)  # records no run: a tracking server is not needed
        recorder = asyncio.run(record(conf))
    except ArbError as exc:
        print(f"arb record: {exc}", file=sys.stderr)
        sys.exit(2)
    report.print_summary("arb record", {"records": recorder.records, "files": len(recorder.files)})
    for path in recorder.files:
        print(path)


def main(argv: list[str]) -> int:
    sys.argv = ["arb record", *argv]
    app()
    return 0
