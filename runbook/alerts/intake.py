"""From a notification to an incident: route it, fill the variables, record it, claim the walk.

Everything that can refuse a notification (no usable alert, a label that would make a variable
unsafe) runs before the first write, so a refused notification leaves the record untouched.
Writes go through ``runbook.record.alerts``, where the database decides which receiver opens
the group's incident and which one walks it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from runbook.alerts.payload import Alert, BadNotification, Notification
from runbook.checks.redact import redact_mapping, redact_url
from runbook.playbook.alert_routes import AlertRoute, AlertValueRefused, render_variables
from runbook.playbook.library import Library
from runbook.playbook.model import Playbook

if TYPE_CHECKING:
    from runbook.services import Services

#: Alert ``severity`` label -> incident severity; ``P0``..``P4`` are taken as they are.
SEVERITY_MAP = {
    "critical": "P1",
    "page": "P1",
    "high": "P2",
    "error": "P2",
    "major": "P2",
    "warning": "P3",
    "warn": "P3",
    "medium": "P3",
    "minor": "P4",
    "low": "P4",
    "info": "P4",
    "none": "P4",
}
DEFAULT_SEVERITY = "P2"
TRIAGE = "triage"


@dataclass(frozen=True)
class Routed:
    """Where an alert group goes: a playbook's node, the alert that decided it."""

    playbook: Playbook
    start: str
    alert: Alert
    route: AlertRoute | None
    """None: no playbook's matchers held, so triage (the fallback) starts."""

    @property
    def ref(self) -> str:
        return f"{self.playbook.id}#{self.start}"


@dataclass(frozen=True)
class IntakeResult:
    """What a notification did; the receiver answers it and logs it in one line."""

    action: str
    """``opened``, ``reused`` (the group's incident was open already), ``resolved``, ``ignored``."""
    incident: str = ""
    playbook_ref: str = ""
    walk: bool = False
    """This receiver claimed the group's walk and queued it."""
    detail: str = ""
    group_id: int | None = None
    incident_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "incident": self.incident,
            "playbook": self.playbook_ref,
            "walk": "queued" if self.walk else "",
            "detail": self.detail,
        }


def route_notification(library: Library, note: Notification, *, triage: str = TRIAGE) -> Routed:
    """The most specific route (most matchers, then playbook id) of the first alert any route
    matches, firing alerts first; else triage's start with the group's first alert."""
    alerts = note.firing or note.alerts
    for alert in alerts:
        found: list[tuple[int, str, AlertRoute, Playbook]] = []
        for pb in library.playbooks.values():
            found.extend((len(r.matchers), pb.id, r, pb) for r in pb.alerts if r.matches(alert.labels))
        if found:
            found.sort(key=lambda f: (-f[0], f[1]))
            _n, _id, route, pb = found[0]
            return Routed(pb, route.start or pb.start, alert, route)
    pb = library.get(triage)
    return Routed(pb, pb.start, alerts[0], None)


def severity_of(labels: Mapping[str, str]) -> str:
    raw = labels.get("severity", "").strip()
    if raw.upper() in ("P0", "P1", "P2", "P3", "P4"):
        return raw.upper()
    return SEVERITY_MAP.get(raw.lower(), DEFAULT_SEVERITY)


def service_of(labels: Mapping[str, str]) -> str:
    return labels.get("service") or labels.get("job") or ""


def title_of(note: Notification, alert: Alert) -> str:
    """The alert's summary annotation, else ``alertname on service/instance``."""
    summary = alert.annotations.get("summary") or note.commonAnnotations.get("summary") or ""
    if not summary:
        where = service_of(alert.labels) or alert.labels.get("instance", "")
        summary = alert.alertname or "alert"
        if where:
            summary += f" on {where}"
    one_line = " ".join(summary.split())
    return one_line[:200] or "alert"


def template_context(note: Notification, alert: Alert) -> dict[str, Any]:
    return {
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "generator_url": alert.generatorURL,
        # The Prometheus that evaluated the rule (scheme://host:port of generatorURL).
        "generator_origin": _origin(alert.generatorURL),
        "external_url": note.externalURL,
        "group_labels": dict(note.groupLabels),
        "status": note.status,
    }


