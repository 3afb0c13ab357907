"""Ingest benchmark: decode → book → top of book, per venue, on one core, vs a plain baseline.

Replays the shipped recordings (samples/recordings) from memory. Each venue's stream is
the recording's book traffic repeated for several passes:

- REST-snapshot venues (Binance, Gate, KuCoin): the snapshot is applied once, untimed;
  each pass replays the book deltas with their sequence numbers shifted so they chain
  onto the previous pass (the sync rules stay fully active, nothing is dropped).
- In-stream-snapshot venues (Kraken v2, OKX): each pass replays the snapshot and every
  update, so the checksums verify on every pass.

After every frame both implementations read the best bid and ask of that frame's book.
The baseline is what a plain implementation does: ``json.loads``, ``Decimal`` keys in a
``sortedcontainers.SortedDict``, the same sequence checks, truncation and checksums.
Both run interleaved in one process, best of N, so machine noise hits them alike.

Also measured: symbol resolution (venue symbol → unified) and memory per 1,000-level
book. The last line of stdout is a JSON object.

    python bench/ingest.py [--passes N] [--repeats N]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import timeit
import tracemalloc
import zlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from sortedcontainers import SortedDict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arb.book.book import OrderBook
from arb.core.numbers import FixedParser
from arb.record.reader import RecordingReader
from arb.venues.books import VenueBooks
from arb.venues.registry import VENUES
from bench.common import emit, interleaved, machine, pin_one_core

RECORDINGS = ROOT / "samples" / "recordings"


# -- workloads -------------------------------------------------------------------------------
class Workload:
    """``setup``: records applied before timing; ``frames``: (kind, url, text, book key)."""

    def __init__(self, venue: str, recording: str) -> None:
        self.venue = venue
        self.recording = recording
        self.setup: list[tuple[str, str | None, str]] = []
        self.frames: list[tuple[str, str | None, str, str]] = []


def _records(name: str):
    with RecordingReader(RECORDINGS / name) as reader:
        return [r for r in reader if r.kind in ("ws", "rest")]


def _range_workload(
    venue: str, name: str, passes: int, parse: Callable, shift: Callable, reshift_snapshot: Callable | None = None
) -> Workload:
    """REST snapshot once, then each symbol's post-snapshot deltas, shifted per pass.

    With ``reshift_snapshot`` every pass starts again from the snapshot (its sequence shifted
    too): replaying a recording's deltas onto the book as the previous pass left it can
    cross the book (KuCoin's does), which a real stream never would.
    """
    work = Workload(venue, name)
    records = _records(name)
    snapshot_seq: dict[str, int] = {}
    snapshots: dict[str, tuple[str, dict]] = {}
    deltas: dict[str, list[dict]] = {}
    for rec in records:
        parsed = parse(rec)
        if parsed is None:
            continue
        kind, key, msg, first, last = parsed
        if kind == "snapshot":
            snapshot_seq[key] = last
            snapshots[key] = (rec.url, msg)
            work.setup.append(("rest", rec.url, rec.data))
        elif key in snapshot_seq and last > snapshot_seq[key]:
            deltas.setdefault(key, []).append((msg, first, last))
    span = {key: ds[-1][2] - snapshot_seq[key] for key, ds in deltas.items()}
    for k in range(passes):
        for key, ds in deltas.items():
            # Chained passes continue where the last ended; re-snapshotted passes jump past it
            # (a REST snapshot no newer than the live book would rightly be ignored).
            offset = k * (span[key] + (reshift_snapshot is not None))
            if reshift_snapshot is not None and k > 0:
                url, body = snapshots[key]
                work.frames.append(("rest", url, reshift_snapshot(body, snapshot_seq[key] + offset), key))
            for msg, first, last in ds:
                work.frames.append(("ws", None, shift(msg, first + offset, last + offset, offset), key))
    return work


def _binance(rec):
    if rec.kind == "rest":
        body = json.loads(rec.data)
        return "snapshot", rec.url.split("symbol=")[1].split("&")[0], body, 0, body["lastUpdateId"]
    msg = json.loads(rec.data)
    if msg["data"].get("e") == "depthUpdate":
        return "delta", msg["data"]["s"], msg, msg["data"]["U"], msg["data"]["u"]
    return None


def _binance_shift(msg, first, last, offset):
    data = dict(msg["data"], U=first, u=last)
    return json.dumps({"stream": msg["stream"], "data": data}, separators=(",", ":"))


def _gate(rec):
    if rec.kind == "rest":
        body = json.loads(rec.data)
        return "snapshot", rec.url.split("currency_pair=")[1].split("&")[0], body, 0, body["id"]
    msg = json.loads(rec.data)
    if msg.get("channel") == "spot.order_book_update" and msg.get("event") == "update":
        r = msg["result"]
        return "delta", r["s"], msg, r["U"], r["u"]
    return None


def _gate_shift(msg, first, last, offset):
    return json.dumps(dict(msg, result=dict(msg["result"], U=first, u=last)), separators=(",", ":"))


def _kucoin(rec):
    if rec.kind == "rest":
        body = json.loads(rec.data)
        return "snapshot", rec.url.split("symbol=")[1].split("&")[0], body, 0, int(body["data"]["sequence"])
    msg = json.loads(rec.data)
    if msg.get("subject") == "trade.l2update":
        d = msg["data"]
        return "delta", d["symbol"], msg, d["sequenceStart"], d["sequenceEnd"]
    return None


def _kucoin_shift(msg, first, last, offset):
    d = msg["data"]
    changes = {side: [[p, s, str(int(q) + offset)] for p, s, q in d["changes"][side]] for side in ("asks", "bids")}
    data = dict(d, sequenceStart=d["sequenceStart"] + offset, sequenceEnd=last, changes=changes)
    return json.dumps(dict(msg, data=data), separators=(",", ":"))


def _kucoin_snapshot(body, seq):
    return json.dumps(dict(body, data=dict(body["data"], sequence=str(seq))), separators=(",", ":"))


def _stream_workload(venue: str, name: str, passes: int, key_of: Callable) -> Workload:
    """Every pass replays all book frames, snapshots included (checksums verify each pass)."""
    work = Workload(venue, name)
    book_frames = []
    for rec in _records(name):
        key = key_of(rec.data)
        if key is not None:
            book_frames.append(("ws", None, rec.data, key))
    for _ in range(passes):
        work.frames.extend(book_frames)
    return work


def _kraken_key(text):
    if text.startswith('{"channel":"book"'):
        return json.loads(text)["data"][0]["symbol"]
    return None


def _okx_key(text):
    if '"channel":"books"' in text and '"data"' in text:
        return json.loads(text)["arg"]["instId"]
    return None


def workloads(passes: int) -> list[Workload]:
    return [
        _range_workload("binance", "binance-2021-10-12-depth100ms-bookticker.jsonl.gz", passes * 40, _binance, _binance_shift),
        _range_workload("gateio", "gateio-2021-04-22-order-book-update.jsonl.gz", passes * 10, _gate, _gate_shift),
        _range_workload("kucoin", "kucoin-2021-04-25-level2-ticker.jsonl.gz", passes, _kucoin, _kucoin_shift, _kucoin_snapshot),
        _stream_workload("kraken", "kraken-2021-04-17-book1000-v2.jsonl.gz", passes, _kraken_key),
        _stream_workload("okx", "okx-2022-05-13-books.jsonl.gz", passes * 4, _okx_key),
    ]


# -- arb ---------------------------------------------------------------------------------------
def arb_runner(work: Workload) -> Callable[[], None]:
    spec = VENUES[work.venue]

    def run() -> None:
        vb = VenueBooks(spec)
        for kind, url, text in work.setup:
            vb.on_rest(url, text, 0) if kind == "rest" else vb.on_frame(1, text, 0)
        symbol_of = vb.symbol_map.unified
        books: dict[str, OrderBook] = {}
        on_frame = vb.on_frame
        start_errors = sum(vb.errors.values())
        on_rest = vb.on_rest
        for kind, url, text, key in work.frames:
            if kind == "ws":
                on_frame(1, text, 0)
            else:
                on_rest(url, text, 0)
            book = books.get(key)
            if book is None:
                book = books[key] = vb.book(symbol_of(key))
            book.best_bid()
            book.best_ask()
        bad = vb.stats.gaps + vb.stats.checksum_failed + vb.stats.crossed + sum(vb.errors.values()) - start_errors
        if bad or not all(b.is_live for b in books.values()):
            raise SystemExit(f"{work.venue}: arb run was not clean: {vb.stats.as_dict()} {dict(vb.errors)}")
        run.checksums = vb.stats.checksum_ok  # type: ignore[attr-defined]

    return run


# -- the plain baseline ------------------------------------------------------------------------
class PlainBook:
    """``SortedDict`` with ``Decimal`` keys (bids negated); values keep the texts for checksums."""

    def __init__(self) -> None:
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()
        self.seq = 0

    def load(self, bids, asks) -> None:
        self.bids = SortedDict({-Decimal(p): (p, q) for p, q, *_ in bids if Decimal(q)})
        self.asks = SortedDict({Decimal(p): (p, q) for p, q, *_ in asks if Decimal(q)})

    def apply(self, side: SortedDict, levels, sign: int) -> None:
        for level in levels:
            p, q = level[0], level[1]
            key = Decimal(p) * sign
            if Decimal(q):
                side[key] = (p, q)
            else:
                side.pop(key, None)

    def top(self):
        return (self.bids.peekitem(0) if self.bids else None, self.asks.peekitem(0) if self.asks else None)


def _crc_kraken(book: PlainBook) -> int:
    def fmt(t: str) -> str:
        return t.replace(".", "").lstrip("0")

    parts = [fmt(p) + fmt(q) for p, q in book.asks.values()[:10]] + [fmt(p) + fmt(q) for p, q in book.bids.values()[:10]]
    return zlib.crc32("".join(parts).encode())


def _crc_okx(book: PlainBook) -> int:
    bids, asks = book.bids.values()[:25], book.asks.values()[:25]
    parts = []
    for i in range(max(len(bids), len(asks))):
        if i < len(bids):
            parts += list(bids[i])
        if i < len(asks):
            parts += list(asks[i])
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def baseline_runner(work: Workload) -> Callable[[], None]:
    venue = work.venue

    def run() -> None:
        books: dict[str, PlainBook] = {}
        for _, url, text in work.setup:
            body = json.loads(text)
            if venue == "binance":
                key, seq, bids, asks = url.split("symbol=")[1].split("&")[0], body["lastUpdateId"], body["bids"], body["asks"]
            elif venue == "gateio":
                key, seq, bids, asks = url.split("currency_pair=")[1].split("&")[0], body["id"], body["bids"], body["asks"]
            else:
                data = body["data"]
                key, seq, bids, asks = url.split("symbol=")[1].split("&")[0], int(data["sequence"]), data["bids"], data["asks"]
            book = books[key] = PlainBook()
            book.load(bids, asks)
            book.seq = seq
        checksums = 0
        for kind, _url, text, key in work.frames:
            if kind == "rest":  # a pass starting again from the (shifted) KuCoin snapshot
                data = json.loads(text)["data"]
                book = books[key] = PlainBook()
                book.load(data["bids"], data["asks"])
                book.seq = int(data["sequence"])
            elif venue in ("binance", "gateio", "kucoin"):
                msg = json.loads(text)
                if venue == "binance":
                    d = msg["data"]
                    first, last, bids, asks = d["U"], d["u"], d["b"], d["a"]
                elif venue == "gateio":
                    d = msg["result"]
                    first, last, bids, asks = d["U"], d["u"], d["b"], d["a"]
                else:
                    d = msg["data"]
                    first, last = d["sequenceStart"], d["sequenceEnd"]
                    bids = [c for c in d["changes"]["bids"] if c[0] != "0"]
                    asks = [c for c in d["changes"]["asks"] if c[0] != "0"]
                book = books[key]
                if last <= book.seq:
                    continue
                if first > book.seq + 1:
                    raise SystemExit(f"baseline gap in {venue}")
                if first <= book.seq:  # per-change sequences (KuCoin)
                    bids = [c for c in bids if len(c) < 3 or int(c[2]) > book.seq]
                    asks = [c for c in asks if len(c) < 3 or int(c[2]) > book.seq]
                book.apply(book.bids, bids, -1)
                book.apply(book.asks, asks, 1)
                book.seq = last
            elif venue == "kraken":
                msg = json.loads(text, parse_float=str, parse_int=str)
                for entry in msg["data"]:
                    bids = [(x["price"], x["qty"]) for x in entry["bids"]]
                    asks = [(x["price"], x["qty"]) for x in entry["asks"]]
                    book = books.setdefault(key, PlainBook())
                    if msg["type"] == "snapshot":
                        book.load(bids, asks)
                    else:
                        book.apply(book.bids, bids, -1)
                        book.apply(book.asks, asks, 1)
                    for side in (book.bids, book.asks):
                        while len(side) > 1000:
                            side.popitem(-1)
                    if _crc_kraken(book) != int(entry["checksum"]):
                        raise SystemExit("baseline kraken checksum mismatch")
                    checksums += 1
            else:  # okx
                msg = json.loads(text)
                for entry in msg["data"]:
                    book = books.setdefault(key, PlainBook())
                    if msg["action"] == "snapshot":
                        book.load(entry["bids"], entry["asks"])
                    else:
                        book.apply(book.bids, entry["bids"], -1)
                        book.apply(book.asks, entry["asks"], 1)
                    if entry.get("checksum") and _crc_okx(book) != entry["checksum"]:
                        raise SystemExit("baseline okx checksum mismatch")
                    checksums += 1
            books[key].top()
        run.checksums = checksums  # type: ignore[attr-defined]

    return run


# -- extras ------------------------------------------------------------------------------------
def symbol_lookup_ns() -> float:
    spec = VENUES["binance"]
    table = spec.symbol_map([f"C{i}/USDT" for i in range(1000)]).to_unified
    n = 200_000
    loop = min(timeit.repeat("for s in keys: pass", globals={"keys": ["C500USDT"] * n}, number=1, repeat=5))
    hit = min(timeit.repeat("for s in keys: t[s]", globals={"keys": ["C500USDT"] * n, "t": table}, number=1, repeat=5))
    return (hit - loop) / n * 1e9


def book_memory_bytes() -> dict[str, float]:
    """Bytes per book holding 1,000 bids and 1,000 asks with realistic lexemes."""
    bids = [(f"{50000 - i * 0.01:.2f}", f"{0.001 * (i % 97 + 1):.8f}") for i in range(1000)]
    asks = [(f"{50000.01 + i * 0.01:.2f}", f"{0.001 * (i % 89 + 1):.8f}") for i in range(1000)]
    n = 20
    out = {}
    for name, build in (
        ("arb", lambda: _arb_book(bids, asks)),
        ("baseline", lambda: _plain_book(bids, asks)),
    ):
        gc.collect()
        tracemalloc.start()
        keep = [build() for _ in range(n)]
        size, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[name] = size / n
        del keep
    return out


def _arb_book(bids, asks) -> OrderBook:
    # Lexemes are fresh strings per book, as they would be from the wire.
    book = OrderBook("x", "BTC/USDT", parser=FixedParser())
    book.load([(p + "", q + "") for p, q in bids], [(p + "", q + "") for p, q in asks])
    return book


def _plain_book(bids, asks) -> PlainBook:
    book = PlainBook()
    book.load([(p + "", q + "") for p, q in bids], [(p + "", q + "") for p, q in asks])
    return book


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=25, help="replays per recording (scaled per venue)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per implementation (best is kept)")
    args = parser.parse_args()
    cpu = pin_one_core()
    result: dict[str, object] = {"cpu": cpu, **machine()}
    total_arb = total_base = 0.0
    print(f"{'venue':<9}{'frames':>9}{'arb msg/s':>13}{'baseline msg/s':>16}{'ratio':>8}{'checksums':>11}")
    for work in workloads(args.passes):
        if work.venue not in VENUES:
            print(f"{work.venue:<9} (no adapter registered; skipped)")
            continue
        ours, base = arb_runner(work), baseline_runner(work)
        best = interleaved({"arb": ours, "baseline": base}, args.repeats)
        n = len(work.frames)
        rate, base_rate = n / best["arb"], n / best["baseline"]
        total_arb += best["arb"]
        total_base += best["baseline"]
        ratio = best["baseline"] / best["arb"]
        print(f"{work.venue:<9}{n:>9}{rate:>13,.0f}{base_rate:>16,.0f}{ratio:>8.2f}{ours.checksums:>11}")  # type: ignore[attr-defined]
        result[f"{work.venue}_msgs_per_s"] = round(rate)
        result[f"{work.venue}_baseline_msgs_per_s"] = round(base_rate)
        result[f"{work.venue}_ratio"] = round(ratio, 2)
    result["ratio_vs_baseline"] = round(result.get("binance_ratio", 0.0), 2)  # type: ignore[arg-type]
    result["all_venues_ratio"] = round(total_base / total_arb, 2) if total_arb else None
    result["symbol_lookup_ns"] = round(symbol_lookup_ns(), 1)
    memory = book_memory_bytes()
    result["book_1000_levels_per_side_bytes"] = round(memory["arb"])
    result["baseline_book_1000_levels_per_side_bytes"] = round(memory["baseline"])
    print(
        f"symbol lookup {result['symbol_lookup_ns']} ns; 1,000-level book: arb {memory['arb'] / 1024:.0f} KiB, "
        f"baseline {memory['baseline'] / 1024:.0f} KiB"
    )
    emit(result)


if __name__ == "__main__":
    main()
