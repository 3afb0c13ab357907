"""``arb live`` as an operator starts it, for the end-to-end dashboard tests: a subprocess
on the simulators with its dashboard on a free port; the URL read from what it prints, the
token from the file it writes; stopped with Ctrl-C (SIGINT)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_URL = re.compile(r"^dashboard: (http://127\.0\.0\.1:\d+)/\?token=(\S+)")


@dataclass
class Engine:
    proc: subprocess.Popen
    url: str
    #: Read from the token file (what ``curl`` users do), equal to the printed one.
    token: str
    token_file: Path
    journal_dir: Path
    log: Path

    def get(self, path: str, token: str | None = "") -> tuple[int, bytes]:
        """GET with the bearer token (``token=None``: without any)."""
        headers = {} if token is None else {"Authorization": f"Bearer {token or self.token}"}
        request = urllib.request.Request(self.url + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def state(self) -> dict:
        status, body = self.get("/api/state")
        assert status == 200, body[:300]
        return json.loads(body)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def journal(self) -> Path:
        [path] = sorted(self.journal_dir.glob("*.sqlite"))
        return path


def wait_for(what: str, check, timeout_s: float, every_s: float = 0.5):
    """Poll ``check()`` until it returns something truthy; fail saying ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what} (last: {value!r})")
        time.sleep(every_s)


@contextlib.contextmanager
def arb_live(tmp: Path, *overrides: str, env: dict[str, str] | None = None, start_timeout_s: float = 180) -> Iterator[Engine]:
    """Run ``arb live`` with ``overrides`` until the block ends (then Ctrl-C, and it must exit 0)."""
    log = tmp / "arb-live.log"
    token_file = tmp / "dashboard.token"
    full_env = {**os.environ, **(env or {})}
    full_env.pop("MLFLOW_TRACKING_URI", None)
    full_env.pop("ARB_DASHBOARD_TOKEN", None)
    args = [
        sys.executable, "-m", "workflows.cli", "live", "live.view=plain", "live.duration_s=600", "dashboard.port=0",
        f"dashboard.token_file={token_file}", f"live.journal_dir={tmp / 'journal'}", f"tracking.dir={tmp / 'mlruns'}",
        f"hydra.run.dir={tmp / 'out'}", *overrides,
    ]
    with open(log, "w") as out:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=full_env, text=True)
    try:
        def printed():
            if proc.poll() is not None:
                raise AssertionError(f"arb live exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            for line in log.read_text(errors="replace").splitlines():
                match = _URL.match(line)
                if match:
                    return match
            return None

        match = wait_for("arb live to print the dashboard URL", printed, start_timeout_s)
        token = token_file.read_text().strip()
        assert token == match.group(2), "the printed token is the one in the token file"
        yield Engine(proc, match.group(1), token, token_file, tmp / "journal", log)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 0, log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
