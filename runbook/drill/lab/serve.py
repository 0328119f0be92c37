"""Entry point of one lab service process: ``python -m runbook.drill.lab.serve SERVICE ...``.

The manager starts each Python service through here, in its own session, with its options as
JSON. SIGTERM ends the process at once (the default action), which is all a lab needs: the
services hold no state worth flushing.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
from pathlib import Path

SERVICES = (
    "lease_agent",
    "dns_fixed",
    "ring",
    "leaky_client",
    "instance",
    "consul",
    "payments_grpc",
    "checkout",
    "orders_api",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runbook.drill.lab.serve")
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--name", required=True)
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--opts", default="{}")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    module = importlib.import_module(f"runbook.drill.lab.services.{args.service}")
    module.main(args.name, args.dir, json.loads(args.opts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
