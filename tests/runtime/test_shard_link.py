"""The node-local link from a shard's feeds to its scanner: exact views through a Unix socket, in
order, batches that arrive together handed over together, a broken peer noticed on both sides."""

from __future__ import annotations

import asyncio
import os
import stat

from arb.book.view import BookView
from arb.runtime.shard_link import ViewSender, ViewServer, decode_views, encode_views


def _view(i: int, venue: str = "okx") -> BookView:
    # Fixed-point prices far past 64 bits, as arb's books hold them.
    return BookView(venue, f"S{i}/USDT", ((65_000 * 10**18 + i, 3 * 10**17),), ((65_001 * 10**18, 10**15 + i),), i, i + 1, None, "live")


def test_views_cross_exactly():
    views = [_view(i) for i in range(5)] + [BookView("kraken", "BTC/USD", (), (), 0, 0, 7, "syncing")]
    assert decode_views(encode_views(views)) == views


def test_batches_arrive_in_order_and_a_gone_scanner_is_noticed(tmp_path):
    async def scenario():
        got: list[list[BookView]] = []
        server = ViewServer(str(tmp_path / "s.sock"), lambda views: _append(got, views))
        await server.start()
        assert stat.S_IMODE(os.stat(server.path).st_mode) == 0o600
        sender = ViewSender()
        assert not await sender.connect(str(tmp_path / "nobody.sock"))
        assert await sender.connect(server.path)
        for i in range(50):
            assert await sender.send([_view(i), _view(i, "binance")])
        for _ in range(100):
            if sum(len(batch) for batch in got) == 100:
                break
            await asyncio.sleep(0.01)
        flat = [v for batch in got for v in batch]
        assert flat == [v for i in range(50) for v in (_view(i), _view(i, "binance"))]
        assert server.frames == 50 and server.connections == 1
        await server.close()
        for _ in range(100):
            if not sender.connected:
                break
            await asyncio.sleep(0.01)
        assert not sender.connected and not await sender.send([_view(1)])
    asyncio.run(scenario())
    assert not (tmp_path / "s.sock").exists()


def test_an_unreadable_frame_closes_only_that_connection(tmp_path):
    async def scenario():
        got: list[list[BookView]] = []
        server = ViewServer(str(tmp_path / "s.sock"), lambda views: _append(got, views))
        await server.start()
        _, writer = await asyncio.open_unix_connection(server.path)
        writer.write(b"\x00\x00\x00\x03abc")
        await writer.drain()
        good = ViewSender()
        assert await good.connect(server.path)
        assert await good.send([_view(1)])
        for _ in range(100):
            if got and server.errors:
                break
            await asyncio.sleep(0.01)
        assert server.errors == 1 and got == [[_view(1)]]
        good.close()
        writer.close()
        await server.close()

    asyncio.run(scenario())


async def _append(got: list, views: list) -> None:
    got.append(views)
