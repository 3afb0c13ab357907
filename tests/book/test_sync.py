"""BookSync: sequence rules, buffering, gaps, checksums, crossed books, properties."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.book.sync import BookSync, Outcome, SeqRule, SyncStats
from arb.core.events import BookDelta, BookSnapshot


def delta(first, last, bids=(), asks=(), prev=None, checksum=None, level_seqs=False):
    return BookDelta("A/B", list(bids), list(asks), first, last, 0, 0, prev_seq=prev, checksum=checksum, level_seqs=level_seqs)


def snapshot(seq, bids=(("10", "1"),), asks=(("11", "1"),), source="rest", checksum=None):
    return BookSnapshot("A/B", list(bids), list(asks), seq, 0, 0, checksum=checksum, source=source)


def make(rule=SeqRule.RANGE, checksum=None):
    return BookSync(OrderBook("x", "A/B"), rule, SyncStats(), checksum)


# -- RANGE (Binance / Gate / MEXC / KuCoin) ------------------------------------------------
def test_range_buffers_until_snapshot_then_drops_stale_and_applies_bridging():
    sync = make()
    assert sync.on_delta(delta(1, 4, bids=[("9", "1")])) is Outcome.BUFFERED
    assert sync.on_delta(delta(5, 8, bids=[("9", "2")])) is Outcome.BUFFERED
    assert sync.on_delta(delta(9, 9, asks=[("12", "3")])) is Outcome.BUFFERED
    assert sync.on_snapshot(snapshot(6)) is Outcome.APPLIED  # 1..4 dropped, 5..8 straddles 7
    assert sync.book.state is BookState.LIVE and sync.book.seq == 9
    assert sync.book.bids() == [("10", "1"), ("9", "2")]
    assert sync.book.asks() == [("11", "1"), ("12", "3")]
    assert (sync.stats.dropped, sync.stats.applied) == (1, 2)


def test_range_gap_clears_book_and_next_snapshot_counts_a_resync():
    sync = make()
    sync.on_snapshot(snapshot(10))
    assert sync.on_delta(delta(11, 12)) is Outcome.APPLIED
    assert sync.on_delta(delta(14, 15)) is Outcome.RESYNC
    assert sync.book.state is BookState.RESYNCING and "expected 13" in sync.book.reason
    assert sync.book.depth() == (0, 0) and sync.stats.gaps == 1
    assert sync.on_delta(delta(16, 16)) is Outcome.BUFFERED
    assert sync.on_snapshot(snapshot(15)) is Outcome.APPLIED
    assert sync.book.seq == 16 and sync.stats.resyncs == 1


def test_range_snapshot_older_than_the_buffered_stream_asks_for_another():
    sync = make()
    sync.on_delta(delta(20, 25))
    assert sync.on_snapshot(snapshot(10)) is Outcome.RESYNC
    assert sync.book.state is BookState.RESYNCING


def test_a_rest_snapshot_older_than_the_live_book_is_ignored():
    sync = make()
    sync.on_snapshot(snapshot(10))
    sync.on_delta(delta(11, 14, bids=[("9", "5")]))
    assert sync.on_snapshot(snapshot(12, bids=[("1", "1")])) is Outcome.DROPPED
    assert sync.book.seq == 14 and sync.book.bids()[1] == ("9", "5")


def test_range_duplicates_and_old_deltas_are_dropped():
    sync = make()
    sync.on_snapshot(snapshot(10))
    sync.on_delta(delta(11, 12, bids=[("9", "5")]))
    assert sync.on_delta(delta(11, 12, bids=[("9", "1")])) is Outcome.DROPPED
    assert sync.on_delta(delta(5, 9)) is Outcome.DROPPED
    assert sync.book.bids()[1] == ("9", "5")


def test_range_per_level_sequences_apply_only_newer_changes():
    sync = make()
    sync.on_snapshot(snapshot(10))
    d = delta(9, 12, bids=[("9", "1", 9), ("8", "1", 10), ("7", "1", 11)], asks=[("12", "4", 12)], level_seqs=True)
    assert sync.on_delta(d) is Outcome.APPLIED
    assert [lv[0] for lv in sync.book.bids()] == ["10", "7"]
    assert sync.book.seq == 12


# -- CHAIN (OKX) --------------------------------------------------------------------------
def test_chain_rule_follows_prev_seq_including_heartbeats_and_resets():
    sync = make(SeqRule.CHAIN)
    sync.on_snapshot(snapshot(10, source="ws"))
    assert sync.on_delta(delta(None, 15, prev=10, bids=[("9", "1")])) is Outcome.APPLIED
    assert sync.on_delta(delta(None, 15, prev=15)) is Outcome.APPLIED  # idle heartbeat
    assert sync.on_delta(delta(None, 3, prev=15)) is Outcome.APPLIED  # maintenance reset
    assert sync.on_delta(delta(None, 5, prev=3)) is Outcome.APPLIED
    assert sync.book.seq == 5
    assert sync.on_delta(delta(None, 4, prev=2)) is Outcome.DROPPED
    assert sync.on_delta(delta(None, 9, prev=7)) is Outcome.RESYNC and sync.stats.gaps == 1


def test_chain_without_sequence_numbers_applies_unchecked():
    sync = make(SeqRule.CHAIN)
    sync.on_snapshot(snapshot(None, source="ws"))
    assert sync.on_delta(delta(None, None, bids=[("9", "1")])) is Outcome.APPLIED


# -- NONE + in-stream snapshots (Kraken, Coinbase) ----------------------------------------
def test_in_stream_snapshot_supersedes_buffered_deltas():
    sync = make(SeqRule.NONE)
    sync.on_delta(delta(None, None, bids=[("9", "1")]))
    sync.on_snapshot(snapshot(None, source="ws"))
    assert sync.book.bids() == [("10", "1")] and sync.stats.dropped == 1


# -- integrity checks ---------------------------------------------------------------------
def test_checksum_match_and_mismatch():
    sync = make(SeqRule.NONE, checksum=lambda book: len(book.bids()))
    assert sync.on_snapshot(snapshot(None, source="ws", checksum=1)) is Outcome.APPLIED
    assert sync.on_delta(delta(None, None, bids=[("9", "1")], checksum=2)) is Outcome.APPLIED
    assert sync.on_delta(delta(None, None, bids=[("8", "1")], checksum=2)) is Outcome.RESYNC
    assert (sync.stats.checksum_ok, sync.stats.checksum_failed) == (2, 1)
    assert sync.book.reason == "checksum mismatch"


def test_crossed_update_is_caught():
    sync = make()
    sync.on_snapshot(snapshot(1))
    assert sync.on_delta(delta(2, 2, bids=[("11.5", "1")])) is Outcome.RESYNC
    assert sync.stats.crossed == 1 and sync.book.reason == "crossed after update"


@pytest.mark.parametrize("level", [("abc", "1"), ("1", "-2"), (None, "1"), ("1",), ()])
def test_malformed_level_resyncs_instead_of_raising(level):
    sync = make()
    sync.on_snapshot(snapshot(1))
    assert sync.on_delta(delta(2, 2, bids=[level])) is Outcome.RESYNC
    assert sync.stats.bad_levels == 1 and sync.book.state is BookState.RESYNCING


def test_buffer_is_bounded():
    sync = BookSync(OrderBook("x", "A/B"), SeqRule.RANGE, SyncStats(), buffer_limit=3)
    for i in range(10):
        sync.on_delta(delta(i, i))
    assert len(sync.buffer) == 3 and sync.stats.buffer_overflows == 7


# -- properties ---------------------------------------------------------------------------
def _truth_stream(seed: int, n: int):
    """A random but valid book history: (deltas with U/u, the truth book after each)."""
    rng = random.Random(seed)
    truth = OrderBook("truth", "A/B")
    truth.load([("100", "1")], [("101", "1")])
    deltas, states = [], []
    seq = 0
    for _ in range(n):
        bids, asks = [], []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.5:
                bids.append((str(rng.randint(90, 100)), rng.choice(["0", "1", "2.5"])))
            else:
                asks.append((str(rng.randint(101, 111)), rng.choice(["0", "1", "2.5"])))
        first = seq + 1
        seq += rng.randint(1, 3)
        truth.apply(bids, asks)
        deltas.append(delta(first, seq, bids, asks))
        states.append((seq, truth.bids(), truth.asks()))
    return deltas, states


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 40), st.data())
def test_snapshot_plus_deltas_equals_the_later_truth(seed, n, data):
    deltas, states = _truth_stream(seed, n)
    k = data.draw(st.integers(0, n - 1))
    seq, bids, asks = states[k]
    sync = make()
    # Some deltas arrive before the snapshot (buffered), the rest after.
    before = data.draw(st.integers(0, n))
    for d in deltas[:before]:
        sync.on_delta(d)
    sync.on_snapshot(BookSnapshot("A/B", bids, asks, seq, 0, 0, source="rest"))
    for d in deltas[before:]:
        sync.on_delta(d)
    final_seq, final_bids, final_asks = states[-1]
    assert sync.book.state is BookState.LIVE
    assert sync.book.seq == final_seq
    assert sync.book.bids() == final_bids and sync.book.asks() == final_asks


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 40), st.data())
def test_duplicated_reordered_or_lost_deltas_never_leave_a_wrong_live_book(seed, n, data):
    deltas, states = _truth_stream(seed, n)
    sync = make()
    sync.on_snapshot(BookSnapshot("A/B", [("100", "1")], [("101", "1")], 0, 0, 0))
    rng = random.Random(seed)
    stream = list(deltas)
    for _ in range(data.draw(st.integers(0, 5))):
        i = rng.randrange(len(stream))
        roll = rng.random()
        if roll < 0.3:
            stream.insert(i, stream[rng.randrange(len(stream))])  # duplicate
        elif roll < 0.6 and len(stream) > 1:
            del stream[i]  # lost
        else:
            j = rng.randrange(len(stream))
            stream[i], stream[j] = stream[j], stream[i]  # reordered
    truth_by_seq = {s: (b, a) for s, b, a in states}
    for d in stream:
        sync.on_delta(d)
        book = sync.book
        if book.state is BookState.LIVE:
            assert not book.is_crossed()
            # A live book is exactly the truth at its sequence.
            assert (book.bids(), book.asks()) == truth_by_seq[book.seq]
        else:
            assert book.state is BookState.RESYNCING and book.depth() == (0, 0)
