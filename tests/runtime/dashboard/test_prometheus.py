"""The Grafana dashboard (``deploy/grafana/arb.json``) against a real Prometheus (Debian's)
scraping a running ``arb live`` through its authenticated ``/metrics``: every query the
dashboard holds returns data. The kill switch is pressed with the command line the README
documents, so the refusal and kill-switch panels have something to show."""

from __future__ import annotations

import json
import math
import re
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from arb.runtime.ray_metrics import SPECS, exported_name
from tests.runtime.dashboard.engine import ROOT, arb_live, wait_for

GRAFANA = ROOT / "deploy" / "grafana" / "arb.json"
_SUFFIXES = ("_total", "_bucket", "_count", "_sum")


def queries() -> list[str]:
    """Every PromQL expression of the Grafana dashboard, in panel order."""
    dashboard = json.loads(GRAFANA.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_the_grafana_dashboard_queries_only_metrics_arb_exports():
    names = {exported_name(spec) for spec in SPECS}
    used = set()
    for expr in queries():
        for token in re.findall(r"\bray_arb_\w+", expr):
            base = next((token[: -len(s)] for s in _SUFFIXES if token.endswith(s) and token[: -len(s)] in names), token)
            assert base in names, f"{expr}: {token} is not an arb metric"
            used.add(base)
    assert len(queries()) >= 15 and len(used) >= 15


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _query(base: str, expr: str) -> dict:
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_every_grafana_query_returns_data_from_a_prometheus_scraping_arb_live(tmp_path, prometheus):
    overrides = ("live.sim.dislocations_per_min=40", "universe.symbols=[BTC/USDT,ETH/USDT]")
    with arb_live(tmp_path, *overrides) as engine:
        port = _free_port()
        target = engine.url.removeprefix("http://")
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: arb\n"
            "    metrics_path: /metrics\n"
            f"    authorization: {{type: Bearer, credentials_file: {engine.token_file}}}\n"
            f"    static_configs: [{{targets: ['{target}']}}]\n"
        )
        log = open(tmp_path / "prometheus.log", "w")  # noqa: SIM115 - the server writes to it; closed in finally
        server = subprocess.Popen(
            [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            def scraped() -> bool:
                try:
                    with urllib.request.urlopen(f"{base}/api/v1/targets", timeout=5) as response:
                        targets = json.loads(response.read())["data"]["activeTargets"]
                except OSError:
                    return False
                return bool(targets) and targets[0]["health"] == "up"

            wait_for("Prometheus to scrape arb live (with the token)", scraped, 60)
            trades = engine.state()["trades_total"]
            wait_for("trades while Prometheus watches", lambda: engine.state()["trades_total"] > trades + 2, 90)
            # The README's kill switch, from the command line.
            curl = subprocess.run(
                ["curl", "-sS", "-X", "POST", "-H", f"Authorization: Bearer {Path(engine.token_file).read_text().strip()}",
                 "-d", "reason=prometheus test", f"{engine.url}/api/kill"],
                capture_output=True, text=True, timeout=30,
            )
            assert curl.returncode == 0 and json.loads(curl.stdout)["ok"], curl.stdout + curl.stderr
            wait_for("a refusal after the kill", lambda: engine.state()["rejections"].get("halted", 0) > 0, 60)
            time.sleep(4)  # a few scrapes of the halted engine

            empty = {}
            for expr in queries():
                answer = _query(base, expr)
                assert answer["status"] == "success", (expr, answer)
                values = [float(r["value"][1]) for r in answer["data"]["result"]]
                if not any(math.isfinite(v) for v in values):
                    empty[expr] = answer["data"]["result"]
            assert not empty, f"queries without data: {json.dumps(empty, indent=1)}"
            halted = _query(base, "sum by (state) (ray_arb_trading_state)")["data"]["result"]
            assert {r["metric"]["state"]: r["value"][1] for r in halted}["halted"] == "1"
            assert _query(base, "max(ray_arb_kill_switch)")["data"]["result"][0]["value"][1] == "1"
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
