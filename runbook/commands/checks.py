"""``runbook checks`` (list check types and their parameters) and ``runbook check TYPE``.

``runbook check`` runs one check from the shell, e.g. during an incident without a playbook,
or from a monitoring system: exit codes follow the monitoring-plugin convention (0 ok, 1 warn,
2 fail, 3 unknown), and an unknown type or bad parameters also exit 3 with a clear message.
Values given as ``--param k=v`` are read as YAML scalars/flow collections (``n=100``,
``hop_urls=[http://a/, http://b/]``), except for text parameters, which stay verbatim.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import typing
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runbook.checks.base import Check, CheckResult
    from runbook.services import Services

EXIT_UNKNOWN = 3


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "checks",
        parents=[common],
        help="list live check types with their parameters",
        description="List every live diagnostic check type: title, rules it confirms, "
        "parameters (type, default, required, description).",
    )
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_checks, error_exit=EXIT_UNKNOWN)

    p = sub.add_parser(
        "check",
        parents=[common],
        help="run one live check; exit 0 ok, 1 warn, 2 fail, 3 unknown",
        description="Run one live diagnostic check and print its verdict, summary, figures, thresholds "
        "and evidence. Exit codes: 0 ok, 1 warn, 2 fail, 3 unknown (also for an unknown "
        "type or invalid parameters).",
    )
    p.add_argument("check_type", metavar="TYPE", help="check type (see `runbook checks`)")
    p.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="K=V",
        help="a parameter; repeat for several (values parsed as YAML: 3, 0.5, [a, b], {k: v})",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="hard deadline in seconds (default: the check type's own)",
    )
    p.add_argument(
        "--max-bytes", type=int, default=None, metavar="N", help="response-size cap per read (default 4 MiB)"
    )
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.set_defaults(func=cmd_check, error_exit=EXIT_UNKNOWN)


def type_name(annotation: Any) -> str:
    """A readable type: ``float``, ``int | None``, ``list[str]``, ``dict[str, float]``."""
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " | ".join(type_name(a) for a in args)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin is not None and args:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(type_name(a) for a in args)}]"
    return str(annotation).replace("typing.", "")


def describe_params(cls: type[Check[Any]]) -> list[dict[str, Any]]:
    out = []
    for name, field in cls.Params.model_fields.items():
        required = field.is_required()
        if required:
            default = None
        elif field.default_factory is not None:
            default = field.get_default(call_default_factory=True)
        else:
            default = field.default
        out.append(
            {
                "name": name,
                "type": type_name(field.annotation),
                "default": default,
                "required": required,
                "description": field.description or "",
                "secret": name in cls.secret_params,
            }
        )
    return out


def cmd_checks(args: argparse.Namespace, services: Services) -> int:
    from runbook.checks.registry import all_checks

    rows: list[dict[str, Any]] = [
        {
            "type": name,
            "title": cls.title,
            "rules": list(cls.rules),
            "description": cls.description,
            "default_timeout_s": cls.default_timeout_s,
            "params": describe_params(cls),
        }
        for name, cls in all_checks().items()
    ]
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    for row in rows:
        rules = ",".join(row["rules"]) or "-"
        print(f"{row['type']}  [{rules}]  {row['title']}  (default timeout {row['default_timeout_s']:g}s)")
        if row["description"]:
            print(textwrap.fill(row["description"], width=100, initial_indent="  ", subsequent_indent="  "))
        for prm in row["params"]:
            need = "required" if prm["required"] else f"default {json.dumps(prm['default'], default=str)}"
            print(f"    {prm['name']}: {prm['type']} ({need})  {prm['description']}")
        print()
    return 0


def parse_param_args(check_cls: type[Check[Any]], pairs: list[str]) -> dict[str, Any]:
    """``k=v`` strings to a params dict; YAML-parsed unless the parameter is plain text."""
    import yaml

    from runbook.errors import CheckError

    fields = check_cls.Params.model_fields
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CheckError(f"--param {pair!r}: expected KEY=VALUE")
        field = fields.get(key)
        if field is not None and type_name(field.annotation) in ("str", "str | None"):
            params[key] = raw  # "on", "007", "1e3" are text here, not YAML booleans or numbers
            continue
        try:
            params[key] = yaml.safe_load(raw) if raw.strip() else raw
        except yaml.YAMLError as exc:
            problem = str(exc).splitlines()[0]
            raise CheckError(f"--param {key}: cannot read {raw!r} as a value ({problem})") from None
    return params


def cmd_check(args: argparse.Namespace, services: Services) -> int:
    import asyncio

    from runbook.checks.registry import get_check, parse_params
    from runbook.checks.runner import DEFAULT_MAX_BYTES, run_check
    from runbook.errors import CheckError

    cls = get_check(args.check_type)  # CheckError (exit 3) names the known types
    params = parse_param_args(cls, args.param)
    parse_params(args.check_type, params)  # every problem at once, before any network call
    if args.timeout is not None and not args.timeout > 0:
        raise CheckError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")
    result = asyncio.run(
        run_check(args.check_type, params, timeout_s=args.timeout, max_bytes=args.max_bytes or DEFAULT_MAX_BYTES)
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print_result(result, sys.stdout)
    return result.verdict.exit_code


def print_result(result: CheckResult, out: typing.TextIO) -> None:
    w = out.write
    w(f"{result.check_type}: {result.verdict.value.upper()}  {result.summary}\n")
    w(f"  started {result.started_at.isoformat(timespec='seconds')}, took {result.duration_s:.3f}s\n")
    if result.error:
        w(f"  error: {result.error}\n")
    for title, mapping in (("figures", result.figures), ("thresholds", result.thresholds)):
        if mapping:
            w(f"{title}:\n")
            width = max(len(k) for k in mapping)
            for k, v in mapping.items():
                w(f"  {k.ljust(width)}  {v}\n")
    for e in result.deciding:  # what the verdict rests on, whole, before the raw excerpts
        w(f"decided by ({e.label}):\n")
        for line in e.text.splitlines()[:40]:
            w(f"  {line}\n")
    raw = [e for e in result.evidence if not e.deciding]
    if raw:
        w("evidence:\n")
        for e in raw:
            lines = e.text.splitlines() or [""]
            w(f"  {e.at.strftime('%H:%M:%S.%f')[:-3]} {e.label:<8} {lines[0]}\n")
            for line in lines[1:12]:
                w(f"  {'':22}{line}\n")
            if len(lines) > 12:
                w(f"  {'':22}... {len(lines) - 12} more lines\n")
