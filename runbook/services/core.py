"""What the use-case modules need of ``Services``, as a protocol they can import.

``root.py`` calls ``lifecycle``, ``postmortems`` and ``team`` lazily; they in turn take the
services as a parameter. Naming :class:`Services` itself in their signatures would make them and
the root import each other; this protocol keeps the package free of cycles.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlmodel import Session

    from runbook.config import Settings
    from runbook.services.content import Content


class ServicesCore(Protocol):
    """The settings, the loaded content, a session on the record, and the clock."""

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def content(self) -> Content: ...

    def session(self) -> Session: ...
