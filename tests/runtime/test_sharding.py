"""Rendezvous hashing: growing or shrinking the shard set moves only the symbols of the shard that
joined or left — about 1/(n+1) of them — where ``crc32 % n`` moved almost all."""

from __future__ import annotations

import zlib

import pytest

from arb.runtime.sharding import assign, moves, shard_of, weight
from arb.sim.presets import synthetic

SYMBOLS = list(synthetic(1000).symbol_names)


def test_a_symbol_has_one_stable_shard():
    assert shard_of("BTC/USDT", 4) == shard_of("BTC/USDT", [0, 1, 2, 3])
    assert weight("BTC/USDT", 3) == 16946848269324835534  # BLAKE2b: the same on every machine and run
    with pytest.raises(ValueError):
        shard_of("BTC/USDT", [])
    counts = [len(v) for v in assign(SYMBOLS, 4).values()]
    assert sum(counts) == 1000 and min(counts) > 200  # spread about evenly


@pytest.mark.parametrize("n", [1, 2, 4, 9])
def test_adding_a_shard_moves_only_its_symbols_about_one_in_n_plus_one(n):
    before, after = assign(SYMBOLS, n), assign(SYMBOLS, n + 1)
    moved = moves(before, after)
    assert set(moved) == set(after[n])  # every moved symbol went to the new shard …
    assert all(to == n for _, to in moved.values())
    for shard in range(n):  # … and every other symbol stayed where it was
        assert set(after[shard]) == set(before[shard]) - set(moved)
    assert abs(len(moved) / len(SYMBOLS) - 1 / (n + 1)) < 0.05


def test_removing_a_shard_moves_only_its_symbols_and_adding_it_back_restores_the_placement():
    ids = [0, 1, 2, 3]
    before = assign(SYMBOLS, ids)
    after = assign(SYMBOLS, [0, 2, 3])
    moved = moves(before, after)
    assert set(moved) == set(before[1]) and all(frm == 1 for frm, _ in moved.values())
    assert assign(SYMBOLS, ids) == before


def test_crc32_modulo_would_move_almost_everything():
    # The baseline this replaces: growing 4 → 5 shards keeps a symbol only if crc32 % 4 == crc32 % 5.
    kept = sum(zlib.crc32(s.encode()) % 4 == zlib.crc32(s.encode()) % 5 for s in SYMBOLS)
    assert kept / len(SYMBOLS) < 0.3
