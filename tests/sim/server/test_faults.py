"""Every fault type, injected on purpose and seen from the client side."""

from __future__ import annotations

import asyncio

import pytest
from websockets.exceptions import ConnectionClosedError
from websockets.protocol import State

from arb.core.errors import ConfigError, DecodeError
from arb.sim.server import FaultConfig
from tests.sim.server.client import Client, run, settle
from tests.sim.server.conftest import VENUES, simulator

#: Venues whose books chain by sequence (a lost delta is a gap the client sees).
SEQUENCED = ("binance", "okx", "coinbase", "kucoin", "gateio", "mexc")


async def _synced(sims, venue):
    server = sims[venue]
    client = Client(server, server.symbols)
    await client.connect()
    await settle(sims, client, client.all_match)
    return server, client


def test_drop_cuts_the_connection_without_a_close_frame_and_a_reconnect_resyncs():
    async def scenario():
        async with simulator(("okx",), n_symbols=2) as sims:
            server, client = await _synced(sims, "okx")
            # Act
            server.inject("drop")
            sims.advance(200)
            with pytest.raises(ConnectionClosedError) as closed:
                await client.pump_until(lambda: False, timeout=2)
            # Assert: abrupt (no close frame), counted, and a reconnect syncs again
            assert closed.value.rcvd is None
            assert server.faults.counts["drop"] == 1
            await client.connect()
            await settle(sims, client, client.all_match)
            assert server.stats["connections"] == 2
            await client.close()

    run(scenario())


def test_stall_holds_everything_back_with_the_connection_open():
    async def scenario():
        async with simulator(("binance",), n_symbols=2, faults={"binance": FaultConfig(stall_s=0.3)}) as sims:
            server, client = await _synced(sims, "binance")
            loop = asyncio.get_running_loop()
            # Act
            server.inject("stall")
            sims.advance(300)
            start = loop.time()
            # Assert: silence, the connection still open, then everything arrives
            with pytest.raises(TimeoutError):
                await client.recv(timeout=0.15)
            assert client.ws.state is State.OPEN
            await client.pump_until(client.all_match, timeout=3)
            assert loop.time() - start >= 0.25
            assert server.faults.counts["stall"] == 1 and client.books.stats.gaps == 0
            await client.close()

    run(scenario())


@pytest.mark.parametrize("venue", SEQUENCED)
def test_a_skipped_delta_is_a_gap_and_the_book_resyncs(venue):
    async def scenario():
        async with simulator((venue,), n_symbols=2) as sims:
            server, client = await _synced(sims, venue)
            symbol = server.symbols[0]
            # Act
            server.inject("gap", symbol)
            await settle(sims, client, lambda: client.books.stats.gaps >= 1 and client.all_match())
            # Assert
            assert server.faults.counts["gap"] == 1
            assert client.books.stats.resyncs >= 1 and client.resyncs[symbol] >= 1
            assert sum(client.books.errors.values()) == 0
            await client.close()

    run(scenario())


@pytest.mark.parametrize("venue", ["kraken", "okx"])
def test_a_corrupted_checksum_fails_and_the_book_resyncs(venue):
    async def scenario():
        async with simulator((venue,), n_symbols=2) as sims:
            server, client = await _synced(sims, venue)
            # Act
            server.inject("checksum", server.symbols[1])
            await settle(sims, client, lambda: client.books.stats.checksum_failed >= 1 and client.all_match())
            # Assert
            assert server.faults.counts["checksum"] == 1
            assert client.books.stats.checksum_failed == 1 and client.books.stats.resyncs == 1
            await client.close()

    run(scenario())


def test_checksum_faults_are_refused_for_venues_without_checksums():
    async def scenario():
        async with simulator(("binance",), faults={"binance": FaultConfig(checksum=0.1)}):
            pass

    with pytest.raises(ConfigError, match=r"faults\.binance\.checksum"):
        run(scenario())


@pytest.mark.parametrize("venue", VENUES)
def test_malformed_frames_are_decode_errors_and_the_books_carry_on(venue):
    async def scenario():
        async with simulator((venue,), n_symbols=2) as sims:
            server, client = await _synced(sims, venue)
            # Act: one truncated copy, one piece of garbage (whichever the seed picks first)
            server.inject("malformed", count=4)
            await settle(sims, client, lambda: server.faults.counts["malformed"] == 4 and client.all_match())
            # Assert
            assert sum(client.books.errors.values()) == 4, client.books.errors
            assert client.books.stats.resyncs == 0
            assert server.faults.counts["malformed-truncated"] + server.faults.counts["malformed-garbage"] == 4
            await client.close()

    run(scenario())


