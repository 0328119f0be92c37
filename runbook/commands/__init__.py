"""CLI subcommands, one module per command family, discovered by ``runbook.cli``.

Each module exposes ``register(subparsers, common)`` which adds its parsers (with
``parents=[common]`` so ``--db`` works everywhere) and sets ``func`` to a handler taking the
parsed arguments and returning the exit code. Keep imports inside handlers: every module here
is imported at start-up.
"""
