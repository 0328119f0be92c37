"""Entry point: parse arguments, build dependencies, run a command or the terminal UI.

Subcommands live in ``runbook/commands/``, one module per command family, each exposing
``register(subparsers, common)``. They are discovered at start-up, so adding a command needs
no edit here. Command modules import their heavy dependencies inside the handler, so that
``runbook --help`` and the UI start fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from runbook import __version__
from runbook.errors import RunbookError

if TYPE_CHECKING:
    from runbook.services import Services


def _common_parser() -> argparse.ArgumentParser:
    """Options accepted by every subcommand as well as before it."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="SQLAlchemy URL of the incident record (default: $RUNBOOK_DB, else SQLite in the data directory)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_parser()
    parser = argparse.ArgumentParser(
        prog="runbook",
        description=(
            "Incident runbook engine for Go microservices: decision-tree playbooks with live "
            "diagnostic checks, an incident record, postmortems and drills. "
            "Run without a command to open the terminal UI."
        ),
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"runbook {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import runbook.commands as commands_pkg

    for info in sorted(pkgutil.iter_modules(commands_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"runbook.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "func", None)
    services = None
    try:
        from runbook.services import build_services

        # The composition root: settings read once (``--db`` wins over RUNBOOK_DB and the config
        # file), then handed to the command or the UI with everything they use.
        services = build_services(db_url=getattr(args, "db", None))
        if handler is None:
            return _open_ui(services)
        return int(handler(args, services) or 0)
    except RunbookError as exc:
        print(f"runbook: {exc.message}", file=sys.stderr)
        return int(getattr(args, "error_exit", 1))
    except KeyboardInterrupt:
        print("runbook: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: not an error worth a traceback
        _silence_stdout()
        return 0
    finally:
        if services is not None:
            services.close()


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def _open_ui(services: Services) -> int:
    """Bare ``runbook`` opens the terminal UI (imported only when it is wanted)."""
    from runbook.tui.app import run_app

    return int(run_app(services) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
