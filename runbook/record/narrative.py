"""The postmortem's narrative sections, by field name: light enough for the CLI to read while it
builds its options (``runbook incident edit --summary ...``) without importing the record."""

from __future__ import annotations

NARRATIVE: dict[str, str] = {
    "summary": "Summary",
    "impact": "Impact",
    "detection": "Detection",
    "trigger": "Trigger",
    "resolution": "Resolution",
    "went_well": "What went well",
    "went_wrong": "What went wrong",
    "lucky": "Where we got lucky",
    "lessons": "Lessons",
}
