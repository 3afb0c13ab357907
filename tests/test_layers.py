"""The layer contracts (pyproject's [tool.importlinter]) hold: imports point down only, the
decision core does no I/O, only runtime/workflows import Ray, venues never import each other.
The lint (pyproject's [tool.ruff.lint]) is clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    linter = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "broken" not in proc.stdout.split("Contracts:")[-1].replace("0 broken", "")


def test_no_undefined_names_or_unused_imports():
    """pyproject's [tool.ruff.lint] selection: pyflakes (undefined names, unused imports) and
    the families that catch real bugs (bugbear, asyncio, blind excepts, pylint errors …)."""
    ruff = Path(sys.executable).parent / "ruff"
    proc = subprocess.run(
        [str(ruff), "check", "--no-cache", "--output-format", "concise", "arb", "workflows", "bench", "hydra_plugins", "tests"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_the_lint_selection_keeps_pyflakes_and_the_bug_families():
    """The selection lives in pyproject; this keeps it from silently shrinking to nothing."""
    import tomllib

    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert {"F", "B", "ASYNC", "BLE", "PLE", "RUF"} <= set(lint["select"])
