"""Where each playbook and knowledge record came from: its layer, its file, what it replaces.

A team that customises a shipped playbook needs to see that its copy is the one in use, and
what it hides; ``runbook playbooks``, ``runbook rules`` and ``runbook incidents`` (and their
``--json``) show these fields, worded the same way for every face.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook.config import Settings
from runbook.services.content import Content


@dataclass(frozen=True)
class Provenance:
    """One loaded playbook's or record's origin, ready to print."""

    layer: str
    """``shipped``, ``config``, ``env`` or ``extra`` (a command's own path)."""
    path: Path
    overrides: tuple[Path, ...] = ()
    """Files of earlier layers with the same id that this one replaces, nearest first."""

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "path": str(self.path), "overrides": [str(p) for p in self.overrides]}

    def describe(self) -> str:
        """``config  /team/playbooks/triage.md (overrides /…/playbooks/triage.md)``."""
        over = f" (overrides {', '.join(map(str, self.overrides))})" if self.overrides else ""
        return f"{self.layer}  {self.path}{over}"


def playbook_provenance(settings: Settings, content: Content, playbook_id: str) -> Provenance:
    origin = content.library.origins.get(playbook_id)
    if origin is None:  # a library built by hand (tests): no layers known
        return Provenance("extra", content.library.playbooks[playbook_id].path)
    return Provenance(settings.layer_name(origin.root), origin.path, origin.overrides)


def record_provenance(settings: Settings, content: Content, record_id: str) -> Provenance:
    origin = content.knowledge.origins.get(record_id)
    if origin is None:
        return Provenance("extra", content.knowledge.get(record_id).path)
    return Provenance(settings.layer_name(origin.root), origin.path, origin.overrides)
