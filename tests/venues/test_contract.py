"""The venue contract: every venue of the registry, through the same checks, driven by its
row (``tests/venues/rows/<venue>.py``). What is genuinely one venue's (MEXC's protobuf
against Google's runtime, KuCoin's tokens and per-change sequences, Coinbase's
connection-wide sequence, Kraken's v1 capture, Gate's ``spot.obu``, OKX's ``seqId`` chain)
is in ``test_<venue>.py``."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.book.sync import SeqRule
from arb.core.errors import DecodeError, SymbolError
from arb.core.events import BookDelta, Control
from arb.core.numbers import FixedParser
from arb.venues.base import query_param
from arb.venues.books import VenueBooks
from arb.venues.registry import NAMES
from tests import samples
from tests.samples import texts
from tests.venues.contract import Row, decoded
from tests.venues.fuzz import assert_total, binary_mutations, frame_mutations, json_values
from tests.venues.rows import ROWS


def rows(needs: str | None = None) -> list:
    """Every row (that has ``needs``), as parameters named by venue."""
    return [pytest.param(row, id=row.name) for row in ROWS.values() if needs is None or getattr(row, needs) is not None]


def decoder(row: Row):
    return row.spec.decoder(row.spec.symbol_map(), FixedParser())


def decoders(row: Row) -> list:
    return row.decoders(row.spec) if row.decoders is not None else [decoder(row)]


def replay_asking(spec, records: list, after_each=None) -> tuple[VenueBooks, list[str]]:
    """Replay ``records`` into fresh books; also return the symbols they asked snapshots for."""
    vb = VenueBooks(spec)
    asked: list[str] = []
    for rec in records:
        asked += vb.on_record(rec).resync
        if after_each is not None:
            after_each(vb, rec)
    return vb, asked


def carrying(row: Row, records: list, symbol: str) -> list:
    """The ``ws`` records that carry a delta for ``symbol``."""
    return [rec for rec, events in decoded(row.spec, records) if any(type(e) is BookDelta and e.symbol == symbol for e in events)]


@pytest.fixture(scope="session")
def recordings(tmp_path_factory):
    """``load(row) → records``, read once per session (synthetic ones written to a temp dir)."""
    cache: dict[str, list] = {}

    def load(row: Row) -> list:
        if row.name not in cache:
            cache[row.name] = row.records(tmp_path_factory.mktemp(row.name))
        return cache[row.name]

    return load


def test_every_registered_venue_has_a_row_and_nothing_else_does():
    assert list(ROWS) == list(NAMES)


# -- symbols ----------------------------------------------------------------------------
@pytest.mark.parametrize("row", rows())
def test_symbols_map_both_ways_and_bad_ones_are_refused(row):
    spec = row.spec
    for native, symbol in row.symbols.items():
        assert (spec.parse_symbol(native), spec.format_symbol(symbol)) == (symbol, native)
    books = VenueBooks(spec, symbols=list(row.symbols.values()))
    assert {books.symbol_map.to_venue[symbol]: symbol for symbol in row.symbols.values()} == row.symbols
    for native, symbol in row.parses.items():
        assert spec.parse_symbol(native) == symbol
    for native in row.bad_venue_symbols:
        with pytest.raises(SymbolError):
            spec.parse_symbol(native)
    for symbol in row.bad_unified_symbols:
        with pytest.raises(SymbolError):
            spec.format_symbol(symbol)


# -- official examples, bad input, fuzzing ----------------------------------------------
@pytest.mark.parametrize("row", rows())
def test_official_examples_decode(row):
    examples = row.examples()
    assert examples
    for name, frame in examples.items():
        assert isinstance(decoder(row).decode(frame, 1), list), name


@pytest.mark.parametrize(
    ("row", "frame"),
    [pytest.param(row, frame, id=f"{row.name}-{i}") for row in ROWS.values() for i, frame in enumerate(row.malformed)],
)
def test_malformed_frames_raise_only_decode_error(row, frame):
    with pytest.raises(DecodeError):
        decoder(row).decode(frame, 1)


@pytest.mark.parametrize("row", rows())
def test_fuzz_mutations_of_real_and_example_frames(row, recordings):
    text, binary = row.fuzz_frames(recordings(row))
    assert text or binary
    for d in decoders(row):
        for frame in frame_mutations(text, seed=row.fuzz_seed, per_frame=row.fuzz_per_frame):
            assert_total(lambda f, d=d: d.decode(f, 1), frame)
        for frame in binary_mutations(binary, seed=row.fuzz_seed, per_frame=row.fuzz_per_frame):
            assert_total(lambda f, d=d: d.decode(f, 1), frame)


@pytest.mark.parametrize("row", rows())
@settings(max_examples=400, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=200), json_values.map(json.dumps)))
def test_fuzz_arbitrary_input(row, frame):
    for d in decoders(row):
        assert_total(lambda f, d=d: d.decode(f, 1), frame)


@pytest.mark.parametrize("row", [p for p in rows() if p.values[0].rest_bodies])
@settings(max_examples=200, deadline=None)
@given(json_values.map(json.dumps))
def test_fuzz_rest_bodies(row, body):
    for url, decode in row.rest_bodies:
        assert_total(lambda b, decode=decode, url=url: [decode(url, b)], body)


@pytest.mark.parametrize("row", rows())
def test_signing_matches_the_vectors(row):
    checks = row.signatures()
    assert checks
    for label, actual, expected in checks:
        assert actual == expected, label


# -- the recording ----------------------------------------------------------------------
@pytest.mark.parametrize("row", rows("replayed"))
def test_recording_replays_with_exact_counts(row, recordings):
    want = row.replayed
    deepest = 0

    def never_crossed(books, _record):
        nonlocal deepest
        for book in books.books().values():
            assert not book.is_crossed(), book
            deepest = max(deepest, *book.depth())

    vb, asked = replay_asking(row.spec, recordings(row), after_each=never_crossed)
    assert vb.errors == {}
    assert tuple(asked) == want.asked
    assert vb.stats.as_dict() == want.stats
    assert dict(vb.controls) == want.controls
    assert (vb.oracle_ok, vb.oracle_failed) == want.oracles
    assert sorted(vb.books()) == sorted(want.books)
    for symbol, expected in want.books.items():
        book = vb.book(symbol)
        assert book.state is BookState.LIVE, symbol
        if expected.seq is not ...:
            assert book.seq == expected.seq, symbol
        if expected.bid is not None:
            assert book.best_bid()[:2] == expected.bid, symbol
        if expected.ask is not None:
            assert book.best_ask()[:2] == expected.ask, symbol
        if expected.depth is not None:
            assert book.depth() == expected.depth, symbol
        if expected.max_depth is not None:
            assert book.max_depth == expected.max_depth, symbol
    if want.deepest is not None:
        assert deepest == want.deepest


@pytest.mark.parametrize("row", rows("lost"))
def test_a_lost_message_is_caught_and_a_fresh_snapshot_resyncs_the_book(row, recordings):
    # Arrange
    lost, spec, records = row.lost, row.spec, recordings(row)
    clean, asked_clean = replay_asking(spec, records)
    victim = carrying(row, records, lost.symbol)[lost.nth]
    # Act
    vb, asked = replay_asking(spec, [rec for rec in records if rec is not victim])
    # Assert: caught once, by the venue's rule; the book is cleared; the others are untouched.
    book = vb.book(lost.symbol)
    caught = vb.stats.gaps - clean.stats.gaps if lost.detected_by == "gap" else vb.stats.checksum_failed - clean.stats.checksum_failed
    assert caught == 1
    assert Counter(asked) == Counter(asked_clean) + Counter({lost.symbol: 1})
    assert book.state is BookState.RESYNCING and lost.detected_by in book.reason and book.depth() == (0, 0)
    for symbol, kept in clean.books().items():
        if symbol != lost.symbol:
            other = vb.book(symbol)
            assert other.is_live and (other.bids(), other.asks()) == (kept.bids(), kept.asks()), symbol
    # A fresh snapshot of the true book (built with the venue's own encoder) brings it back.
    truth = clean.book(lost.symbol)
    encoder = row.encoder(vb.symbol_map, truth.max_depth)
    if spec.snapshot_source == "rest":
        url, body = encoder.rest_snapshot(spec.rest_url, lost.symbol, texts(truth.bids()), texts(truth.asks()), truth.seq, 0)
        assert vb.on_rest(url, body, victim.ts).resync == ()
        assert book.seq == truth.seq
    else:
        [frame] = encoder.snapshot(lost.symbol, truth.bids(), truth.asks(), 1, victim.ts, truth)
        assert vb.on_frame(victim.conn or 0, frame, victim.ts).resync == ()
        assert (book.bids(), book.asks()) == (truth.bids(), truth.asks())  # the venue's own texts too
    assert book.is_live and vb.stats.resyncs == clean.stats.resyncs + 1
    assert (texts(book.bids()), texts(book.asks())) == (texts(truth.bids()), texts(truth.asks()))


@pytest.mark.parametrize("row", rows("refed_symbol"))
def test_deltas_fed_again_newest_first_are_dropped_not_applied(row, recordings):
    records = recordings(row)
    deltas = carrying(row, records, row.refed_symbol)
    vb = samples.replay(row.spec, records)
    book = vb.book(row.refed_symbol)
    before = book.bids(), book.asks()
    dropped = vb.stats.dropped
    for rec in reversed(deltas):  # all already applied, or older than the snapshot
        vb.on_frame(rec.conn or 0, rec.payload, rec.ts)
    assert deltas and vb.stats.dropped == dropped + len(deltas)
    assert (book.bids(), book.asks()) == before and book.is_live


@pytest.mark.parametrize("row", rows("bad_level"))
def test_a_malformed_number_marks_the_book_for_resync_and_is_counted(row, recordings):
    records = recordings(row)
    vb = samples.replay(row.spec, records)
    frame, symbol, other = row.bad_level(vb)
    conn = next(rec.conn for rec in reversed(records) if rec.kind == "ws") or 0
    assert vb.on_frame(conn, frame, 1).resync == (symbol,)
    book = vb.book(symbol)
    assert book.state is BookState.RESYNCING and "bad level" in book.reason
    assert vb.stats.bad_levels == 1 and book.depth() == (0, 0)
    if other is not None:
        assert vb.book(other).is_live  # other books untouched


@pytest.mark.parametrize("row", rows())
def test_bad_frames_are_counted_and_the_feed_goes_on(row, recordings):
    records = recordings(row)
    clean = samples.replay(row.spec, records)
    seed = 5
    print(f"seed={seed}")
    rng = random.Random(seed)
    vb = VenueBooks(row.spec)
    injected = 0
    for rec in records:
        if rec.kind == "ws":  # a malformed frame first, on the same connection
            vb.on_frame(rec.conn or 0, rng.choice(row.malformed), rec.ts)
            injected += 1
        vb.on_record(rec)
        if rec.kind == "rest":  # then a bad body for the book just snapshotted
            vb.on_rest(rec.url, "{garbage", rec.ts)
            injected += 1
    # The bad input is counted and changes nothing else.
    assert {"json", "schema"} <= set(vb.errors)
    if row.counts_every_bad_frame:
        assert sum(vb.errors.values()) == injected
    else:
        assert injected // 2 < sum(vb.errors.values()) < injected
    assert vb.stats.as_dict() == clean.stats.as_dict()
    assert (vb.oracle_ok, vb.oracle_failed, vb.controls) == (clean.oracle_ok, clean.oracle_failed, clean.controls)
    assert sorted(vb.books()) == sorted(clean.books())
    for symbol, kept in clean.books().items():
        book = vb.book(symbol)
        assert (book.state, book.seq, book.bids(), book.asks()) == (kept.state, kept.seq, kept.bids(), kept.asks())


# -- the wire encoder -------------------------------------------------------------------
@pytest.mark.parametrize("row", rows("walk"))
def test_the_encoder_and_the_decoder_agree_on_a_random_walk(row):
    """300 batches of changes to one true book, framed by the venue's encoder: the books a
    client rebuilds stay equal to the truth (cut to the subscribed depth), with every
    sequence, checksum and top-of-book oracle the venue sends checking out."""
    walk, spec = row.walk, row.spec
    print(f"seed={walk.seed}")
    rng = random.Random(walk.seed)
    symbol, window = walk.symbol, walk.depth
    books = VenueBooks(spec, symbols=[symbol])
    encoder = row.encoder(books.symbol_map, window)
    client = spec.decoder(books.symbol_map, FixedParser())  # a second client of the same frames
    truth = OrderBook(spec.name, symbol, None, FixedParser())  # deeper than any subscription

    def level(tick: int) -> tuple[str, str]:
        return f"{tick / 10:.1f}", f"{rng.randint(1, 10**8) / 10**8:.8f}"

    def feed(frames, ts: int) -> list:
        events = []
        for frame in frames:
            assert books.on_frame(1, frame, ts).resync == ()
            events += client.decode(frame, ts)
        return events

    truth.load([level(t) for t in range(900, 990, 3)], [level(t) for t in range(1010, 1100, 3)])
    feed(getattr(encoder, "subscribe_ack", lambda *_: [])(symbol, 0), 0)
    seq = 1000
    if spec.snapshot_source == "rest":
        assert encoder.snapshot(symbol, truth.bids(), truth.asks(), seq, 0, truth) == []
        url, body = encoder.rest_snapshot(spec.rest_url, symbol, texts(truth.bids()), texts(truth.asks()), seq, 0)
        assert query_param(url, spec.snapshot_symbol_param) == books.symbol_map.to_venue[symbol]
        assert books.on_rest(url, body, 0).resync == ()
    else:
        feed(encoder.snapshot(symbol, truth.bids(), truth.asks(), seq, 0, truth), 0)
    for i in range(1, 301):
        ts = 1_700_000_000_000_000_000 + i * 1_000_000
        changes: dict[str, dict[str, str]] = {"bids": {}, "asks": {}}
        for _ in range(rng.randint(0, 4)):  # 0: an empty update (OKX: a heartbeat)
            side, lo, hi = ("bids", 900, 999) if rng.random() < 0.5 else ("asks", 1001, 1100)
            live = (truth.bids if side == "bids" else truth.asks)((window or 10) + 2)
            if live and rng.random() < 0.4:
                changes[side][live[rng.randrange(len(live))][0]] = "0.00000000"  # a delete, often inside the window
            else:
                price, qty = level(rng.randint(lo, hi))
                changes[side][price] = qty
        bids, asks = list(changes["bids"].items()), list(changes["asks"].items())
        truth.apply(bids, asks)
        n = len(bids) + len(asks)
        if spec.seq_rule is SeqRule.CHAIN:
            first, last = seq + 1, seq + (rng.randint(1, 3) if n else 0)
        else:  # one sequence per change at least (KuCoin numbers each); spare ones are no-ops
            first, last = seq + 1, seq + max(n, 1) + rng.randint(0, 2)
        deltas = [e for e in feed(encoder.delta(symbol, bids, asks, first, last, ts, truth), ts) if type(e) is BookDelta]
        seq = last
        assert len(deltas) == 1, i  # one batch, one delta
        if window is None:  # the frames carry exactly the changes (no republished levels)
            assert sum((texts(d.bids) for d in deltas), []) == bids, i
            assert sum((texts(d.asks) for d in deltas), []) == asks, i
        if spec.seq_rule is SeqRule.RANGE:
            assert (deltas[0].first_seq, deltas[-1].last_seq) == (first, last)
        elif spec.seq_rule is SeqRule.CHAIN:
            assert (deltas[0].prev_seq, deltas[-1].last_seq) == (first - 1, last)
        if walk.oracle is not None:
            bid, ask = truth.best_bid(), truth.best_ask()
            feed([walk.oracle(encoder, symbol, bid and bid[:2], ask and ask[:2], seq, ts)], ts)
        book = books.book(symbol)
        assert book.is_live, i
        assert (texts(book.bids()), texts(book.asks())) == (texts(truth.bids(window)), texts(truth.asks(window))), i
        if spec.seq_rule is not SeqRule.NONE:
            assert book.seq == seq, i
    events = feed(encoder.heartbeat(ts), ts)
    assert all(type(e) is Control for e in events)
    assert books.errors == {} and books.stats.gaps == books.stats.resyncs == books.stats.checksum_failed == 0
    if spec.checksum is not None:
        assert books.stats.checksum_ok == 301
    if walk.oracle is not None:
        assert (books.oracle_ok, books.oracle_failed) == (300, 0)


def test_retry_after_is_read_once_for_every_venue():
    from arb.venues.trading import retry_after_s

    assert retry_after_s({"Retry-After": "2.5"}) == 2.5
    assert retry_after_s({"retry-after": "-3"}) == 0.0
    assert retry_after_s({"Retry-After": "soon"}) is None and retry_after_s({}) is None
    assert retry_after_s({"Retry-After": "inf"}) is None and retry_after_s({"Retry-After": "nan"}) is None
    assert retry_after_s({"gw-ratelimit-reset": "1500"}, "gw-ratelimit-reset", 0.001) == 1.5
