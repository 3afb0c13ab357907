"""``arb live`` on a Ray cluster (``ray.cluster_utils.Cluster``: a head and two workers on
this machine) against the loopback simulators: actors are killed and a node is removed
mid-run; the topology must be trading again within 30 s with its journal intact.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace

import pytest

from arb.config import ArbConf, UniverseConf
from arb.exec.journal_sqlite import SqliteJournal
from arb.exec.orders import Intent, Order
from arb.runtime.ray_live import live_books
from arb.sim import presets
from arb.sim.config import DislocationConfig
from arb.sim.market import instruments
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues

pytestmark = pytest.mark.slow

RECOVERY_S = 30.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """1 head + 2 workers. Shards may go to any node with an ``arb_shard`` slot; the
    executor only to the head (``arb_head``)."""
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "RAY_TMPDIR", "MLFLOW_TRACKING_URI")}
    os.environ["RAY_AUTH_MODE"] = "disabled"
    os.environ["RAY_TMPDIR"] = str(tmp_path_factory.mktemp("ray"))
    import ray
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    c = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "resources": {"arb_head": 1, "arb_node": 1, "arb_shard": 1}, "include_dashboard": False},
    )
    workers = [c.add_node(num_cpus=1, resources={"arb_node": 1, "arb_shard": 1}) for _ in range(2)]
    ray.init(address=c.address, namespace="arb-cluster-test")
    try:
        yield c, workers
    finally:
        ray.shutdown()
        c.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_scenario(cluster, tmp_path, disrupt):
    """Start sims + topology (2 shards), trade a while, ``disrupt`` it, then check that it
    recovers. Returns (before, after) executor states and the journal path."""
    from arb.runtime.ray_topology import RayTopology

    market = replace(presets.three_venues(4), dislocations=DislocationConfig(40, 80, 2))
    conf = ArbConf(universe=UniverseConf(venues=list(market.venue_names), symbols=list(market.symbol_names)))
    conf.live.feed.backoff_base_s = 0.1
    journal = tmp_path / "journal.sqlite"

    async def scenario():
        config = SimConfig(market=market, seed=9, speed=2.0, options=ServerOptions(ping_interval_s=None))
        async with SimulatedVenues(config) as sims:
            topo = RayTopology(conf, journal, instruments(market), sims.urls(), shards=2, actor_cpus=0.05)
            await asyncio.to_thread(topo.start)
            try:
                await _until(topo, lambda s, h: s["trades"] >= 1 and live_books(h) == 12, 60)
                before = await asyncio.to_thread(topo.state)
                await asyncio.to_thread(disrupt, topo)
                started = time.monotonic()
                after = await _until(topo, lambda s, h: live_books(h) == 12 and s["trades"] > before["trades"], RECOVERY_S)
                return before, after, time.monotonic() - started, topo
            finally:
                await asyncio.to_thread(topo.stop)

    before, after, took, topo = asyncio.run(asyncio.wait_for(scenario(), 300))
    assert took <= RECOVERY_S
    return before, after, journal


async def _until(topo, done, timeout_s):
    deadline = time.monotonic() + timeout_s
    while True:
        await asyncio.to_thread(topo.ensure_started, 2.0)  # the supervisor's loop
        state = await asyncio.to_thread(_state_or_none, topo)
        health = await asyncio.to_thread(topo.health)
        if state is not None and done(state, health):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"not recovered in {timeout_s}s: state={state and state['trades']} live={live_books(health)}")
        await asyncio.sleep(0.5)


def _state_or_none(topo):
    import ray

    try:
        return topo.state()
    except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError, ray.exceptions.GetTimeoutError):
        return None


def _assert_journal_intact(journal, before, after):
    with SqliteJournal(journal, readonly=True) as j:
        orders = [r.id for r in j if isinstance(r, Order)]
        intents = [r.id for r in j if isinstance(r, Intent)]
        assert len(orders) == len(set(orders)) and len(intents) == len(set(intents))  # none duplicated
        assert j.torn == 0
    assert after["trade_ids"][: len(before["trade_ids"])] == before["trade_ids"]  # none lost


def test_a_killed_feed_actor_restarts_and_resyncs(cluster, tmp_path):
    import ray

    def kill_a_feed(topo):
        ray.kill(topo.feeds[0], no_restart=False)

    before, after, journal = run_scenario(cluster, tmp_path, kill_a_feed)
    _assert_journal_intact(journal, before, after)


def test_a_killed_scanner_restarts_and_is_fed_fresh_views(cluster, tmp_path):
    import ray

    def kill_scanners(topo):
        for scanner in topo.scanners:
            ray.kill(scanner, no_restart=False)

    before, after, journal = run_scenario(cluster, tmp_path, kill_scanners)
    _assert_journal_intact(journal, before, after)


def test_a_killed_executor_recovers_balances_legs_and_pnl_from_its_journal(cluster, tmp_path):
    import ray

    def kill_executor(topo):
        ray.kill(topo.executor, no_restart=False)

    before, after, journal = run_scenario(cluster, tmp_path, kill_executor)
    assert after["restored_records"] >= before["journal_records"]
    assert set(before["realized"]) <= set(after["realized"])
    _assert_journal_intact(journal, before, after)


def test_losing_a_worker_node_replaces_its_shards(cluster, tmp_path):
    c, workers = cluster

    removed = []

    def remove_a_worker(topo):
        # A worker node that hosts a shard (its feeds and scanner) goes away.
        hosts = {stats["node"] for stats in topo.scanner_stats()}
        victim = next(w for w in workers if w.node_id in hosts)
        c.remove_node(victim, allow_graceful=True)
        workers.remove(victim)
        removed.append(victim.node_id)

    before, after, journal = run_scenario(cluster, tmp_path, remove_a_worker)
    assert removed, "a shard's node was removed"
    _assert_journal_intact(journal, before, after)
