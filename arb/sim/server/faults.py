"""Fault injection for simulated venues: what breaks, how often, decided from a seed.

Stream faults hit book deltas (a recorded frame in replay mode). For every delta a venue
publishes, :meth:`FaultPlan.next` draws once from the venue's own ``random.Random`` —
whether anyone listens or not — so a config, a seed and the market's sequence of changes
always give the same schedule. The kinds:

- ``drop`` — the connections that would carry the delta are cut abruptly (no close frame);
- ``stall`` — those connections go silent for ``stall_s`` (nothing sent, nothing read),
  then everything held back arrives;
- ``gap`` — the delta is never sent (its sequence numbers are spent);
- ``checksum`` — the delta carries a wrong checksum (venues with checksums: Kraken, OKX);
- ``malformed`` — a broken frame (garbage, or the delta cut short: truncated JSON or
  protobuf) arrives just before the intact delta;
- ``duplicate`` — the delta arrives twice;
- ``reorder`` — the delta arrives after the next frame of its connection.

REST faults draw from a second ``Random`` per request: ``slow`` (the answer waits
``rest_delay_s``) and ``429`` (Too Many Requests with ``Retry-After``). Tests can also
force a fault on the next delta (:meth:`FaultPlan.force`) or request.
"""

from __future__ import annotations

import random
import re
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, fields

from arb.venues.wire import Frame

#: Stream fault kinds, in the order their probabilities are stacked.
STREAM_FAULTS = ("drop", "stall", "gap", "checksum", "malformed", "duplicate", "reorder")
#: REST fault kinds (the config fields are ``rest_slow`` and ``rest_429``).
REST_FAULTS = ("slow", "429")
#: Ways a frame is malformed.
MALFORMED = ("garbage", "truncated")


@dataclass(frozen=True)
class FaultConfig:
    """Per-venue fault rates: each stream fault's probability per published delta, each
    REST fault's per request. ``after`` deltas pass untouched first (clients sync);
    ``limit`` caps the stream faults injected (None: no cap)."""

    seed: int = 0
    drop: float = 0.0
    stall: float = 0.0
    gap: float = 0.0
    checksum: float = 0.0
    malformed: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    stall_s: float = 2.0
    rest_slow: float = 0.0
    rest_delay_s: float = 0.5
    rest_429: float = 0.0
    retry_after_s: int = 1
    after: int = 0
    limit: int | None = None

    @property
    def stream_rate(self) -> float:
        return sum(getattr(self, kind) for kind in STREAM_FAULTS)

    def validate(self, venue: str, has_checksum: bool) -> list[str]:
        """Every problem as ``"faults.<venue>.<key>: reason"`` (empty when usable)."""
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in STREAM_FAULTS or f.name in ("rest_slow", "rest_429"):
                if not 0.0 <= value <= 1.0:
                    problems.append(f"faults.{venue}.{f.name}: a probability in [0, 1], got {value!r}")
            elif f.name in ("stall_s", "rest_delay_s", "retry_after_s", "after") and value < 0:
                problems.append(f"faults.{venue}.{f.name}: must not be negative, got {value!r}")
        if self.stream_rate > 1.0:
            problems.append(f"faults.{venue}: stream fault probabilities add up to {self.stream_rate:g} > 1")
        if self.rest_slow + self.rest_429 > 1.0:
            problems.append(f"faults.{venue}: rest_slow + rest_429 > 1")
        if self.checksum and not has_checksum:
            problems.append(f"faults.{venue}.checksum: {venue} frames carry no checksum")
        if self.limit is not None and self.limit < 0:
            problems.append(f"faults.{venue}.limit: must not be negative, got {self.limit!r}")
        return problems


