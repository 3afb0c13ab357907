"""``arb verify FILE…``: rebuild every book in recordings and print a JSON summary.

The last line of stdout is the JSON object described in DESIGN.md ("arb verify"); the
lines above it are a human-readable table, then one line per problem found.

exit status:
  0  every expected book was rebuilt and is consistent (bad lines and undecodable
     frames are counted in "errors" and skipped; a file cut short by a crash is read
     up to its last complete line)
  1  a rebuilt book is wrong: a checksum failed, the venue's own top of book
     disagreed, a gap was never resynced, or a level is implausible (price 0 or
     absurdly large)
  2  a file cannot be read at all (missing, not an arb recording)
  3  the input is damaged or incomplete: a corrupted file, no book at all (e.g. every
     record unreadable or undecodable), or a book the traffic or a header names that
     never got a snapshot
When several apply, the first in the order 2, 3, 1 wins.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from arb.core.errors import RecordingError
from arb.replay.verify import VerifyResult, verify

OK, INCONSISTENT, UNREADABLE, INCOMPLETE = 0, 1, 2, 3


def exit_status(result: VerifyResult) -> int:
    """The documented exit status of a verify run (see the module doc)."""
    if not result.complete:
        return INCOMPLETE
    return OK if result.ok else INCONSISTENT


def problems(result: VerifyResult) -> list[str]:
    """One line per problem, for the lines above the JSON."""
    out = []
    for path, why in result.corrupted_files.items():
        out.append(f"CORRUPTED {path}: {why}; reading stopped there and the lines before may hold damaged data")
    for path in result.truncated_files:
        out.append(f"TRUNCATED {path}: ends early (as a crash leaves it); read up to its last complete line")
    if not result.books():
        out.append(f"NO BOOK: {result.messages} messages, {result.errors} errors, and not one book was rebuilt")
    for key, why in result.missing().items():
        out.append(f"MISSING {key}: {why}")
    books = dict(result.books())
    for key in result.unresynced():
        out.append(f"UNRESYNCED {key}: {books[key].reason}")
    if result.stats.checksum_failed:
        out.append(f"CHECKSUM FAILURES: {result.stats.checksum_failed}")
    if result.oracles_failed:
        out.append(f"ORACLE MISMATCHES: {result.oracles_failed} (the book's top differed from the venue's own)")
    for key, found in result.implausible().items():
        shown = "; ".join(found[:3]) + (f"; … {len(found) - 3} more" if len(found) > 3 else "")
        out.append(f"IMPLAUSIBLE {key}: {shown}")
    for reason, n in result.error_reasons().items():
        out.append(f"ERRORS {reason}: {n}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="arb verify", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__[__doc__.index("exit status:"):],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="arb recording v1 files (.jsonl or .jsonl.gz), read in order")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every skipped frame and resync")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        result = verify(args.files)
    except RecordingError as exc:
        print(f"arb verify: {exc}", file=sys.stderr)
        return UNREADABLE
    summary = result.summary()
    for key, book in result.books():
        top = summary["books"][key]
        bid = "/".join(top["bid"]) if top["bid"] else "-"
        ask = "/".join(top["ask"]) if top["ask"] else "-"
        print(f"{key:<32} {book.state:<10} seq={book.seq!s:<14} bid {bid:<32} ask {ask:<32} levels {top['bids']}/{top['asks']}")
    for line in problems(result):
        print(line)
    print(json.dumps(summary, separators=(",", ":")))
    return exit_status(result)
