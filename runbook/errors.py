"""One small exception hierarchy for the whole package.

Every error the tool raises on purpose carries a human message (what is wrong and what to do)
and a short title, so the CLI and the terminal UI can show it without a traceback.
Third-party exceptions are mapped to these at the boundary where they occur.
"""

from __future__ import annotations


class RunbookError(Exception):
    """Base class: a message for the user and a short title for notifications."""

    title = "Error"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class ConfigError(RunbookError):
    title = "Configuration error"


class PlaybookError(RunbookError):
    """A playbook (or knowledge record) could not be parsed or failed validation.

    ``path`` and ``line`` locate the problem; the message reads ``path:line: what is wrong``.
    """

    title = "Playbook error"

    def __init__(self, path: str, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        super().__init__(f"{path}:{line}: {problem}")


class CheckError(RunbookError):
    """A check was asked for with unknown type or invalid parameters (before any network call)."""

    title = "Check error"


class StorageError(RunbookError):
    title = "Storage error"


class NotFoundError(RunbookError):
    title = "Not found"


class ParseError(RunbookError):
    """Outside input (an exposition page, a goroutine dump, an event stream) is malformed.

    Raised by the pure parsers in ``runbook.parsers``; ``line`` (1-based, 0 when unknown)
    locates the problem and the message reads ``line N: what is wrong``.
    """

    title = "Parse error"

    def __init__(self, problem: str, *, line: int = 0) -> None:
        self.line = line
        self.problem = problem
        super().__init__(f"line {line}: {problem}" if line else problem)
