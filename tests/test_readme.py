"""The README's commands, copied as written, run as the README says.

Every command line of the README's ``bash`` blocks is either run here — as written, with its
duration shortened and its outputs (MLflow store, journals, Hydra's folders) sent to a temp
folder — or named below with the reason it cannot run offline. A new command in the README
that is neither fails this test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

#: Commands not run here, and why (matched by prefix).
NOT_HERE = {
    ".venv/bin/arb live live=public": "needs the internet (the real venues)",
    "python3 scripts/bootstrap.py --test && .venv/bin/python -m pytest": "it is this test run",
    "TOKEN=$(cat data/dashboard.token)": "needs a running arb live: tests/runtime/dashboard/test_prometheus.py runs the kill command",
    "curl ": "needs a running arb live: tests/runtime/dashboard/ drive these endpoints",
    "-d '{": "continuation of a curl command",
    "arb backtest backtest.recordings=[data/recordings/a.jsonl.gz": "names example files (a.jsonl.gz, b.jsonl.gz)",
    "arb backtest runtime=ray backtest.fanout=per_file backtest.recordings=[…]": "a placeholder for your files",
    "ray ": "a cloud cluster (cluster.yaml)",
    ".venv/bin/python bench/": "benchmarks: run by hand, their figures are in the README",
}

#: Shortened durations: (command prefix, extra overrides).
SHORT = {
    "live": ["live.duration_s=10"],
    "backtest": ["backtest.sim.duration_s=15"],
    "record": ["record.duration_s=6"],
}


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def _strip_comment(line: str) -> str:
    return line.split("  #", 1)[0].strip()


def _run(line: str, tmp: Path) -> subprocess.CompletedProcess:
    command = _strip_comment(line)
    words = command.split()
    if words[0] in ("arb", ".venv/bin/arb"):
        sub = words[1]
        isolate = [f"hydra.run.dir={tmp / 'out'}", f"hydra.sweep.dir={tmp / 'sweep'}"]
        if sub in ("live", "backtest"):
            isolate += [f"tracking.dir={tmp / 'mlruns'}"]
        if sub == "live":
            isolate += [f"live.journal_dir={tmp / 'journal'}", "dashboard.port=0"]
        extra = [e for e in SHORT.get(sub, []) if e.split("=")[0] not in command]
        # a duration written in the command is shortened, not added twice
        command = re.sub(r"live\.duration_s=\d+", "live.duration_s=10", command)
        command = re.sub(r"record\.duration_s=\d+", "record.duration_s=6", command)
        if sub != "verify":
            command = f"{command} {' '.join(shlex.quote(x) for x in [*extra, *isolate])}"
        command = command.replace(".venv/bin/arb ", "arb ", 1)
        command = f"{sys.executable} -m workflows.cli " + command.split(" ", 1)[1] if command.startswith("arb ") else command
    ray_tmp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # Ray's socket paths must stay under 107 bytes
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_TMPDIR": ray_tmp}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)


def test_every_readme_command_is_run_here_or_says_why_not():
    commands = readme_commands()
    assert len(commands) > 10
    unknown = [c for c in commands if not any(c.startswith(p) for p in NOT_HERE) and not _runnable(c)]
    assert unknown == [], "README commands neither run nor excused: " + "; ".join(unknown)


def _runnable(line: str) -> bool:
    head = _strip_comment(line)
    return head.startswith(("arb ", ".venv/bin/arb ", "python3 scripts/bootstrap.py && .venv/bin/arb "))


RUNNABLE = [c for c in readme_commands() if _runnable(c) and not any(c.startswith(p) for p in NOT_HERE)]


@pytest.mark.parametrize("line", RUNNABLE, ids=[_strip_comment(c)[:60] for c in RUNNABLE])
def test_the_readme_command_runs(line, tmp_path):
    if line.startswith("arb verify data/recordings/"):
        # what `arb record` (the README's previous command) writes
        recorded = _run("arb record record.duration_s=600", tmp_path)
        assert recorded.returncode == 0, recorded.stderr[-2000:]
    proc = _run(line, tmp_path)
    assert proc.returncode == 0, f"{line}\n{proc.stderr[-3000:]}"
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if " live" in _strip_comment(line) and "arb live" in line:
        summary = json.loads(last)
        assert {"mode", "trades", "orders", "pnl_quote", "reconciled"} <= set(summary)
        if "executor=live" in line:
            assert summary["mode"] == "live" and summary["reconciled"] is True
    if line.startswith("arb verify"):
        assert json.loads(last)["books"]
