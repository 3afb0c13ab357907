"""Repeated warnings, summarised: the first few of each kind, then one line with the count.

A recording with 717 bad frames must not print 717 warnings (nor hide them): while
:func:`summarised_warnings` is active, every handler of the root logger lets through the
first ``keep`` warnings of each kind and counts the rest; on exit it logs one line per kind
that was cut short, with its count. A *kind* is the logger, the level, the message
template (``"%s conn %s: skipped frame: %s"``, not the formatted text) and the class and
``reason`` of any exception among the arguments (a ``DecodeError``'s ``schema`` and
``number`` are two kinds) — structured fields, never the message text.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TypeAlias

log = logging.getLogger("arb.warnings")


#: What makes two log records "the same": logger, level, message template, exception causes.
_Kind: TypeAlias = tuple[str, int, str, tuple[str, ...]]


class RepeatDigest(logging.Filter):
    """A handler filter: the first ``keep`` records of each kind pass, later ones are counted."""

    def __init__(self, keep: int = 3) -> None:
        super().__init__()
        self.keep = keep
        self.counts: dict[_Kind, int] = {}
        self.first: dict[_Kind, str] = {}
        #: One record goes to every handler in turn: it is counted once, decided once.
        self._last: tuple[logging.LogRecord | None, bool] = (None, True)

    @staticmethod
    def kind(record: logging.LogRecord) -> _Kind:
        args = record.args if isinstance(record.args, tuple) else ()
        causes = tuple(f"{type(a).__name__}:{getattr(a, 'reason', '')}" for a in args if isinstance(a, BaseException))
        return record.name, record.levelno, str(record.msg), causes

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or record.name == log.name:
            return True
        if self._last[0] is record:
            return self._last[1]
        key = self.kind(record)
        n = self.counts[key] = self.counts.get(key, 0) + 1
        if n == 1:
            self.first[key] = record.getMessage()
        self._last = (record, n <= self.keep)
        return n <= self.keep

    def lines(self) -> list[str]:
        """One line per kind that was cut short: how many in all, and the first of them."""
        return [
            f"{n} {logging.getLevelName(key[1]).lower()}s from {key[0]} like the first: {self.first[key]} "
            f"({n - self.keep} not shown)"
            for key, n in self.counts.items() if n > self.keep
        ]


@contextlib.contextmanager
def summarised_warnings(keep: int = 3) -> Iterator[RepeatDigest]:
    """Summarise repeated warnings on every root handler while active (see the module doc)."""
    digest = RepeatDigest(keep)
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(digest)
    try:
        yield digest
    finally:
        for handler in handlers:
            handler.removeFilter(digest)
        for line in digest.lines():
            log.warning("%s", line)
