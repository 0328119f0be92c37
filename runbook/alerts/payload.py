"""Alertmanager's webhook notification (``webhook_configs``, payload version 4), read strictly.

Anything that is not exactly what Alertmanager sends is refused before anything is written:
a body that is not JSON, another payload version, a missing or unknown field, a value of the
wrong type, or more alerts, labels or characters than any real alert group carries. The
refusal says which field and why, so whoever configured the receiver can fix it from the
Alertmanager log.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

MAX_ALERTS = 1000
MAX_LABELS = 64

_Text = Annotated[str, StringConstraints(max_length=8192)]
_LabelName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$", max_length=256)]
_Labels = Annotated[dict[_LabelName, _Text], Field(max_length=MAX_LABELS)]
_Status = Literal["firing", "resolved"]


class BadNotification(ValueError):
    """A refused notification: the HTTP status to answer and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Alert(_Strict):
    """One alert of the group."""

    status: _Status
    labels: _Labels
    annotations: _Labels = Field(default_factory=dict)
    startsAt: datetime = Field(strict=False)
    endsAt: datetime = Field(strict=False)
    generatorURL: _Text = ""
    fingerprint: Annotated[str, StringConstraints(max_length=64)] = ""

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")


class Notification(_Strict):
    """One webhook call: an alert group's state."""

    version: Literal["4"]
    groupKey: Annotated[str, StringConstraints(min_length=1, max_length=8192)]
    truncatedAlerts: int = Field(default=0, ge=0)
    status: _Status
    receiver: _Text
    groupLabels: _Labels
    commonLabels: _Labels
    commonAnnotations: _Labels
    externalURL: _Text
    alerts: Annotated[list[Alert], Field(min_length=1, max_length=MAX_ALERTS)]

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "firing"]


def parse_notification(body: bytes) -> Notification:
    """The notification in ``body``, or :class:`BadNotification` (400 not JSON, 422 wrong shape)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadNotification(400, f"the body is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadNotification(
            422, f"expected a JSON object (Alertmanager's webhook payload), got {type(data).__name__}"
        )
    version = data.get("version")
    if version != "4":
        raise BadNotification(
            422, f'payload version {version!r} is not supported; this receiver reads Alertmanager\'s version "4"'
        )
    try:
        return Notification.model_validate(data)
    except ValidationError as exc:
        raise BadNotification(422, "not an Alertmanager notification: " + _first_errors(exc)) from None


def _first_errors(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
