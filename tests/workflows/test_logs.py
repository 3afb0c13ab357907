"""Repeated warnings: the first few of each kind, then one line with the count."""

from __future__ import annotations

import logging

import pytest

from arb.core.errors import DecodeError
from workflows.logs import summarised_warnings


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def handlers():
    root = logging.getLogger()
    pair = [Keep(), Keep()]  # e.g. Hydra's console and its log file
    saved = root.level
    root.setLevel(logging.INFO)
    for h in pair:
        root.addHandler(h)
    yield pair
    for h in pair:
        root.removeHandler(h)
    root.setLevel(saved)


def test_717_bad_frames_print_3_warnings_and_one_count_per_kind(handlers):
    books = logging.getLogger("arb.venues.books")
    with summarised_warnings(keep=3):
        for i in range(717):
            books.warning("%s conn %s: skipped frame: %s", "okx", 1, DecodeError("okx", "schema", f"frame {i}"))
        for i in range(5):
            books.warning("%s conn %s: skipped frame: %s", "okx", 1, DecodeError("okx", "number", f"frame {i}"))
        books.info("resync needed")  # below WARNING: never held back
    for handler in handlers:  # each handler sees the same, and every record is counted once
        assert len(handler.messages) == 3 + 3 + 1 + 2
        assert handler.messages[6] == "resync needed"
        assert handler.messages[-2] == ("717 warnings from arb.venues.books like the first: okx conn 1: skipped frame: "
                                        "okx: cannot decode (schema): frame 0 (714 not shown)")
        assert handler.messages[-1].startswith("5 warnings from arb.venues.books like the first: okx conn 1: skipped "
                                               "frame: okx: cannot decode (number): frame 0 (2 not shown)")


def test_nothing_is_summarised_when_nothing_repeats_and_filters_are_removed(handlers):
    with summarised_warnings(keep=3):
        logging.getLogger("arb.x").warning("once")
    logging.getLogger("arb.x").warning("after")
    assert handlers[0].messages == ["once", "after"] and not handlers[0].filters
