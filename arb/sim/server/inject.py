"""Deliver one delta's frames to its subscribers with a fault (see :mod:`~arb.sim.server.faults`).

Frames arrive serialised (:mod:`~arb.sim.server.frames`); the faults that change a frame's
content (checksum, malformed) read the message back out of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence

from arb.core.errors import DecodeError
from arb.sim.server.faults import FaultPlan, corrupt_checksum
from arb.sim.server.frames import Numbered, Out, unwire, wire
from arb.sim.server.session import Session
from arb.venues.base import Decoder
from arb.venues.wire import Frame


class Injector:
    """Applies faults for one venue server. ``decoder()`` makes a fresh venue decoder (to
    make sure a malformed frame really fails); ``flush()`` writes what was queued."""

    def __init__(
        self,
        plan: FaultPlan,
        decoder: Callable[[], Decoder],
        flush: Callable[[], object],
        reorder_release_s: float,
    ) -> None:
        self.plan = plan
        self.decoder = decoder
        self.flush = flush
        self.reorder_release_s = reorder_release_s
        self.timers: set[asyncio.TimerHandle] = set()

    def deliver(self, fault: str, sessions: list[Session], outs: Sequence[Out]) -> None:
        """Send ``outs`` (one delta) to ``sessions`` with ``fault``."""
        if fault == "drop":
            for session in sessions:
                session.abort()
            return
        if fault == "gap":
            for out in outs:
                if type(out) is Numbered:  # a lost Coinbase message still spends its number
                    for session in sessions:
                        session.skip_number()
            return
        if fault == "stall":
            self.stall(sessions, self.plan.config.stall_s)
        elif fault == "checksum":
            outs = [_corrupt(out) for out in outs]
        elif fault == "malformed" and outs:
            first = outs[0]
            text = first.text(0) if isinstance(first, Numbered) else unwire(first)
            outs = [wire(self.plan.malformed(text, self.fails)), *outs]
        if fault == "reorder" and outs:
            for session in sessions:
                session.hold(outs[0])
                for out in outs[1:]:
                    session.send(out)
            self.later(self.reorder_release_s, self._release, sessions)
            return
        duplicate = fault == "duplicate"
        for session in sessions:
            for out in outs:
                if duplicate and type(out) is Numbered:
                    data = out.render(session.number)  # the same sequence_num twice
                    session.skip_number()
                    session.send(data)
                    session.send(data)
                else:
                    session.send(out)
                    if duplicate:
                        session.send(out)

    def fails(self, frame: Frame) -> bool:
        """Whether the venue's own decoder rejects ``frame``."""
        try:
            self.decoder().decode(frame, 0)
        except DecodeError:
            return True
        return False

    def stall(self, sessions: Iterable[Session], seconds: float) -> None:
        stalled = [s for s in sessions if not s.stalled and not s.closed]
        for session in stalled:
            session.stall()
        if stalled:
            self.later(seconds, self._unstall, stalled)

    def _unstall(self, sessions: list[Session]) -> None:
        now = asyncio.get_running_loop().time()
        for session in sessions:
            session.unstall(now)

    def _release(self, sessions: list[Session]) -> None:
        for session in sessions:
            session.release()
        self.flush()

    def later(self, delay: float, callback: Callable[..., None], *args: object) -> None:
        def fire() -> None:
            self.timers.discard(handle)
            callback(*args)

        handle = asyncio.get_running_loop().call_later(delay, fire)
        self.timers.add(handle)

    def cancel(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()


def _corrupt(out: Out) -> Out:
    if isinstance(out, Numbered):
        return out
    wrong = corrupt_checksum(unwire(out))
    return out if wrong is None else wire(wrong)

