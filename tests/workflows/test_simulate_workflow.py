"""``arb simulate`` end to end: the Hydra app serves loopback venues until told to stop."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OKX = "samples/recordings/okx-2022-05-13-books.jsonl.gz"


def serve_until_ready(*overrides: str, tmp: Path) -> tuple[list[str], subprocess.Popen]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "workflows.cli", "simulate", f"hydra.run.dir={tmp}", *overrides],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip())
        if line.startswith("serving"):
            break
    return lines, proc


@pytest.mark.parametrize(
    ("overrides", "venues"),
    [
        (("universe.venues=[binance,okx]", "universe.symbols=[BTC/USDT]"), {"binance", "okx"}),
        ((f"+sim_recordings=[{OKX}]",), {"okx"}),
    ],
    ids=["market-model", "recording"],
)
def test_simulate_prints_each_venue_url_and_stops_cleanly_on_ctrl_c(tmp_path, overrides, venues):
    lines, proc = serve_until_ready(*overrides, tmp=tmp_path)
    try:
        assert lines and lines[-1].startswith("serving"), (lines, proc.stderr.read() if proc.poll() else "")
        served = {line.split()[0] for line in lines[:-1]}
        assert served == venues
        assert all("ws ws://127.0.0.1:" in line and "rest http://127.0.0.1:" in line for line in lines[:-1])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
