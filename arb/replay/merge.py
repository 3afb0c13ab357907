"""Several recordings as one stream of records, in time order.

Backtests replay every file at once: records of all files are merged by ``ts``
(``heapq.merge``: equal times keep file order) and read as streams, never loaded whole.
"""

from __future__ import annotations

import heapq
import os
import time
from collections.abc import Callable, Iterator, Sequence

from arb.record.format import Record
from arb.record.reader import RecordingReader

#: ``progress(bytes_read, bytes_total)``
Progress = Callable[[int, int], None]


def merged_records(paths: Sequence[str | os.PathLike[str]], progress: Progress | None = None) -> Iterator[Record]:
    """Records of every file, merged by ``ts`` (stable), read as streams."""
    readers = [RecordingReader(p) for p in paths]
    total = sum(os.path.getsize(r.path) for r in readers)
    try:
        if progress is None:
            yield from heapq.merge(*readers, key=_ts)
            return
        last = 0.0
        for n, record in enumerate(heapq.merge(*readers, key=_ts)):
            if n % 4096 == 0 and time.monotonic() - last > 0.2:
                last = time.monotonic()
                progress(sum(r.position() for r in readers), total)
            yield record
        progress(total, total)
    finally:
        for reader in readers:
            reader.close()


def _ts(record: Record) -> int:
    return record.ts
