"""One decision core, many hosts: the same sequence of book views fed to the core in one
process (:class:`~arb.decision.core.DecisionCore`, as backtests and the local runtime host
it) and to the core hosted on Ray (a :class:`~arb.runtime.ray_live.ScannerActor` hosting the
decider, the :class:`~arb.runtime.ray_live.ExecutorActor` hosting the desk) yields the same
opportunities and the same orders.

Balances are large, so that trade sizes are capped by depth and notional limits, never by a
balance: a Ray scanner sizes with the executor's last balance snapshot by design (the
executor re-checks against fresh state), so only balance-capped sizes could legitimately
differ between the hosts.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from arb.book.view import view_of
from arb.config import ArbConf, UniverseConf
from arb.exec.orders import Order
from arb.record.reader import RecordingReader
from arb.runtime.components import build
from arb.sim.config import DislocationConfig
from arb.sim.market import instruments
from arb.sim.presets import three_venues
from arb.sim.recording import write_recording
from arb.venues.books import VenueBooks
from arb.venues.registry import get as venue_spec

pytestmark = pytest.mark.slow


def _conf(market) -> ArbConf:
    conf = ArbConf(universe=UniverseConf(venues=list(market.venue_names), symbols=list(market.symbol_names)))
    conf.executor.balances = {"USDT": 1e9}
    conf.executor.base_value_quote = 1e6
    conf.executor.latency_ms = 30.0
    return conf


def _batches(path, conf):
    """Views as feeds would publish them: per record, the views of the books it changed."""
    books = {v: VenueBooks(venue_spec(v), conf.universe.symbols) for v in conf.universe.venues}
    out = []
    for record in RecordingReader(path):
        vb = books.get(record.venue)
        if vb is None:
            continue
        changed = vb.on_record(record).changed
        if changed:
            out.append((record.ts, [view_of(vb.book(s), conf.strategy.depth_levels) for s in sorted(changed)]))
    return out


def test_the_ray_hosted_core_and_the_local_one_decide_and_order_the_same(ray_local, tmp_path):
    from arb.runtime.ray_live import ExecutorActor, ScannerActor

    market = three_venues(2)
    market = replace(market, dislocations=DislocationConfig(20.0, 80.0, 2.0))
    path = tmp_path / "market.jsonl.gz"
    write_recording(path, market, 3, duration_s=40)
    conf, inst = _conf(market), instruments(market)
    batches = _batches(path, conf)

    local = build(conf, inst)
    local_found = []
    for ts, views in batches:
        local.core.advance(ts)
        local_found += [o.id for o in local.core.on_views(views, ts)]
    local_orders = [r for r in local.journal if isinstance(r, Order)]

    executor = ExecutorActor.options(name="agree-executor", num_cpus=0.1).remote(conf, str(tmp_path / "journal.sqlite"), inst, 1)
    scanner = ScannerActor.options(num_cpus=0.1).remote(conf, 0, inst, "agree-executor")
    ray_found = []
    for ts, views in batches:
        ray_local.get(executor.advance.remote(ts))
        ray_found += [o.id for o in ray_local.get(scanner.on_views.remote(views, ts))]
    ray_orders = ray_local.get(executor.orders.remote())

    assert len(local_found) >= 5 and len(local_orders) >= 4, "the dislocations should make trades"
    assert ray_found == local_found
    assert ray_orders == local_orders