class FaultPlan:
    """The seeded fault schedule of one venue, and what was injected (``counts``)."""

    def __init__(self, config: FaultConfig, venue: str) -> None:
        self.config = config
        self.venue = venue
        self._rng = random.Random(f"{config.seed}:{venue}:stream")
        self._rest_rng = random.Random(f"{config.seed}:{venue}:rest")
        self._variant_rng = random.Random(f"{config.seed}:{venue}:variant")
        thresholds = []
        total = 0.0
        for kind in STREAM_FAULTS:
            p = getattr(config, kind)
            if p:
                total += p
                thresholds.append((total, kind))
        self._thresholds = thresholds
        self._rate = total
        self._forced: deque[tuple[str, str | None]] = deque()
        self._forced_rest: deque[str] = deque()
        #: Deltas seen so far.
        self.deltas = 0
        self._drawn = 0
        #: Faults injected, by kind (``rest-slow``/``rest-429`` for REST).
        self.counts: Counter[str] = Counter()

    # -- stream ---------------------------------------------------------------------------
    @property
    def forced(self) -> bool:
        """Whether forced faults are waiting."""
        return bool(self._forced)

    def force(self, kind: str, symbol: str | None = None, count: int = 1) -> None:
        """Inject ``kind`` on the next ``count`` deltas (of ``symbol``, when given)."""
        if kind not in STREAM_FAULTS:
            raise ValueError(f"unknown stream fault {kind!r}; known: {', '.join(STREAM_FAULTS)}")
        self._forced.extend([(kind, symbol)] * count)

    def next(self, symbol: str | None) -> str | None:
        """The fault for the next delta (of ``symbol``), or None. Draws exactly once per
        delta whenever a rate is set, so forced faults do not shift the schedule."""
        self.deltas += 1
        forced = None
        if self._forced:
            kind, wanted = self._forced[0]
            if wanted is None or wanted == symbol:
                self._forced.popleft()
                forced = kind
        if not self._rate:
            return forced
        r = self._rng.random()
        if forced is not None:
            return forced
        config = self.config
        if self.deltas <= config.after or (config.limit is not None and self._drawn >= config.limit):
            return None
        if r >= self._rate:
            return None
        self._drawn += 1
        for threshold, kind in self._thresholds:
            if r < threshold:
                return kind
        return self._thresholds[-1][1]  # float rounding at the top edge

    def schedule(self, n: int, symbol: str | None = None) -> list[tuple[int, str]]:
        """The faults of the next ``n`` deltas as ``(index, kind)`` — computed on a copy of
        this plan, which it leaves untouched."""
        twin = FaultPlan(self.config, self.venue)
        twin._rng.setstate(self._rng.getstate())
        twin.deltas, twin._drawn = self.deltas, self._drawn
        twin._forced = deque(self._forced)
        out = []
        for _ in range(n):
            kind = twin.next(symbol)
            if kind is not None:
                out.append((twin.deltas, kind))
        return out

    def malformed(self, frame: Frame, fails: Callable[[Frame], bool]) -> Frame:
        """A broken version of ``frame`` that ``fails`` to decode: ``frame`` cut short
        (truncated JSON or protobuf), or garbage."""
        variant = MALFORMED[self._variant_rng.randrange(len(MALFORMED))]
        if variant == "truncated" and len(frame) > 2:
            cut = frame[: len(frame) // 2]
            if fails(cut):
                self.counts["malformed-truncated"] += 1
                return cut
        self.counts["malformed-garbage"] += 1
        return garbage(self._variant_rng, binary=type(frame) is bytes)

    # -- REST -----------------------------------------------------------------------------
    def force_rest(self, kind: str, count: int = 1) -> None:
        """Answer the next ``count`` REST requests with ``kind`` (``slow`` or ``429``)."""
        if kind not in REST_FAULTS:
            raise ValueError(f"unknown REST fault {kind!r}; known: {', '.join(REST_FAULTS)}")
        self._forced_rest.extend([kind] * count)

    def next_rest(self) -> str | None:
        """The fault for the next REST request, or None (one draw per request)."""
        config = self.config
        drawn = None
        if config.rest_slow or config.rest_429:
            r = self._rest_rng.random()
            if r < config.rest_429:
                drawn = "429"
            elif r < config.rest_429 + config.rest_slow:
                drawn = "slow"
        if self._forced_rest:
            return self._forced_rest.popleft()
        return drawn


def garbage(rng: random.Random, binary: bool) -> Frame:
    """Bytes or text no venue decoder accepts (never valid JSON or a complete protobuf)."""
    if binary:
        # Field 1 (channel), length-delimited, claiming more bytes than follow.
        return bytes((0x0A, 0x7F)) + bytes(rng.randrange(256) for _ in range(8))
    return "}{" + "".join(rng.choice("abcdef0123456789") for _ in range(12))


_CHECKSUM = re.compile(r'"checksum":(-?\d+)')


def corrupt_checksum(frame: Frame) -> Frame | None:
    """``frame`` with every ``"checksum"`` value changed (None when it carries none).

    The value is XORed with ``0x5A5A5A5A``: it stays in the venue's 32-bit range (signed
    for OKX, unsigned for Kraken) and never becomes 0, which OKX reads as "not checked".
    """
    if type(frame) is not str:
        return None

    def flip(match: re.Match[str]) -> str:
        wrong = int(match.group(1)) ^ 0x5A5A5A5A
        return f'"checksum":{wrong or 1}'

    text, n = _CHECKSUM.subn(flip, frame)
    return text if n else None
