"""`python -m tke_orphans_testkit.sinks [--port N] [--record FILE]`: the default bots, without the product's CLI."""

from __future__ import annotations

import argparse
from pathlib import Path

from .run import DEFAULT_BOTS, run_sinks


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tke_orphans_testkit.sinks", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--record", type=Path, default=None, help="append accepted messages to this JSON-lines file")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each message's body too")
    args = parser.parse_args()
    run_sinks(args.port, args.record, DEFAULT_BOTS, verbose=args.verbose)


if __name__ == "__main__":
    main()
