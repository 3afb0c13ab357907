"""A precomputed market plays like the live one, and the live model takes over at its end."""

from __future__ import annotations

import json

from arb.sim import presets
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from tests.sim.server.client import Client, run, settle
from tests.sim.server.conftest import VENUES


def _config(prepare_s: float | None, venues: tuple[str, ...] = VENUES) -> SimConfig:
    return SimConfig(
        market=presets.market(venues, 2), seed=9, speed=None, prepare_s=prepare_s,
        options=ServerOptions(ping_interval_s=None),
    )


def test_every_venue_syncs_through_the_tape_and_past_its_end():
    async def scenario():
        async with SimulatedVenues(_config(1.0)) as sims:
            assert len(sims.driver.tape) > 100
            clients = [Client(sims[v], sims[v].symbols) for v in sims]
            for client in clients:
                await client.connect()
            for _ in range(15):  # 1.5 s: the tape (1 s), then the live model
                sims.advance(100)
                for client in clients:
                    await client.pump_until(client.all_match)
            assert sims.driver.tape == []
            for client in clients:
                assert client.books.stats.gaps == 0 and sum(client.books.errors.values()) == 0
                await client.close()

    run(scenario())


def test_the_tape_serves_the_same_market_as_live_stepping():
    async def books(prepare_s):
        async with SimulatedVenues(_config(prepare_s, ("okx", "kucoin"))) as sims:
            out = {}
            for venue in sims:
                client = Client(sims[venue], sims[venue].symbols)
                await client.connect()
                for _ in range(8):
                    sims.advance(100)
                    await client.pump_until(client.all_match)
                out[venue] = {s: (client.book(s).seq, client.book(s).bid_levels()) for s in client.symbols}
                await client.close()
            return out

    assert run(books(2.0)) == run(books(None))


def test_other_streams_are_framed_on_the_fly_and_faults_still_apply():
    async def scenario():
        async with SimulatedVenues(_config(1.0, ("kraken", "binance"))) as sims:
            kraken = sims["kraken"]
            native = kraken.native(kraken.symbols[0])
            client = Client(kraken, kraken.symbols[:1])
            await client.connect(sync=False)
            await client.ws.send(json.dumps({"method": "unsubscribe", "params": {"channel": "book", "symbol": [native], "depth": 100}}))
            await client.ws.send(json.dumps({"method": "subscribe", "params": {"channel": "book", "symbol": [native], "depth": 10}}))
            await settle(sims, client, lambda: client.book(kraken.symbols[0]).max_depth == 10 and client.all_match())
            binance = Client(sims["binance"], sims["binance"].symbols)
            await binance.connect()
            sims["binance"].inject("gap", sims["binance"].symbols[0])
            await settle(sims, binance, lambda: binance.books.stats.gaps >= 1 and binance.all_match())
            await client.pump_until(client.all_match)
            assert client.books.stats.checksum_ok > 3 and client.books.stats.checksum_failed == 0
            await client.close()
            await binance.close()

    run(scenario())
