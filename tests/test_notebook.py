"""The research notebook runs top to bottom (so it cannot rot)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "backtest_research.ipynb"


@pytest.mark.slow
def test_research_notebook_executes(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the plots rendered"
    last = nb.cells[-1].outputs[0]["data"]["text/plain"]
    assert "metrics.net_pnl_usd" in last and "5.0" in last and "50.0" in last
