"""A realistic synthetic Coinbase Advanced Trade session, built with the wire encoder.

No real multi-message ``l2_data`` capture exists, so this one is made: one connection,
``level2`` for BTC-USD and ETH-USD plus ``heartbeats``, two subscription acks, a snapshot
per product (sides interleaved, unsorted), update messages (some carrying two events),
heartbeats — all numbered by one ``sequence_num`` — and one lost update message. The next
message reveals the gap; both books resync; the client resubscribes and the venue sends
fresh snapshots; updates that arrived in between are buffered and then dropped (an
in-stream snapshot supersedes them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from arb.core.symbols import SymbolMap
from arb.record.writer import RecordingWriter
from arb.venues.coinbase import Encoder
from arb.venues.coinbase import market_data as coinbase

SYMBOLS = ("BTC/USD", "ETH/USD")
MIDS = {"BTC/USD": 68923.0, "ETH/USD": 3512.0}
T0_NS = 1_775_521_739_000_000_000
MESSAGES = 150
LOST = 80
#: Update messages that still arrive on the old subscription after the gap.
IN_FLIGHT = 4


@dataclass
class Stream:
    records: list[tuple[int, str, str | None, str | None]] = field(default_factory=list)
    books: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # symbol → side → price → qty
    #: Update events by fate: applied to a live book, or buffered while resyncing (then dropped).
    applied: int = 0
    buffered: int = 0

    def truth(self, symbol: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        book = self.books[symbol]
        bids = sorted(book["bid"].items(), key=lambda lv: -float(lv[0]))
        asks = sorted(book["offer"].items(), key=lambda lv: float(lv[0]))
        return bids, asks

    def write(self, path) -> None:
        with RecordingWriter(path, "coinbase", list(SYMBOLS), source="synthetic: arb.venues.coinbase encoder (tests)") as writer:
            for ts, kind, data, url in self.records:
                writer.write(ts, "coinbase", kind, data, conn=1, url=url)


def _price(symbol: str, side: str, rng: random.Random) -> str:
    step = rng.randrange(1, 150)
    mid = MIDS[symbol]
    return f"{mid - step * 0.01:.2f}" if side == "bid" else f"{mid + step * 0.01:.2f}"


def build(seed: int = 11) -> Stream:
    print(f"coinbase synthetic stream seed={seed}")
    rng = random.Random(seed)
    symbols = SymbolMap("coinbase", coinbase.parse_symbol, coinbase.format_symbol, SYMBOLS)
    natives = [symbols.venue_symbol(s) for s in SYMBOLS]
    enc = Encoder(symbols)
    s = Stream()
    ts = T0_NS
    rec = s.records.append

    def snapshots(at: int) -> None:
        for symbol in SYMBOLS:
            bids, asks = s.truth(symbol)
            [frame] = enc.snapshot(symbol, bids, asks, 0, at, None)
            rec((at, "ws", frame, None))

    for symbol in SYMBOLS:
        s.books[symbol] = {"bid": {}, "offer": {}}
        for side in ("bid", "offer"):
            for _ in range(30):
                s.books[symbol][side][_price(symbol, side, rng)] = f"{rng.uniform(0.0001, 2):.8f}".rstrip("0")
    rec((ts, "connect", None, coinbase.WS_URL))
    for frame in coinbase.subscribe_frames(natives, None, 0):
        rec((ts + 1, "ws_out", frame, None))
    rec((ts + 1_000_000, "ws", enc.subscriptions({"level2": natives}, ts), None))
    rec((ts + 1_000_001, "ws", enc.subscriptions({"heartbeats": ["heartbeats"], "level2": natives}, ts), None))
    snapshots(ts + 2_000_000)
    resyncing = False
    for i in range(MESSAGES):
        ts += 50_000_000
        events = []
        for _ in range(2 if rng.random() < 0.15 else 1):
            symbol = rng.choice(SYMBOLS)
            bids, asks = [], []
            for _ in range(rng.randint(1, 4)):
                side = rng.choice(("bid", "offer"))
                book = s.books[symbol][side]
                if book and rng.random() < 0.3:
                    price = rng.choice(sorted(book))
                    del book[price]
                    qty = "0"
                else:
                    price, qty = _price(symbol, side, rng), f"{rng.uniform(0.0001, 2):.8f}".rstrip("0")
                    book[price] = qty
                (bids if side == "bid" else asks).append((price, qty))
            events.append(enc.update_event(symbol, bids, asks, ts))
        frame = enc.l2_data(events, ts)
        if i != LOST:
            rec((ts + 1, "ws", frame, None))
            if resyncing:
                s.buffered += len(events)
            else:
                s.applied += len(events)
        if i == LOST:
            resyncing = True
        if resyncing and i == LOST + IN_FLIGHT:
            # The client saw the gap: resubscribe; the venue acks and sends fresh snapshots.
            rec((ts + 2, "ws_out", coinbase.unsubscribe_frames(natives, None, 0)[0], None))
            rec((ts + 2, "ws", enc.subscriptions({"heartbeats": ["heartbeats"]}, ts), None))
            rec((ts + 3, "ws_out", coinbase.subscribe_frames(natives, None, 0)[0], None))
            rec((ts + 3, "ws", enc.subscriptions({"heartbeats": ["heartbeats"], "level2": natives}, ts), None))
            snapshots(ts + 4)
            resyncing = False
        if i % 20 == 0:
            [beat] = enc.heartbeat(ts)
            rec((ts + 5, "ws", beat, None))
    return s
