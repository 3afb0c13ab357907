#!/usr/bin/env python3
"""Create (or refresh) the project's virtual environment in ``.venv``: one idempotent step.

    python3 scripts/bootstrap.py          # runtime dependencies
    python3 scripts/bootstrap.py --test   # plus the test dependencies

Uses ``uv`` (installed into the venv from the registry) for speed, falling back to pip.
Does nothing when ``.venv`` already matches ``pyproject.toml``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"


def run(*cmd: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)


def main() -> int:
    if sys.version_info[:2] != (3, 11):
        print(f"arb needs Python 3.11 (this is {sys.version.split()[0]}): run this script with python3.11", file=sys.stderr)
        return 1
    extras = "[test]" if "--test" in sys.argv[1:] else ""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".arb-installed{extras and '-test'}"
    if PY.exists() and stamp.exists() and stamp.read_text() == digest:
        return 0
    if not PY.exists():
        print("creating .venv …", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    env = {**os.environ, "UV_COMPILE_BYTECODE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    target = f"{ROOT}{extras}"
    try:
        run(str(PY), "-m", "pip", "install", "--quiet", "uv", env=env)
        run(str(VENV / "bin" / "uv"), "pip", "install", "--quiet", "--python", str(PY), "-e", target, env=env)
    except subprocess.CalledProcessError:
        print("uv unavailable; installing with pip (slower) …", file=sys.stderr)
        run(str(PY), "-m", "pip", "install", "--quiet", "-e", target, env=env)
    stamp.write_text(digest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
