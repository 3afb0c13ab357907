"""``arb verify FILE…``: rebuild every book in recordings and print a JSON summary.

The last line of stdout is the JSON object described in DESIGN.md ("arb verify"); the
lines above it are a human-readable table. Exit status 1 when a checksum failed or a gap
was never resynced, 2 when a file cannot be read at all.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from arb.core.errors import RecordingError
from arb.replay.verify import verify


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="arb verify", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="arb recording v1 files (.jsonl or .jsonl.gz), read in order")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every skipped frame and resync")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        result = verify(args.files)
    except RecordingError as exc:
        print(f"arb verify: {exc}", file=sys.stderr)
        return 2
    summary = result.summary()
    for key, book in result.books():
        top = summary["books"][key]
        bid = "/".join(top["bid"]) if top["bid"] else "-"
        ask = "/".join(top["ask"]) if top["ask"] else "-"
        print(f"{key:<32} {book.state:<10} seq={book.seq!s:<14} bid {bid:<32} ask {ask:<32} levels {top['bids']}/{top['asks']}")
    for key in result.unresynced():
        print(f"UNRESYNCED {key}: {dict(result.books())[key].reason}")
    if result.stats.checksum_failed:
        print(f"CHECKSUM FAILURES: {result.stats.checksum_failed}")
    for path in result.truncated_files:
        print(f"TRUNCATED {path}: read up to its last complete line")
    print(json.dumps(summary, separators=(",", ":")))
    return 0 if result.ok else 1
