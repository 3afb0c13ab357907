"""What the end-to-end dashboard tests need from the machine: Debian's ``chromium`` and
``prometheus``, installed here when missing (CI runs as root on a fresh machine). A test is
skipped — saying why — only when they cannot be installed (not root, no package source)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def debian_tool(binary: str, package: str) -> str:
    """The path of ``binary``, installing Debian's ``package`` first when it is missing."""
    found = shutil.which(binary)
    if found:
        return found
    if os.geteuid() != 0:
        pytest.skip(f"{binary} is missing and installing Debian's {package} needs root: apt-get install -y {package}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=600", package]
    tail = ""
    for step in ([install], [["apt-get", "update"], install]):  # a fresh machine may need the package lists first
        for cmd in step:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
            tail = (done.stdout + done.stderr)[-800:]
        found = shutil.which(binary)
        if found:
            return found
    pytest.skip(f"cannot install Debian's {package} ({binary} still missing): {tail}")


@pytest.fixture(scope="session")
def chromium() -> str:
    return debian_tool("chromium", "chromium")


@pytest.fixture(scope="session")
def prometheus() -> str:
    return debian_tool("prometheus", "prometheus")
