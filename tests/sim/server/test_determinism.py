"""Fault schedules come from the seed alone; the same config serves the same bytes."""

from __future__ import annotations

import itertools

import pytest

from arb.sim import presets
from arb.sim.server import STREAM_FAULTS, FaultConfig, FaultPlan, ServerOptions, SimConfig, SimulatedVenues
from tests.sim.server.client import Client, run


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another():
    config = FaultConfig(seed=11, drop=0.01, gap=0.02, duplicate=0.03, malformed=0.02, reorder=0.01)
    first = FaultPlan(config, "okx").schedule(5000)
    assert first == FaultPlan(config, "okx").schedule(5000)
    assert first != FaultPlan(FaultConfig(**{**config.__dict__, "seed": 12}), "okx").schedule(5000)
    assert first != FaultPlan(config, "kraken").schedule(5000)  # each venue draws its own
    kinds = {kind for _, kind in first}
    assert kinds == {"drop", "gap", "duplicate", "malformed", "reorder"}
    # rates come out near what was asked
    assert 0.07 < len(first) / 5000 < 0.11


def test_forced_faults_do_not_shift_the_schedule():
    config = FaultConfig(seed=3, gap=0.05)
    plan = FaultPlan(config, "binance")
    plan.force("drop")
    drawn = [plan.next("BTC/USDT") for _ in range(2000)]
    reference = FaultPlan(config, "binance")
    expected = [reference.next("BTC/USDT") for _ in range(2000)]
    assert drawn[0] == "drop"
    assert drawn[1:] == expected[1:]


def test_after_and_limit_bound_the_faults():
    plan = FaultPlan(FaultConfig(seed=1, gap=0.5, after=100, limit=7), "gateio")
    schedule = plan.schedule(10_000)
    assert len(schedule) == 7 and schedule[0][0] > 100


def test_a_forced_fault_waits_for_its_symbol():
    plan = FaultPlan(FaultConfig(), "okx")
    plan.force("gap", "ETH/USDT")
    assert plan.next("BTC/USDT") is None
    assert plan.next("ETH/USDT") == "gap"


def test_bad_rates_are_reported_by_key():
    problems = FaultConfig(drop=1.5, gap=-0.1, stall_s=-1).validate("okx", True)
    assert any(p.startswith("faults.okx.drop") for p in problems)
    assert any(p.startswith("faults.okx.gap") for p in problems)
    assert any(p.startswith("faults.okx.stall_s") for p in problems)
    with pytest.raises(ValueError):
        FaultPlan(FaultConfig(), "okx").force("explode")
    assert "explode" not in STREAM_FAULTS


def _session_bytes(seed: int) -> tuple[list, dict]:
    """A fixed script against a simulator with a fake clock: what the client received."""

    async def scenario():
        ticks = itertools.count(1_700_000_000_000_000_000, 1_000_000)
        config = SimConfig(
            market=presets.market(("binance", "okx"), 2), seed=seed, speed=None,
            faults={"okx": FaultConfig(seed=seed, duplicate=0.1, malformed=0.1)},
            options=ServerOptions(ping_interval_s=None),
        )
        async with SimulatedVenues(config, clock=lambda: next(ticks)) as sims:
            server = sims["okx"]
            client = Client(server, server.symbols)
            frames: list = []
            original = client.recv

            async def recv(timeout: float = 5.0):
                frame = await original(timeout)
                frames.append(frame)
                return frame

            client.recv = recv  # type: ignore[method-assign]
            await client.connect()
            await client.pump_until(client.all_match)
            for _ in range(30):
                sims.advance(100)
                session = next(iter(server.sessions.values()))
                await client.pump_until(lambda session=session: client.frames >= session.frames_sent)
            await client.close()
            return frames, dict(server.faults.counts)

    return run(scenario())  # type: ignore[return-value]


def test_the_same_seed_serves_byte_identical_streams():
    frames, counts = _session_bytes(5)
    again, counts_again = _session_bytes(5)
    other, _ = _session_bytes(6)
    assert counts["duplicate"] > 0 and counts["malformed"] > 0
    assert frames == again and counts == counts_again
    assert frames != other


def test_config_problems_name_their_keys():
    config = SimConfig(speed=0, faults={"nowhere": FaultConfig()}, prepare_s=-1)
    problems = config.validate(("okx",))
    assert any(p.startswith("speed:") for p in problems)
    assert any(p.startswith("faults.nowhere:") for p in problems)
    assert any(p.startswith("prepare_s:") for p in problems)
    assert SimConfig(prepare_s=5, recordings=("x.jsonl",)).validate(("okx",)) == [
        "prepare_s: only for a market, not for replaying recordings"
    ]
