"""The type checker is clean: mypy, configured in pyproject's ``[tool.mypy]`` (which packages,
which strictness, which third-party modules lack type information), reports no error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_mypy_reports_no_error():
    # Configuration comes from pyproject.toml alone, so `mypy` at the root gives the same answer.
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
