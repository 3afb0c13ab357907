"""Operator controls through the Ray actors: the executor journals them, a new executor on the
same journal (a restart) is still killed with the same settings, and a scanner that starts
after a change (a restarted one) takes the settings from the executor."""

from __future__ import annotations

import time

import pytest

from arb.config import ArbConf, UniverseConf
from arb.core.instruments import Instruments
from arb.decision.controls import change

pytestmark = pytest.mark.slow

VENUES = ["binance", "okx", "kraken"]


def test_controls_survive_an_executor_restart_and_reach_a_restarted_scanner(ray_local, tmp_path):
    ray = ray_local
    from arb.runtime.ray_live import ExecutorActor, ScannerActor

    conf = ArbConf(universe=UniverseConf(venues=VENUES, symbols=["BTC/USDT"]))
    journal = str(tmp_path / "journal.sqlite")
    executor = ExecutorActor.options(num_cpus=0).remote(conf, journal, Instruments())
    configured = ray.get(executor.settings.remote())
    settings = change(configured, VENUES, min_profit_quote="4", venue="kraken", enabled=False)
    ray.get(executor.apply_settings.remote(settings, "test"))
    assert ray.get(executor.control.remote("kill", "test kill")).approved
    assert not ray.get(executor.control.remote("resume", "too soon")).approved
    ray.kill(executor)

    again = ExecutorActor.options(name="arb-executor-controls-test", num_cpus=0).remote(conf, journal, Instruments())
    state = ray.get(again.dashboard.remote())
    assert state["risk"]["killed"] and state["risk"]["reason"] == "kill switch: test kill"
    assert state["settings"] == {"min_profit_quote": "4", "max_notional_quote": "1000", "disabled_venues": ["kraken"]}
    assert ray.get(again.settings.remote()) == settings

    scanner = ScannerActor.options(num_cpus=0).remote(conf, 0, Instruments(), "arb-executor-controls-test")
    assert ray.get(scanner.summary.remote())["settings"] == configured  # built from the config
    ray.get(scanner.ensure_started.remote())
    deadline = time.monotonic() + 20
    while ray.get(scanner.summary.remote())["settings"] != settings:
        assert time.monotonic() < deadline, "the scanner never took the executor's settings"
        time.sleep(0.2)
    for actor in (scanner, again):
        ray.kill(actor)
