"""The ``arb`` command: ``arb <workflow> [args…]``."""

from __future__ import annotations

import sys

USAGE = """usage: arb <command> [args…]

commands:
  verify FILE…         rebuild every book in recordings; JSON summary on the last line
  backtest [k=v …]     replay recordings (default: a simulated market) through the decision
                       path; Hydra overrides, --multirun for sweeps, --cfg job to show config
  live [k=v …]         trade live (paper) against loopback simulators; live=public for the
                       real venues; Ctrl-C ends with a summary
  record [k=v …]       record the universe's raw traffic to rotating recording files
  simulate [k=v …]     serve loopback venue simulators (market model or a recording)
"""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "verify":
        from workflows import verify

        return verify.main(rest)
    if command in ("record", "simulate"):
        from workflows import record, simulate

        return (record if command == "record" else simulate).main(rest)
    if command == "live":
        from workflows import live

        return live.main(rest)
    if command == "backtest":
        from workflows import backtest

        return backtest.main(rest)
    print(f"arb: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
