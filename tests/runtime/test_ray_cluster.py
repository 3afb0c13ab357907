"""A Ray that arb starts: loopback only, quiet, and gone soon after its driver is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

DRIVER = """
import os, sys
from arb.runtime.ray_cluster import connect
connect(None, 1, "arb-cluster-test")
import ray

@ray.remote
def pid():
    return os.getpid()

print("ready", ray.get(pid.remote()), flush=True)
sys.stdin.read()  # until the test kills us
"""

LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


def session_processes(tmp: str) -> list[psutil.Process]:
    """Processes of the Ray started with ``RAY_TMPDIR=tmp`` (they all inherit it)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("RAY_TMPDIR") == tmp and proc.pid != os.getpid():
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def test_a_ray_started_by_arb_listens_on_loopback_only_and_dies_with_its_driver(tmp_path):
    # Short: Ray's socket paths must stay under 107 bytes. RAY_AUTH_MODE unset (Ray's
    # default: token auth, with a warning) and a private home for the token Ray writes.
    tmp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    env = {**os.environ, "RAY_TMPDIR": tmp, "HOME": str(tmp_path)}
    env.pop("RAY_AUTH_MODE", None)
    driver = subprocess.Popen([sys.executable, "-c", DRIVER], cwd=ROOT, env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready = driver.stdout.readline()
        assert ready.startswith("ready"), driver.stderr.read() if driver.poll() is not None else ready
        processes = session_processes(tmp)
        assert len(processes) >= 3  # gcs, raylet, a worker, …
        listening = []
        for proc in processes:
            try:
                listening += [(proc.name(), c.laddr.ip) for c in proc.net_connections(kind="inet")
                              if c.status == psutil.CONN_LISTEN]
            except psutil.NoSuchProcess:
                continue
        assert listening and all(ip in LOOPBACK for _, ip in listening), listening

        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=10)
        killed = time.monotonic()
        while session_processes(tmp) and time.monotonic() - killed < 20:
            time.sleep(0.5)
        left = [(p.pid, p.name()) for p in session_processes(tmp) if p.is_running()]
        assert not left, f"still running {time.monotonic() - killed:.0f} s after kill -9 of the driver: {left}"
        stderr = driver.stderr.read()
        assert "Token authentication is enabled" not in stderr and "Started a local Ray instance" not in stderr, stderr
        assert "\x1b" not in stderr
    finally:
        if driver.poll() is None:
            driver.kill()
        for proc in session_processes(tmp):
            proc.kill()
