"""write_recording: real wire formats that `arb verify` rebuilds exactly, for every venue."""

from __future__ import annotations

import base64
import gzip
import json
import tempfile
from pathlib import Path
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arb.core.errors import ConfigError
from arb.record import RecordingReader
from arb.replay.verify import verify
from arb.sim.config import DislocationConfig
from arb.sim.presets import market, seven_venues, three_venues
from arb.sim.recording import WireTiming, write_recording
from arb.venues.registry import ENCODERS
from arb.venues.registry import get as get_spec

SEED = 20240101
VENUES = sorted(ENCODERS)


def records(path):
    with RecordingReader(path) as reader:
        return reader.header, list(reader)


def assert_verifies_to_the_true_books(paths, generated, venues, symbols):
    """Zero gaps, checksum failures and errors; every book live and equal to the model's."""
    result = verify(paths)
    summary = result.summary()
    assert summary["gaps"] == 0 and summary["resyncs"] == 0 and summary["errors"] == 0, summary
    assert summary["checksums"]["failed"] == 0 and result.ok
    assert summary["oracles"]["failed"] == 0
    books = dict(result.books())
    assert set(books) == {f"{v}:{s}" for v in venues for s in symbols}
    for key, book in books.items():
        venue, symbol = key.split(":")
        truth = generated.model.book(venue, symbol)
        assert book.is_live, (key, book.reason)
        assert book.bid_levels() == truth.bid_levels(), key
        assert book.ask_levels() == truth.ask_levels(), key
    return result


@pytest.mark.parametrize("venue", VENUES)
def test_each_venue_verifies_with_zero_gaps_and_rebuilds_the_true_books(tmp_path, venue):
    # Arrange
    print("seed", SEED)
    config = market((venue,), 3, dislocations=DislocationConfig(rate_per_min=30))
    spec = get_spec(venue)
    path = tmp_path / f"{venue}.jsonl"

    # Act
    generated = write_recording(path, config, SEED, duration_s=2.0)

    # Assert: the verify contract and the true books.
    result = assert_verifies_to_the_true_books([path], generated, [venue], config.symbol_names)
    header, recs = records(path)
    assert header.venue == venue and header.symbols == list(config.symbol_names)
    assert generated.records == len(recs) and generated.frames > 50
    if spec.checksum is not None:
        assert result.stats.checksum_ok > 50
    # The client's side of the connection: the venue's real URL, then its subscribe frames.
    natives = [spec.format_symbol(s) for s in config.symbol_names]
    assert recs[0].kind == "connect" and recs[0].url == spec.connect_url(spec.ws_url, natives, spec.depth)
    outgoing = [r for r in recs if r.kind == "ws_out"]
    sent_ms = outgoing[0].ts // 1_000_000 if outgoing else 0
    assert [r.data for r in outgoing] == spec.subscribe_frames(natives, spec.depth, sent_ms)
    rest = [r for r in recs if r.kind == "rest"]
    if spec.snapshot_source == "rest":
        # One REST body per symbol, arriving after the stream started: deltas buffer, then bridge.
        assert len(rest) == 3
        first_ws = next(r.ts for r in recs if r.kind == "ws")
        assert all(r.ts > first_ws for r in rest)
        assert result.stats.buffered > 0 and result.stats.dropped + result.stats.applied > 0
    else:
        assert rest == [] and result.stats.snapshots == 3
    # Binary venues (MEXC protobuf) send their pushes as data_b64.
    binary = [r for r in recs if r.data_b64 is not None]
    assert bool(binary) == (venue == "mexc")


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    venues=st.lists(st.sampled_from(VENUES), min_size=1, max_size=3, unique=True),
    n_symbols=st.integers(1, 4),
    rest_delay_ms=st.integers(0, 400),
    latency_ms=st.floats(0, 80),
    jitter_ms=st.floats(0, 50),
)
def test_property_any_seed_and_timing_verifies_exactly(seed, venues, n_symbols, rest_delay_ms, latency_ms, jitter_ms):
    config = market(tuple(venues), n_symbols, dislocations=DislocationConfig(rate_per_min=60))
    config = replace(config, venues=tuple(replace(v, latency_ms=latency_ms, latency_jitter_ms=jitter_ms) for v in config.venues))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.jsonl"
        generated = write_recording(path, config, seed, 1.5, timing=WireTiming(rest_delay_ms=rest_delay_ms))
        assert_verifies_to_the_true_books([path], generated, venues, config.symbol_names)
        _, recs = records(path)
        assert [r.ts for r in recs] == sorted(r.ts for r in recs)


def test_records_are_in_time_order_and_frames_are_received_after_the_venue_sent_them(tmp_path):
    path = tmp_path / "binance.jsonl"
    write_recording(path, market(("binance",), 2), SEED, duration_s=1.0)
    _, recs = records(path)
    assert [r.ts for r in recs] == sorted(r.ts for r in recs)
    for rec in recs:
        if rec.kind == "ws":
            data = json.loads(rec.data)["data"]
            assert data["E"] * 1_000_000 <= rec.ts < data["E"] * 1_000_000 + 100_000_000


def test_rest_snapshot_may_fall_inside_a_buffered_delta_like_a_lagging_rest_cache(tmp_path):
    path = tmp_path / "binance.jsonl"
    write_recording(path, market(("binance",), 10), SEED, duration_s=1.0)
    _, recs = records(path)
    deltas = [json.loads(r.data)["data"] for r in recs if r.kind == "ws"]
    straddles = 0
    for rec in recs:
        if rec.kind == "rest":
            snap_id = json.loads(rec.data)["lastUpdateId"]
            native = rec.url.split("symbol=")[1].split("&")[0]
            straddles += any(d["s"] == native and d["U"] <= snap_id < d["u"] for d in deltas)
    assert straddles >= 1  # and the verify test above shows such books still rebuild exactly


