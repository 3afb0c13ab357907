"""The send hook: every delta written to a socket is reported with its sequence and send time;
the market also runs on its own timer."""

from __future__ import annotations

import asyncio
import itertools

from arb.sim import presets
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from tests.sim.server.client import Client, run


def test_on_send_reports_each_delta_after_it_is_written():
    async def scenario():
        sent: list[tuple[str, str, int, int]] = []
        ticks = itertools.count(10**18, 1000)
        config = SimConfig(market=presets.market(("binance",), 2), seed=1, speed=None, options=ServerOptions(ping_interval_s=None))
        async with SimulatedVenues(config, clock=lambda: next(ticks), on_send=lambda *a: sent.append(a)) as sims:
            server = sims["binance"]
            sims.advance(500)
            assert sent == []  # nobody listens yet: nothing was written
            client = Client(server, server.symbols)
            await client.connect()
            for _ in range(5):
                sims.advance(200)
                await client.pump_until(client.all_match)
            await client.close()
            # Assert
            assert sent and {v for v, *_ in sent} == {"binance"}
            for symbol in server.symbols:
                seqs = [seq for _, s, seq, _ in sent if s == symbol]
                assert seqs == sorted(seqs) and seqs[-1] == server.seq(symbol) == client.book(symbol).seq
            stamps = [ts for *_, ts in sent]
            assert stamps == sorted(stamps) and stamps[0] > 10**18

    run(scenario())


def test_the_market_runs_in_real_time_at_the_configured_speed():
    async def scenario():
        config = SimConfig(market=presets.market(("okx",), 2), seed=2, speed=4.0, options=ServerOptions(ping_interval_s=None))
        async with SimulatedVenues(config) as sims:
            server = sims["okx"]
            client = Client(server, server.symbols)
            await client.connect()
            loop = asyncio.get_running_loop()
            model_start, wall_start = sims.driver.position_ns, loop.time()
            await asyncio.sleep(0.5)
            await client.pump_until(lambda: client.books.stats.applied > 20)
            achieved = (sims.driver.position_ns - model_start) / 1e9 / (loop.time() - wall_start)
            await client.close()
            assert 2.0 < achieved < 4.5  # about 4 model seconds per wall second

    run(scenario())