def receiver_id() -> str:
    """Who claimed a walk: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


class AlertIntake:
    """Turns notifications into incidents through ``Services``; thread-safe (a session per call)."""

    def __init__(self, services: Services, *, owner: str | None = None, claim_walks: bool = True) -> None:
        self.services = services
        self.owner = owner or receiver_id()
        self.claim_walks = claim_walks
        """False (``--no-walk``): incidents are opened, their walks left pending for a receiver that walks."""

    def prepare(self, note: Notification) -> tuple[Routed, dict[str, str], dict[str, str]]:
        """Route and render the variables; raises :class:`BadNotification` (422) before any write."""
        routed = route_notification(self.services.content.library, note)
        try:
            rendered = render_variables(routed.playbook.alert_variables.templates, template_context(note, routed.alert))
        except AlertValueRefused as exc:
            raise BadNotification(422, f"refused: {exc}") from None
        return routed, rendered.values, rendered.missing

    def handle(self, note: Notification) -> IntakeResult:
        from runbook.record import alerts as record_alerts

        if note.status == "resolved" and not note.firing:
            return self._resolved(note)
        routed, variables, missing = self.prepare(note)
        alert = routed.alert
        labels = redact_mapping(dict(alert.labels))
        payload = {
            "group_key": note.groupKey,
            "receiver": note.receiver,
            "labels": labels,
            "annotations": redact_mapping(dict(alert.annotations)),
            "generator_url": redact_url(alert.generatorURL) if alert.generatorURL else "",
            "fingerprint": alert.fingerprint,
            "starts_at": alert.startsAt.isoformat(),
            "alerts": len(note.alerts),
            "firing": len(note.firing),
            "truncated_alerts": note.truncatedAlerts,
            "playbook": routed.ref,
            "matched": [str(m) for m in routed.route.matchers] if routed.route else [],
            "variables_missing": missing,
        }
        firing = [f"{a.fingerprint}@{a.startsAt.isoformat()}" for a in note.firing]
        route_text = routed.ref if routed.route else f"{routed.ref} (no playbook matched)"
        summary = f"alert firing: {alert.alertname or 'alert'} {_label_text(labels)} -> {route_text}"
        with self.services.session() as session:
            opening = record_alerts.open_alert_incident(
                session=session,
                group_key=note.groupKey,
                title=title_of(note, alert),
                severity=severity_of(alert.labels),
                service=service_of(alert.labels),
                variables=variables,
                labels=labels,
                generator_url=str(payload["generator_url"]),
                receiver=note.receiver,
                playbook_ref=routed.ref,
                event_summary=summary,
                event_payload=payload,
                firing=firing,
                author=self.services.settings.author,
            )
            iid = opening.incident_id
            group_id = opening.group.id
            assert group_id is not None
            if opening.created:
                self.services.secrets.keep(iid, opening.secrets)
                walk = self.claim_walks and record_alerts.claim_walk(group_id, iid, self.owner, session=session)
                return IntakeResult(
                    "opened", opening.incident.ref, routed.ref, walk, group_id=group_id, incident_id=iid
                )
            # The group's incident is open already: a repeat, or the group changed.
            uid = record_alerts.firing_uid(note.groupKey, iid, firing)
            record_alerts.add_alert_event(
                iid,
                f"alert firing: {len(note.firing)} alert(s) in the group",
                session=session,
                uid=uid,
                payload=payload,
                author=self.services.settings.author,
            )
            if opening.group.status != "firing":
                record_alerts.set_group_status(group_id, "firing", session=session)
            return IntakeResult(
                "reused",
                opening.incident.ref,
                opening.group.playbook_ref,
                False,
                detail="the group's incident is open",
                group_id=group_id,
                incident_id=iid,
            )

    def _resolved(self, note: Notification) -> IntakeResult:
        from runbook.record import alerts as record_alerts
        from runbook.record.models import incident_ref

        with self.services.session() as session:
            group = record_alerts.group_by_key(note.groupKey, session=session)
            if group is None:
                return IntakeResult("ignored", detail="resolved, but no incident was opened for this group")
            ends = max(a.endsAt for a in note.alerts).isoformat()
            names = sorted({a.alertname for a in note.alerts if a.alertname})
            record_alerts.add_alert_event(
                group.incident_id,
                f"alert resolved: {', '.join(names) or 'alert'} (the incident stays open until a person resolves it)",
                session=session,
                uid=record_alerts.event_uid("resolved", note.groupKey, group.incident_id, ends),
                payload={"group_key": note.groupKey, "ends_at": ends, "alerts": len(note.alerts)},
                author=self.services.settings.author,
            )
            assert group.id is not None
            record_alerts.set_group_status(group.id, "resolved", session=session)
            return IntakeResult(
                "resolved",
                incident_ref(group.incident_id),
                group.playbook_ref,
                group_id=group.id,
                incident_id=group.incident_id,
            )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def _label_text(labels: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in labels.items() if k != "alertname"}
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(shown.items())) + "}"