def test_one_file_with_every_venue_and_one_file_per_venue_give_the_same_books(tmp_path):
    # Arrange
    config = seven_venues(3)

    # Act
    together = write_recording(tmp_path / "all.jsonl.gz", config, SEED, duration_s=1.5)
    apart = write_recording(str(tmp_path / "sim-{venue}.jsonl"), config, SEED, duration_s=1.5)

    # Assert
    header, recs = records(tmp_path / "all.jsonl.gz")
    assert header.venue is None and {r.venue for r in recs} == set(config.venue_names)
    assert len({(r.venue, r.conn) for r in recs if r.conn is not None}) == len({r.conn for r in recs if r.conn})
    one = assert_verifies_to_the_true_books([tmp_path / "all.jsonl.gz"], together, config.venue_names, config.symbol_names)
    files = [tmp_path / f"sim-{v}.jsonl" for v in config.venue_names]
    many = assert_verifies_to_the_true_books(files, apart, config.venue_names, config.symbol_names)
    assert one.summary()["books"] == many.summary()["books"]
    assert sorted(apart.paths.values()) == sorted(str(f) for f in files)
    assert together.records == apart.records == sum(apart.records_by_venue.values())


def test_mexc_shards_symbols_across_connections(tmp_path):
    config = replace(market(("mexc",), 3), venues=(replace(market(("mexc",), 3).venues[0], symbols_per_connection=2),))
    generated = write_recording(tmp_path / "mexc.jsonl", config, SEED, duration_s=1.0)
    _, recs = records(tmp_path / "mexc.jsonl")
    assert [r.conn for r in recs if r.kind == "connect"] == [1, 2]
    assert_verifies_to_the_true_books([tmp_path / "mexc.jsonl"], generated, ["mexc"], config.symbol_names)


def test_same_seed_gives_byte_identical_recordings(tmp_path):
    print("seed", SEED)
    config = three_venues(4)
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    write_recording(tmp_path / "a" / "x.jsonl", config, SEED, 1.0)
    write_recording(tmp_path / "b" / "x.jsonl", config, SEED, 1.0)
    write_recording(tmp_path / "c" / "x.jsonl", config, SEED + 1, 1.0)
    a, b, c = ((tmp_path / n / "x.jsonl").read_bytes() for n in "abc")
    assert a == b
    assert a != c
    # Gzip output holds the same bytes once decompressed (its header stamps the write time).
    write_recording(tmp_path / "a" / "x.jsonl.gz", config, SEED, 1.0)
    assert gzip.decompress((tmp_path / "a" / "x.jsonl.gz").read_bytes()) == a


def test_dislocations_are_reported_and_in_the_recorded_prices(tmp_path):
    config = market(("binance", "okx"), 2, dislocations=DislocationConfig(rate_per_min=120, size_bps=100, duration_s=0.5))
    generated = write_recording(tmp_path / "x.jsonl", config, SEED, duration_s=3.0)
    assert generated.dislocations
    d = generated.dislocations[0]
    assert d.venue in config.venue_names and d.symbol in config.symbol_names and abs(d.bps) == 100
    assert d.end_ns - d.start_ns == 500_000_000


def test_existing_files_are_refused_unless_overwrite(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text("keep me\n")
    with pytest.raises(FileExistsError):
        write_recording(path, market(("binance",), 1), SEED, 0.5)
    assert path.read_text() == "keep me\n"
    write_recording(path, market(("binance",), 1), SEED, 0.5, overwrite=True)
    assert records(path)[0].venue == "binance"


def test_bad_inputs_name_the_problem(tmp_path):
    with pytest.raises(ConfigError, match="no file named"):
        write_recording({"binance": tmp_path / "b.jsonl"}, market(("binance", "okx"), 1), SEED, 0.5)
    deep = replace(market(("kraken",), 1), venues=(replace(market(("kraken",), 1).venues[0], levels=101),))
    with pytest.raises(ConfigError, match="levels"):
        write_recording(tmp_path / "k.jsonl", deep, SEED, 0.5)


def test_heartbeats_and_acks_where_the_venue_sends_them(tmp_path):
    generated = write_recording(
        tmp_path / "x.jsonl", market(("kraken", "okx"), 1), SEED, duration_s=2.5, timing=WireTiming(heartbeat_s=1.0)
    )
    _, recs = records(tmp_path / "x.jsonl")
    kraken = [r.data for r in recs if r.venue == "kraken" and r.kind == "ws"]
    assert kraken.count('{"channel":"heartbeat"}') == 2
    assert any('"method":"subscribe"' in f and '"success":true' in f for f in kraken)
    assert any('"event":"subscribe"' in r.data for r in recs if r.venue == "okx" and r.kind == "ws")
    assert generated.frames == sum(1 for r in recs if r.kind == "ws")


def test_mexc_binary_frames_round_trip_as_bytes(tmp_path):
    write_recording(tmp_path / "m.jsonl", market(("mexc",), 1), SEED, duration_s=0.5)
    _, recs = records(tmp_path / "m.jsonl")
    frames = [r for r in recs if r.kind == "ws"]
    assert frames and all(isinstance(r.payload, bytes) and base64.b64decode(r.data_b64) == r.payload for r in frames)
