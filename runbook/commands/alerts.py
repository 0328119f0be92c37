"""``runbook alerts serve``: receive Alertmanager's webhook and diagnose each alert group unattended."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbook.alerts.server import AlertServer
    from runbook.services import Services

TOKEN_ENV = "RUNBOOK_ALERTS_TOKEN"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "alerts",
        parents=[common],
        help="receive Alertmanager notifications: open incidents and walk their playbooks on autopilot",
        description="Receive Alertmanager notifications and turn each alert group into an incident.",
    )
    asub = p.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    s = asub.add_parser(
        "serve",
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="serve Alertmanager's webhook (POST /alertmanager)",
        description="Serve Alertmanager's webhook (payload version 4) on POST /alertmanager. Each firing "
        "group opens an incident (or reuses its open one), routed to the playbook whose 'alerts:' "
        "matchers hold (triage when none does), and the playbook is walked on autopilot in the "
        "background until a person is needed. Resolved notifications go on the incident's "
        "timeline; the incident stays open. One log line per notification on stderr.",
        epilog="Alertmanager's side (alertmanager.yml):\n"
        "  receivers:\n"
        "    - name: runbook\n"
        "      webhook_configs:\n"
        "        - url: http://127.0.0.1:9095/alertmanager\n"
        "          send_resolved: true\n",
    )
    s.add_argument("--listen", default="127.0.0.1:9095", metavar="HOST:PORT", help="address (default 127.0.0.1:9095)")
    s.add_argument(
        "--token",
        default=None,
        help=f"bearer token Alertmanager must send (default: ${TOKEN_ENV}); required off loopback",
    )
    s.add_argument("--walks", type=int, default=4, metavar="N", help="walks run at once (default 4)")
    s.add_argument(
        "--drain", type=float, default=20.0, metavar="S", help="seconds running walks get to finish on SIGTERM"
    )
    s.add_argument("--max-body", type=int, default=None, metavar="BYTES", help="largest body accepted (default 1 MiB)")
    s.add_argument(
        "--no-walk", action="store_true", help="open incidents only; their walks stay pending for a receiver that walks"
    )
    s.set_defaults(func=cmd_serve, error_exit=3)


def cmd_serve(args: argparse.Namespace, services: Services) -> int:
    import signal
    import threading

    from runbook.alerts.server import MAX_BODY_BYTES, AlertServer, parse_listen, require_token_off_loopback

    host, port = parse_listen(args.listen)
    token = args.token or os.environ.get(TOKEN_ENV) or None
    require_token_off_loopback(host, token)
    # Listen first (in milliseconds); the record and the playbooks load behind it, and a
    # notification that arrives meanwhile waits for them (GET /-/ready says when).
    server = AlertServer(None, None, host=host, port=port, token=token, max_body=args.max_body or MAX_BODY_BYTES)

    def stop(signum: int, _frame: object) -> None:
        # shutdown() waits for serve_forever, which runs on this (the main) thread.
        threading.Thread(target=server.httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    where = f"http://{host}:{server.port}/alertmanager"
    _say(f"alerts: listening on {where} ({'token required' if token else 'no token'}); loading")
    threading.Thread(target=_load, args=(args, services, server), name="runbook-alerts-load", daemon=True).start()
    try:
        server.serve_forever()
    finally:
        server.httpd.server_close()  # joins the requests in flight: their writes are committed
        walks = server.walks
        handed_back = walks.stop(args.drain) if walks is not None else 0
        note = f"; {handed_back} walk(s) left pending for the next receiver" if handed_back else ""
        _say(f"alerts: stopped{note}")
    if server.startup_error is not None:
        raise server.startup_error
    return 0


def _load(args: argparse.Namespace, services: Services, server: AlertServer) -> None:
    """Open the record, load the playbooks (a broken one stops the receiver), start the walks."""
    from runbook.alerts.intake import AlertIntake
    from runbook.alerts.walks import WalkDone, WalkQueue, resume_pending

    def log_walk(done: WalkDone) -> None:
        _say(f"alerts: walk INC-{done.job.incident_id:04d} {done.state.value}: {done.stop}")

    try:
        services.engine  # noqa: B018 - open (and migrate) the record
        services.content  # noqa: B018 - load and validate the playbooks
        intake = AlertIntake(services, claim_walks=not args.no_walk)
        walks = None if args.no_walk else WalkQueue(services, concurrency=args.walks, on_done=log_walk).start()
        server.set_ready(intake, walks)
        resumed = resume_pending(services, walks, intake.owner) if walks is not None else 0
    except BaseException as exc:
        server.startup_error = exc
        _say(f"alerts: cannot start: {exc}")
        server.httpd.shutdown()
        return
    _say(
        f"alerts: ready (walks: {'off' if walks is None else f'{args.walks} at a time'}"
        + (f"; resumed {resumed} pending walk(s)" if resumed else "")
        + ")"
    )


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
