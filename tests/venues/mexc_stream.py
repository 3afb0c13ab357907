"""A realistic synthetic MEXC session, built with the wire encoder (there is no real capture).

One connection on BTC/USDT: subscribe + acks, aggregated diff pushes (each covering several
consecutive versions) that start before the REST snapshot, a snapshot whose version falls
inside a push's range, PING/PONG, book-ticker oracles (some before, some after the push
they match), and one lost push → a gap → a second REST snapshot that resyncs the book.

Expected counts with the defaults (120 pushes, snapshot inside push 2, push 60 lost,
resync snapshot inside push 64):

- pushes 0, 1, 2 are buffered; the snapshot (arriving after push 2) drops 0 and 1 and
  applies 2 (it straddles);
- pushes 3..59 apply; push 61 finds a gap; 62..65 are buffered; the resync snapshot
  (arriving after push 65) drops 62 and 63 and applies 64 and 65; pushes 66..119 apply;
- dropped 4, applied 1 + 57 + 2 + 54 = 114, buffered 7, gaps 1, resyncs 1;
- a book ticker follows push i when i % 10 == 9 (before it when i % 20 == 19): 12 oracles,
  all checked against a live book.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from arb.core.symbols import SymbolMap
from arb.record.writer import RecordingWriter
from arb.venues.mexc import Encoder
from arb.venues.mexc import market_data as mexc

SYMBOL = "BTC/USDT"
T0_NS = 1_736_411_507_000_000_000
PUSHES = 120
LOST = 60
SNAPSHOT_IN = 2
RESYNC_IN = 64


@dataclass
class Stream:
    """Records as ``(ts, kind, data, url)`` tuples plus the truth at the end."""

    records: list[tuple[int, str, str | bytes | None, str | None]] = field(default_factory=list)
    bids: dict[str, str] = field(default_factory=dict)  # price text → qty text
    asks: dict[str, str] = field(default_factory=dict)
    last_version: int = 0

    def truth(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        bids = sorted(self.bids.items(), key=lambda lv: -float(lv[0]))
        asks = sorted(self.asks.items(), key=lambda lv: float(lv[0]))
        return bids, asks

    def write(self, path, venue: str = "mexc") -> None:
        with RecordingWriter(path, venue, [SYMBOL], source="synthetic: arb.venues.mexc encoder (tests)") as writer:
            for ts, kind, data, url in self.records:
                writer.write(ts, venue, kind, data, conn=None if kind == "rest" else 1, url=url)


def _price(side: str, rng: random.Random) -> str:
    # Bids below 60000, asks above: the true book is never crossed.
    step = rng.randrange(200)
    return f"{59999.5 - step * 0.5:.2f}" if side == "bid" else f"{60000.5 + step * 0.5:.2f}"


def build(seed: int = 7) -> Stream:
    print(f"mexc synthetic stream seed={seed}")
    rng = random.Random(seed)
    symbols = SymbolMap("mexc", mexc.parse_symbol, mexc.format_symbol, [SYMBOL])
    enc = Encoder(symbols)
    s = Stream()
    books = {"bid": s.bids, "ask": s.asks}
    for side in ("bid", "ask"):
        for _ in range(40):
            books[side][_price(side, rng)] = f"{rng.uniform(0.001, 3):.8f}"
    version = 40_000_000_000
    ts = T0_NS
    native = symbols.venue_symbol(SYMBOL)
    s.records.append((ts, "connect", None, mexc.WS_URL))
    [sub] = mexc.subscribe_frames([native], None, 0)
    s.records.append((ts + 1_000, "ws_out", sub, None))
    for channel in (mexc.DEPTH_CHANNEL, mexc.BOOK_TICKER_CHANNEL):
        s.records.append((ts + 30_000_000, "ws", enc.reply(channel.format(native)), None))
    pending_rest: dict[int, tuple[int, str, str]] = {}  # push index → snapshot record
    for i in range(PUSHES):
        ts += 100_000_000
        changes: dict[tuple[str, str], str] = {}
        first = version + 1
        # Single updates aggregated into one push; a snapshot push needs two to straddle.
        for _ in range(rng.randint(2 if i in (SNAPSHOT_IN, RESYNC_IN) else 1, 6)):
            version += 1
            side = rng.choice(("bid", "ask"))
            book = books[side]
            if book and rng.random() < 0.35:
                price, qty = rng.choice(sorted(book)), "0.00000000"
                del book[price]
            else:
                price, qty = _price(side, rng), f"{rng.uniform(0.001, 3):.8f}"
                book[price] = qty
            changes[(side, price)] = qty
            if i in (SNAPSHOT_IN, RESYNC_IN) and version == first:
                # The REST snapshot is taken here, inside this push's range; it arrives later.
                bids, asks = s.truth()
                url, body = enc.rest_snapshot(mexc.REST_URL, SYMBOL, bids, asks, version, ts)
                pending_rest[i if i == SNAPSHOT_IN else i + 1] = (version, url, body)
        bids = [(p, q) for (side, p), q in changes.items() if side == "bid"]
        asks = [(p, q) for (side, p), q in changes.items() if side == "ask"]
        [frame] = enc.delta(SYMBOL, bids, asks, first, version, ts, None)
        ticker = None
        if i % 10 == 9:
            tb, ta = s.truth()
            ticker = enc.book_ticker(SYMBOL, tb[0] if tb else None, ta[0] if ta else None, version, ts)
        if ticker is not None and i % 20 == 19:
            s.records.append((ts, "ws", ticker, None))
            ticker = None
        if i != LOST:
            s.records.append((ts + 1, "ws", frame, None))
        if ticker is not None:
            s.records.append((ts + 2, "ws", ticker, None))
        if i % 25 == 0:
            s.records.append((ts + 3, "ws_out", mexc.PING, None))
            s.records.append((ts + 4, "ws", enc.reply("PONG"), None))
        if i in pending_rest:
            _, url, body = pending_rest.pop(i)
            s.records.append((ts + 5, "rest", body, url))
    assert not pending_rest
    s.last_version = version
    return s
