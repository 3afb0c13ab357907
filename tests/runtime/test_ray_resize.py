"""A shard joins, then leaves, a running Ray topology on the simulators: only that shard's symbols
move — the other shards' actors keep running (not restarted), their other books stay live on their
connections (no resync, no reconnect) — and the feeds reach their scanners over the node-local link."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from arb.config import ArbConf, UniverseConf
from arb.runtime.sharding import assign
from arb.sim import presets
from arb.sim.config import DislocationConfig
from arb.sim.market import instruments
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues

pytestmark = pytest.mark.slow


def _feeds(topo) -> dict[tuple[int, tuple[str, ...]], object]:
    return {(shard, venues): feed for shard, unit in topo.shards.items() for venues, feed in unit.feeds.items()}


def _health(ray, feeds) -> dict:
    """(shard, venue) → that venue's health in its shard's feed actor."""
    out = {}
    for (shard, _), rows in zip(feeds, ray.get([f.health.remote() for f in feeds.values()], timeout=30)):
        out.update({(shard, row["venue"]): row for row in rows})
    return out


async def _until(check, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.5)


def test_a_shard_joining_and_leaving_moves_only_its_symbols(ray_shards, tmp_path):
    ray = ray_shards
    from arb.runtime.ray_topology import RayTopology

    market = replace(presets.market(("binance", "okx", "kraken"), 12), dislocations=DislocationConfig(0.0, 80.0, 2.0))
    symbols = list(market.symbol_names)
    conf = ArbConf(universe=UniverseConf(venues=list(market.venue_names), symbols=symbols))

    def all_live(topo) -> bool:
        health = topo.health()
        return sum(h.get("live", 0) for h in health) == len(symbols) * 3 and all(h.get("link") == "socket" for h in health)

    async def scenario():
        config = SimConfig(market=market, seed=5, speed=1.0, options=ServerOptions(ping_interval_s=None))
        async with SimulatedVenues(config) as sims:
            topo = RayTopology(conf, tmp_path / "journal.sqlite", instruments(market), sims.urls(), shards=2, actor_cpus=0.05)
            await asyncio.to_thread(topo.start)
            try:
                await _until(lambda: all_live(topo), 60)
                before = topo.assignment()
                assert before == assign(symbols, [0, 1])
                old_feeds = _feeds(topo)
                old_health = await asyncio.to_thread(_health, ray, old_feeds)
                connections = {v: sims[v].stats["connections"] for v in market.venue_names}

                # A node joins.
                grown = await asyncio.to_thread(topo.add_shard)
                assert grown.shard == 2 and topo.shard_ids == [0, 1, 2]
                after = topo.assignment()
                assert grown.moved and set(grown.moved) == set(after[2])
                assert all(frm in (0, 1) and to == 2 for frm, to in grown.moved.values())
                for shard in (0, 1):
                    assert set(after[shard]) == set(before[shard]) - set(grown.moved)
                    assert set(topo.shards[shard].symbols) == set(after[shard])
                # The old shards' feed actors are the same, still running, never reconnected or
                # resynced; each new feed opened one connection, nobody else did.
                now = _feeds(topo)
                assert all(now[key] is feed for key, feed in old_feeds.items())
                health = await asyncio.to_thread(_health, ray, old_feeds)
                for key, h in health.items():
                    shard = key[0]
                    assert h["symbols"] == len(after[shard]) and h["live"] == len(after[shard])
                    assert h["health"].resyncs == old_health[key]["health"].resyncs
                    assert [c.reconnects for c in h["health"].connections] == [c.reconnects for c in old_health[key]["health"].connections]
                assert {v: sims[v].stats["connections"] - connections[v] for v in market.venue_names} == {v: 1 for v in market.venue_names}
                assert old_health.keys() == {(shard, venue) for shard in (0, 1) for venue in market.venue_names}
                await _until(lambda: all_live(topo), 30)
                stats = {s["shard"]: s for s in await asyncio.to_thread(topo.scanner_stats)}
                assert {k: v["symbols"] for k, v in stats.items()} == {k: len(v) for k, v in after.items()}
                # Where the venue can unsubscribe, the old connections stream none of the moved symbols.
                for venue in ("okx", "kraken"):
                    streamed = {s.symbol for sess in sims[venue].sessions.values() if sess.conn_id <= connections[venue]
                                for s in sess.streams}
                    assert not streamed & set(grown.moved), venue

                # The node leaves again.
                new_feeds = [f for (shard, _), f in _feeds(topo).items() if shard == 2]
                shrunk = await asyncio.to_thread(topo.remove_shard, 2)
                assert shrunk.shard == 2 and topo.shard_ids == [0, 1] and 2 not in topo.shards
                assert {s: (frm, to) for s, (to, frm) in shrunk.moved.items()} == grown.moved
                assert topo.assignment() == before
                for feed in new_feeds:
                    with pytest.raises(ray.exceptions.RayActorError):
                        ray.get(feed.health.remote(), timeout=30)
                assert all(_feeds(topo)[key] is feed for key, feed in old_feeds.items())
                await _until(lambda: all_live(topo), 30)
                health = await asyncio.to_thread(_health, ray, old_feeds)
                for key, h in health.items():
                    assert h["health"].resyncs == old_health[key]["health"].resyncs
            finally:
                await asyncio.to_thread(topo.stop)

    asyncio.run(asyncio.wait_for(scenario(), 240))
