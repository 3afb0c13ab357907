"""The "arb recording v1" line types.

Line 1 is a :class:`Header`; every later line is a :class:`Record`, sorted by ``ts``.
Unknown keys are ignored on read (the format may grow).
"""

from __future__ import annotations

import base64

import msgspec

FORMAT = "arb-recording"
VERSION = 1
KINDS = frozenset({"connect", "ws", "ws_out", "rest"})
#: Record times arb believes: 2009-01-01 to 2100-01-01 (UTC), in ns. A record outside them is
#: damaged (a replay would otherwise step towards year 2262, or back to 1970).
EARLIEST_NS = 1_230_768_000 * 10**9
LATEST_NS = 4_102_444_800 * 10**9


class Header(msgspec.Struct, omit_defaults=True):
    format: str
    version: int
    venue: str | None = None
    symbols: list[str] = []
    source: str = ""


class Record(msgspec.Struct, omit_defaults=True, gc=False):
    """One captured event. ``data`` is the exact wire text; ``data_b64`` a binary frame."""

    ts: int
    venue: str
    kind: str
    conn: int | None = None
    url: str | None = None
    data: str | None = None
    data_b64: str | None = None

    @property
    def payload(self) -> str | bytes:
        """The frame as received: ``str`` for text, ``bytes`` for binary frames."""
        if self.data is not None:
            return self.data
        if self.data_b64 is not None:
            return base64.b64decode(self.data_b64, validate=True)
        return ""
