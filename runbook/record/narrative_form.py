"""The postmortem's narrative as a Markdown form, for ``runbook incident edit --editor``.

One ``## Heading`` per section (the headings of ``NARRATIVE``); what is under a heading is that
section's text. Only those exact headings split the form, so a section may hold its own
sub-headings, lists and code. HTML comments are the form's instructions and are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from runbook.errors import RunbookError
from runbook.record.narrative import NARRATIVE

_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)
_HEADINGS = {f"## {title}".lower(): name for name, title in NARRATIVE.items()}


def to_form(ref: str, title: str, sections: Mapping[str, str]) -> str:
    """The form for incident ``ref``, filled with the sections' current text."""
    lines = [
        f"<!-- {ref}: {title}",
        "     Write under each heading; leave a section empty to keep it unwritten.",
        "     Saving this file and quitting the editor writes every section to the record. -->",
        "",
    ]
    for name, heading in NARRATIVE.items():
        lines += [f"## {heading}", "", sections.get(name, "").strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def from_form(text: str) -> dict[str, str]:
    """Section name -> text, for every section heading in ``text``."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for line in _COMMENT.sub("", text).splitlines():
        name = _HEADINGS.get(line.strip().lower())
        if name is not None:
            current = name
            out[current] = []
        elif current is not None:
            out[current].append(line)
        elif line.strip():
            raise RunbookError(
                f"text before the first section heading: {line.strip()[:60]!r} "
                f"(expected headings: {', '.join('## ' + h for h in NARRATIVE.values())})"
            )
    return {name: "\n".join(body).strip() for name, body in out.items()}
