"""Replay mode: a client of the simulator rebuilds from a shipped recording the same books
``arb verify`` rebuilds from the file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from arb.record.reader import RecordingReader
from arb.replay.verify import VerifyResult, verify
from arb.sim.server import FaultConfig, ServerOptions, SimConfig, SimulatedVenues
from tests.sim.server.client import Client, run

RECORDINGS = Path(__file__).parents[3] / "samples" / "recordings"
FILES = [
    "binance-2021-10-12-depth100ms-bookticker.jsonl.gz",
    "gateio-2021-04-22-order-book-update.jsonl.gz",
    "kucoin-2021-04-25-level2-ticker.jsonl.gz",
    "okx-2022-05-13-books.jsonl.gz",
    "kraken-2021-04-17-book1000-v2.jsonl.gz",
    "kraken-2021-04-17-book1000-v1.jsonl.gz",
]


def _books(client: Client) -> dict:
    """The client's books in ``arb verify``'s summary form."""
    result = VerifyResult()
    result.venues[client.spec.name] = client.books
    return result.summary()["books"]


async def _replay_once(path: Path, faults: FaultConfig | None = None, speed: float | None = None) -> tuple[Client, SimulatedVenues]:
    """Serve ``path`` to one client (REST snapshots first, as a client does) until every
    frame is in; returns the client and the (stopped) simulator."""
    with RecordingReader(path) as reader:
        venue = reader.header.venue
    config = SimConfig(
        recordings=(path,), replay_speed=speed, faults={venue: faults} if faults else {},
        options=ServerOptions(ping_interval_s=None),
    )
    async with SimulatedVenues(config) as sims:
        server = sims[venue]
        source = sims.replays[venue]
        client = Client(server, source.symbols, every_symbol=True, full_snapshots=True)
        await client.connect(sync=False)
        if client.spec.snapshot_source == "rest":
            for symbol in source.symbols:
                await client.snapshot(symbol)
        await client.pump_until(lambda: source.done.is_set() and client.frames >= server.frames_sent, timeout=20)
        await client.close()
        return client, sims


@pytest.mark.parametrize("name", FILES)
def test_a_replayed_recording_rebuilds_the_books_verify_rebuilds(name):
    # Arrange
    path = RECORDINGS / name
    expected = verify([path]).summary()["books"]

    # Act
    client, sims = run(_replay_once(path), timeout=30)

    # Assert
    assert expected and _books(client) == expected
    assert sum(client.books.errors.values()) == 0
    source = next(iter(sims.replays.values()))
    assert client.frames == source.served == sum(1 for item in source.items if item[1] == "ws")


def test_recorded_spacing_is_kept_when_asked():
    async def scenario():
        path = RECORDINGS / "okx-2022-05-13-books.jsonl.gz"
        loop = asyncio.get_running_loop()
        start = loop.time()
        client, sims = await _replay_once(path, speed=20.0)
        source = sims.replays["okx"]
        recorded_s = (source.items[-1][0] - source.items[0][0]) / 1e9
        return loop.time() - start, recorded_s, client

    elapsed, recorded_s, client = run(scenario(), timeout=30)
    # about 12 s recorded, served 20x faster
    assert recorded_s / 20 * 0.9 <= elapsed < recorded_s / 20 + 3
    assert client.books.stats.checksum_failed == 0


def test_faults_apply_to_replayed_frames():
    path = RECORDINGS / "kraken-2021-04-17-book1000-v2.jsonl.gz"
    client, sims = run(_replay_once(path, FaultConfig(seed=5, malformed=0.01, duplicate=0.01)), timeout=30)
    counts = sims["kraken"].faults.counts
    assert counts["malformed"] > 5 and counts["duplicate"] > 5
    assert sum(client.books.errors.values()) == counts["malformed"]
    assert _books(client) == verify([path]).summary()["books"]
