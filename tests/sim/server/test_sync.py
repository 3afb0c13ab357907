"""Every venue: a client subscribes with the venue module's frames, syncs, and its books
equal the simulator's true books as the market moves."""

from __future__ import annotations

import pytest

from tests.sim.server.client import Client, run
from tests.sim.server.conftest import VENUES, simulator

ORACLES = {"binance", "kucoin", "mexc"}
CHECKSUMS = {"kraken", "okx"}


@pytest.mark.parametrize("venue", VENUES)
def test_client_books_equal_the_true_books(venue):
    async def scenario():
        # Arrange
        async with simulator((venue,), n_symbols=3) as sims:
            server = sims[venue]
            client = Client(server, server.symbols)
            await client.connect()
            try:
                await client.pump_until(client.all_match)

                # Act: the market moves; the client follows
                for _ in range(8):
                    sims.advance(150)
                    await client.pump_until(client.all_match)
            finally:
                await client.close()

            # Assert
            books = client.books
            assert sum(books.errors.values()) == 0, books.errors
            assert books.stats.gaps == 0 and books.stats.resyncs == 0
            assert books.stats.applied > 20
            if venue in ORACLES:
                assert books.oracle_ok > 5 and books.oracle_failed == 0
            if venue in CHECKSUMS:
                assert books.stats.checksum_ok > 20 and books.stats.checksum_failed == 0
            assert server.deltas > 20

    run(scenario())


def test_seven_venues_side_by_side_share_one_market():
    async def scenario():
        async with simulator(n_symbols=2) as sims:
            clients = [Client(sims[v], sims[v].symbols) for v in sims]
            for client in clients:
                await client.connect()
            try:
                for _ in range(4):
                    sims.advance(200)
                    for client in clients:
                        await client.pump_until(client.all_match)
            finally:
                for client in clients:
                    await client.close()
            assert set(sims.urls()) == set(VENUES)
            assert all(c.books.stats.applied > 0 for c in clients)

    run(scenario())
