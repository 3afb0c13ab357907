"""Scanner benchmark: time to scan one symbol update across 7 venues, vs a naive baseline.

Builds a market for one symbol (BTC/USDT, ~60,000) on seven venues with realistic depth
(20 levels a side, 0.01 tick, 0.00001 lot, sizes up to a few BTC) and each venue's real
taker fee. A seeded sequence of updates moves one venue at a time: a fair-price random walk
plus per-venue noise of a few bps (no pair clears the fees) and, on some updates, a
dislocation of 15–40 bps that makes real, fee-clearing opportunities. Every scan is
capped by balances (a Portfolio) and a maximum notional.

Measured, per call (``perf_counter_ns`` around each scan; median over every update of every
pass) and interleaved with the baseline so machine noise hits both alike:

- ``scan_median_us``: ``Scanner.scan`` for one update with ``changed_venue`` set (12 pairs);
- ``full_scan_median_us``: the same update scanning all 42 ordered pairs;
- the baseline: what a plain implementation does — ``Decimal`` books (converted once,
  untimed), every pair walked level by level in ``Decimal`` arithmetic, no pre-filter —
  for the same 12 and 42 pairs. ``ratio_vs_baseline`` = baseline median / scan median.

Both must find the same (buy, sell) pairs on every update; the run fails otherwise.

    python bench/scan.py [--updates N] [--passes N] [--seed N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arb.book.view import BookView
from arb.core.instruments import Instrument, Instruments
from arb.core.numbers import ONE, from_decimal, to_decimal
from arb.exec.portfolio import Portfolio
from arb.scan import ScanConfig, Scanner, fee_rate
from bench.common import emit, machine, pin_one_core

SYMBOL = "BTC/USDT"
#: Taker fees (retail tier) per venue.
FEES = {
    "binance": "0.001", "gateio": "0.002", "mexc": "0.0005", "kraken": "0.004",
    "coinbase": "0.006", "kucoin": "0.001", "okx": "0.001",
}
VENUES = tuple(FEES)
TICK = ONE // 100
LOT = ONE // 100_000
DEPTH = 20
MIN_PROFIT = "0.5"
MAX_NOTIONAL = "20000"
MAX_AGE_NS = 5_000_000_000


# -- the market ---------------------------------------------------------------------------
def book(rng: random.Random, venue: str, mid: float, ts_ns: int) -> BookView:
    """20 levels a side around ``mid`` (floats only to draw the shape; levels are exact ints)."""
    mid_ticks = int(mid * 100)
    half_spread = rng.randint(1, 4)
    bids, asks = [], []
    bid, ask = mid_ticks - half_spread, mid_ticks + half_spread
    for _ in range(DEPTH):
        bids.append((bid * TICK, rng.randint(1, 200_000) * LOT))
        asks.append((ask * TICK, rng.randint(1, 200_000) * LOT))
        bid -= rng.randint(1, 60)
        ask += rng.randint(1, 60)
    return BookView(venue, SYMBOL, tuple(bids), tuple(asks), ts_ns - 2_000_000, ts_ns, None, "live")


def updates(seed: int, n: int) -> list[tuple[str, int, dict[str, BookView]]]:
    """``(changed venue, now_ns, views after the change)`` for ``n`` updates."""
    rng = random.Random(seed)
    fair = 60_000.0
    now = 1_700_000_000_000_000_000
    offsets = {v: rng.gauss(0, 2) for v in VENUES}  # persistent per-venue basis, bps
    views = {v: book(rng, v, fair * (1 + offsets[v] / 1e4), now) for v in VENUES}
    out = []
    for _ in range(n):
        now += rng.randint(100_000, 2_000_000)
        fair *= 1 + rng.gauss(0, 0.5) / 1e4
        venue = rng.choice(VENUES)
        noise = offsets[venue] + rng.gauss(0, 2)
        if rng.random() < 0.15:
            noise += rng.choice((-1, 1)) * rng.uniform(15, 40)  # a dislocation
        views[venue] = book(rng, venue, fair * (1 + noise / 1e4), now)
        out.append((venue, now, dict(views)))
    return out


# -- the naive baseline -------------------------------------------------------------------
class DecimalView:
    __slots__ = ("venue", "bids", "asks", "ts_recv_ns", "state")

    def __init__(self, v: BookView) -> None:
        self.venue = v.venue
        self.bids = [(to_decimal(p), to_decimal(q)) for p, q in v.bids]
        self.asks = [(to_decimal(p), to_decimal(q)) for p, q in v.asks]
        self.ts_recv_ns = v.ts_recv_ns
        self.state = v.state


def naive_scan(views: dict[str, DecimalView], now_ns: int, balances: dict, changed: str | None) -> list[tuple[str, str]]:
    """Every pair (or every pair with ``changed``), walked in Decimal, no pre-filter."""
    fees = {v: Decimal(f) for v, f in FEES.items()}
    min_profit, max_notional, lot = Decimal(MIN_PROFIT), Decimal(MAX_NOTIONAL), Decimal("0.00001")
    found = []
    for a, va in views.items():
        for b, vb in views.items():
            if a == b or (changed is not None and changed not in (a, b)):
                continue
            if va.state != "live" or vb.state != "live" or now_ns - min(va.ts_recv_ns, vb.ts_recv_ns) > MAX_AGE_NS:
                continue
            if va.bids[0][0] >= va.asks[0][0] or vb.bids[0][0] >= vb.asks[0][0]:
                continue
            fa, fb = fees[a], fees[b]
            asks, bids = va.asks, vb.bids
            i = j = 0
            ask_left, bid_left = asks[0][1], bids[0][1]
            qty = cost = proceeds = Decimal(0)
            base_cap = balances[(b, "BTC")]
            quote_cap = balances[(a, "USDT")]
            while i < len(asks) and j < len(bids):
                ask, bid = asks[i][0], bids[j][0]
                if bid * (1 - fb) - ask * (1 + fa) <= 0:
                    break
                take = min(ask_left, bid_left, base_cap - qty, (quote_cap / (ask * (1 + fa))) - qty,
                           (max_notional - cost) / ask, (max_notional - proceeds) / bid)
                if take <= 0:
                    break
                qty += take
                cost += take * ask
                proceeds += take * bid
                ask_left -= take
                bid_left -= take
                if ask_left <= 0:
                    i += 1
                    if i < len(asks):
                        ask_left = asks[i][1]
                if bid_left <= 0:
                    j += 1
                    if j < len(bids):
                        bid_left = bids[j][1]
            qty = (qty / lot).to_integral_value(rounding="ROUND_FLOOR") * lot
            if qty <= 0:
                continue
            cost = proceeds = Decimal(0)
            left = qty
            for price, size in asks:
                part = min(size, left)
                cost += part * price
                left -= part
                if not left:
                    break
            left = qty
            for price, size in bids:
                part = min(size, left)
                proceeds += part * price
                left -= part
                if not left:
                    break
            net = proceeds * (1 - fb) - cost * (1 + fa)
            if net >= min_profit:
                found.append((a, b))
    return found


# -- measurement --------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2_000, help="symbol updates in the sequence")
    parser.add_argument("--passes", type=int, default=5, help="timed passes over the sequence")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    cpu = pin_one_core()

    seq = updates(args.seed, args.updates)
    instruments = Instruments([
        Instrument(venue=v, symbol=SYMBOL, venue_symbol="BTCUSDT", tick_size=TICK, lot_size=LOT, min_notional=5 * ONE)
        for v in VENUES
    ])
    config = ScanConfig(
        taker_fee_rates={v: fee_rate(r) for v, r in FEES.items()}, min_profit_quote=from_decimal(MIN_PROFIT),
        max_notional_quote=from_decimal(MAX_NOTIONAL), max_age_ns=MAX_AGE_NS, depth=DEPTH,
    )
    scanner = Scanner(config, instruments)
    portfolio = Portfolio({(v, a): (100_000 * ONE if a == "USDT" else 2 * ONE) for v in VENUES for a in ("BTC", "USDT")})
    dec_balances = {(v, a): to_decimal(portfolio.available(v, a)) for v in VENUES for a in ("BTC", "USDT")}
    dec_seq = [(venue, now, {v: DecimalView(x) for v, x in views.items()}) for venue, now, views in seq]

    # Same answers (pairs) on every update, for both the changed-venue and the full scan.
    opportunities = full_opportunities = mismatches = 0
    for (venue, now, views), (_, _, dviews) in zip(seq, dec_seq):
        for changed in (venue, None):
            ours = sorted((o.buy_venue, o.sell_venue) for o in scanner.scan(SYMBOL, views, now, portfolio, changed).opportunities)
            theirs = sorted(naive_scan(dviews, now, dec_balances, changed))
            mismatches += ours != theirs
            if changed is None:
                full_opportunities += len(ours)
            else:
                opportunities += len(ours)
    if mismatches:
        raise SystemExit(f"scanner and baseline disagree on {mismatches} scans")

    scan = scanner.scan
    perf = time.perf_counter_ns
    timings: dict[str, list[int]] = {"scan": [], "full": [], "baseline": [], "baseline_full": []}
    for _ in range(args.passes):
        for (venue, now, views), (_, _, dviews) in zip(seq, dec_seq):
            t0 = perf()
            scan(SYMBOL, views, now, portfolio, venue)
            t1 = perf()
            scan(SYMBOL, views, now, portfolio)
            t2 = perf()
            naive_scan(dviews, now, dec_balances, venue)
            t3 = perf()
            naive_scan(dviews, now, dec_balances, None)
            t4 = perf()
            timings["scan"].append(t1 - t0)
            timings["full"].append(t2 - t1)
            timings["baseline"].append(t3 - t2)
            timings["baseline_full"].append(t4 - t3)
    overhead = statistics.median(_timer_overhead(perf) for _ in range(2_000))
    med = {k: statistics.median(v) / 1_000 for k, v in timings.items()}
    p90 = {k: sorted(v)[int(len(v) * 0.9)] / 1_000 for k, v in timings.items()}

    print(f"{args.updates} updates × {args.passes} passes, 7 venues, depth {DEPTH}; "
          f"{opportunities} opportunities on changed-venue scans, {full_opportunities} on full scans")
    print(f"{'scan':<34}{'pairs':>6}{'median µs':>11}{'p90 µs':>9}{'baseline µs':>13}{'ratio':>8}")
    for label, key, base, pairs in (("one update (changed_venue)", "scan", "baseline", 12),
                                    ("full scan (all pairs)", "full", "baseline_full", 42)):
        print(f"{label:<34}{pairs:>6}{med[key]:>11.2f}{p90[key]:>9.2f}{med[base]:>13.2f}{med[base] / med[key]:>8.1f}")
    print(f"(timer overhead per call ~{overhead:.0f} ns, included; target: median < 20 µs)")
    emit({
        "scan_median_us": round(med["scan"], 2),
        "scan_p90_us": round(p90["scan"], 2),
        "full_scan_median_us": round(med["full"], 2),
        "baseline_median_us": round(med["baseline"], 2),
        "baseline_full_median_us": round(med["baseline_full"], 2),
        "ratio_vs_baseline": round(med["baseline"] / med["scan"], 1),
        "full_ratio_vs_baseline": round(med["baseline_full"] / med["full"], 1),
        "opportunities": opportunities,
        "updates": args.updates,
        "passes": args.passes,
        "target_us": 20,
        "cpu": cpu,
        **machine(),
    })


def _timer_overhead(perf) -> int:
    t0 = perf()
    return perf() - t0


if __name__ == "__main__":
    main()
