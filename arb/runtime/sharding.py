"""Which scanner shard a symbol belongs to: rendezvous (highest-random-weight) hashing.

``crc32(symbol) % shards`` is stable, but growing from n to n + 1 shards moves almost every
symbol (only about 1/(n+1) keep their residue), and each move is a resubscription and a
resynced book. With rendezvous hashing every (symbol, shard id) pair gets a pseudo-random
weight and a symbol belongs to the shard of highest weight: a new shard takes exactly the
symbols it now outweighs — about 1/(n+1) of them, from every other shard alike — and a
shard that leaves hands only its own symbols to the rest; nothing else moves.

Weights are BLAKE2b of ``"symbol#shard"`` (8 bytes): the same on every machine, process and
Python version. Shard ids are small non-negative ints, not positions: removing shard 1 of
{0, 1, 2} leaves {0, 2}, and adding 1 again restores exactly the old placement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence


def weight(symbol: str, shard: int) -> int:
    """The pseudo-random weight of ``symbol`` on shard ``shard`` (64 bits)."""
    return int.from_bytes(hashlib.blake2b(f"{symbol}#{shard}".encode(), digest_size=8).digest(), "big")


def shard_of(symbol: str, shards: int | Iterable[int]) -> int:
    """The shard ``symbol`` belongs to among ``shards`` (ids; an int ``n`` means ``0…n-1``).
    Raises ``ValueError`` for no shards."""
    ids = range(shards) if isinstance(shards, int) else shards
    best, owner = -1, None
    for shard in ids:
        w = weight(symbol, shard)
        if w > best:
            best, owner = w, shard
    if owner is None:
        raise ValueError("no shards to place a symbol on")
    return owner


def assign(symbols: Iterable[str], shards: int | Iterable[int]) -> dict[int, list[str]]:
    """Every shard id → its symbols, in the order given (a shard may get none)."""
    ids = list(range(shards) if isinstance(shards, int) else shards)
    out: dict[int, list[str]] = {shard: [] for shard in ids}
    for symbol in symbols:
        out[shard_of(symbol, ids)].append(symbol)
    return out


def moves(before: Mapping[int, Sequence[str]], after: Mapping[int, Sequence[str]]) -> dict[str, tuple[int, int]]:
    """The symbols whose shard changed between two assignments: symbol → (from, to)."""
    old = {symbol: shard for shard, symbols in before.items() for symbol in symbols}
    new = {symbol: shard for shard, symbols in after.items() for symbol in symbols}
    return {symbol: (old[symbol], shard) for symbol, shard in new.items() if symbol in old and old[symbol] != shard}
