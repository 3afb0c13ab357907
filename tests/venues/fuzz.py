"""Decoder fuzzing for the venue contract (test_contract.py) and venue-specific tests.

The contract: for *any* input a decoder returns a list of events or raises
:class:`arb.core.errors.DecodeError` — nothing else, and it never hangs.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import strategies as st

from arb.core.errors import DecodeError

#: JSON values of every type, small.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)


def mutate(value: Any, rng: random.Random) -> Any:
    """One random structural change somewhere inside a decoded JSON value."""
    if isinstance(value, dict) and value:
        key = rng.choice(list(value))
        roll = rng.random()
        if roll < 0.25:
            return {k: v for k, v in value.items() if k != key}
        if roll < 0.5:
            return {**value, key: rng.choice([None, 1, -1, 2**70, "x", "", [], {}, 1.5, True, "1e999", "-0.1"])}
        return {**value, key: mutate(value[key], rng)}
    if isinstance(value, list) and value:
        i = rng.randrange(len(value))
        roll = rng.random()
        if roll < 0.3:
            return value[:i] + value[i + 1 :]
        if roll < 0.5:
            return value + [value[i]]
        return value[:i] + [mutate(value[i], rng)] + value[i + 1 :]
    if isinstance(value, str):
        return rng.choice(["", "abc", "-1", "1e-30", "0x10", "１２", value[: len(value) // 2], value + "0" * 30, "NaN"])
    return rng.choice([None, "", "a", [], {}, -1, 10**30, 0.5])


def frame_mutations(frames: Iterable[str], seed: int, per_frame: int = 40) -> list[str]:
    """Structural mutants and byte-level corruptions of real frames (deterministic by seed)."""
    rng = random.Random(seed)
    out: list[str] = []
    for frame in frames:
        try:
            value = json.loads(frame)
        except ValueError:
            value = None
        for _ in range(per_frame):
            if value is not None and rng.random() < 0.7:
                mutant = value
                for _ in range(rng.randint(1, 3)):
                    mutant = mutate(mutant, rng)
                out.append(json.dumps(mutant))
            else:
                cut = rng.randrange(len(frame) + 1)
                corrupt = frame[:cut] + rng.choice(["", "}", "\x00", "]]", '"', "ÿ"]) + frame[cut + rng.randint(0, 3) :]
                out.append(corrupt)
    return out


def assert_total(decode: Callable[[Any], object], frame: Any) -> None:
    """``decode(frame)`` returns a list or raises DecodeError, nothing else."""
    try:
        result = decode(frame)
    except DecodeError:
        return
    assert isinstance(result, list), type(result)


def binary_mutations(frames: Iterable[bytes], seed: int, per_frame: int = 40) -> list[bytes]:
    """Truncations, byte flips, insertions and deletions of real-shaped binary frames."""
    rng = random.Random(seed)
    out = []
    for frame in frames:
        for _ in range(per_frame):
            i = rng.randrange(len(frame) + 1)
            roll = rng.random()
            if roll < 0.25:
                out.append(frame[:i])
            elif roll < 0.5 and i < len(frame):
                out.append(frame[:i] + bytes([frame[i] ^ (1 << rng.randrange(8))]) + frame[i + 1 :])
            elif roll < 0.75:
                out.append(frame[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 4))) + frame[i:])
            else:
                out.append(frame[:i] + frame[i + rng.randint(1, 4) :])
    return out