def test_mexc_malformed_frames_include_truncated_protobuf():
    async def scenario():
        async with simulator(("mexc",), n_symbols=2, seed=3) as sims:
            server, client = await _synced(sims, "mexc")
            seen: list[bytes | str] = []
            original = client.recv

            async def recording_recv(timeout: float = 5.0):
                frame = await original(timeout)
                seen.append(frame)
                return frame

            client.recv = recording_recv  # type: ignore[method-assign]
            server.inject("malformed", count=12)
            await settle(sims, client, lambda: server.faults.counts["malformed"] == 12 and client.all_match())
            assert server.faults.counts["malformed-truncated"] >= 1
            assert client.books.errors["protobuf"] + client.books.errors["shape"] + client.books.errors["schema"] >= 1
            assert any(type(f) is bytes for f in seen)
            await client.close()

    run(scenario())


@pytest.mark.parametrize("venue", VENUES)
def test_duplicated_frames_change_nothing(venue):
    async def scenario():
        async with simulator((venue,), n_symbols=2) as sims:
            server, client = await _synced(sims, venue)
            frames = client.frames
            # Act
            server.inject("duplicate", count=3)
            await settle(sims, client, lambda: server.faults.counts["duplicate"] == 3 and client.all_match())
            # Assert
            assert client.books.stats.resyncs == 0 and sum(client.books.errors.values()) == 0
            assert client.frames - frames >= 6
            if venue in ("binance", "okx", "kucoin", "gateio", "mexc"):
                assert client.books.stats.dropped >= 3
            await client.close()

    run(scenario())


@pytest.mark.parametrize("venue", ["gateio", "coinbase"])
def test_a_reordered_frame_shows_as_a_gap_and_the_book_recovers(venue):
    async def scenario():
        async with simulator((venue,), n_symbols=1) as sims:
            server, client = await _synced(sims, venue)
            # Act: several changes in one step, so a frame follows the held one
            server.inject("reorder")
            sims.advance(400)
            await settle(sims, client, lambda: client.books.stats.gaps >= 1 and client.all_match())
            # Assert
            assert server.faults.counts["reorder"] == 1
            assert client.books.stats.resyncs >= 1
            await client.close()

    run(scenario())


def test_slow_rest_answers_late():
    async def scenario():
        async with simulator(("binance",), n_symbols=1, faults={"binance": FaultConfig(rest_delay_s=0.3)}) as sims:
            server, client = await _synced(sims, "binance")
            loop = asyncio.get_running_loop()
            server.inject_rest("slow")
            start = loop.time()
            status = await client.snapshot(server.symbols[0])
            assert status == 200 and loop.time() - start >= 0.29
            assert server.faults.counts["rest-slow"] == 1
            await client.close()

    run(scenario())


@pytest.mark.parametrize("venue", ["binance", "gateio", "kucoin", "mexc"])
def test_429_carries_retry_after_and_the_next_request_succeeds(venue):
    async def scenario():
        async with simulator((venue,), n_symbols=1, faults={venue: FaultConfig(retry_after_s=3)}) as sims:
            server, client = await _synced(sims, venue)
            symbol = server.symbols[0]
            server.inject_rest("429")
            assert await client.snapshot(symbol) == 429
            assert client.rest_headers[-1]["Retry-After"] == "3"
            assert await client.snapshot(symbol) == 200
            assert server.faults.counts["rest-429"] == 1
            await client.close()

    run(scenario())


def test_429_on_the_token_endpoint_blocks_connecting():
    async def scenario():
        async with simulator(("kucoin",), n_symbols=1) as sims:
            server = sims["kucoin"]
            server.inject_rest("429")
            client = Client(server, server.symbols)
            with pytest.raises(DecodeError, match="venue-error"):
                await client.connect()
            await client.close()
            assert server.faults.counts["rest-429"] == 1

    run(scenario())


def test_drop_and_stall_every_connection_on_demand():
    async def scenario():
        async with simulator(("kraken",), n_symbols=1) as sims:
            server, client = await _synced(sims, "kraken")
            assert server.stall_connections(0.1) == 1
            sims.advance(200)
            await client.pump_until(client.all_match, timeout=3)
            assert server.drop_connections() == 1
            with pytest.raises(ConnectionClosedError):
                await client.pump_until(lambda: False, timeout=2)
            await client.close()

    run(scenario())
