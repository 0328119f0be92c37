"""The incident's life after the walk, for every face: status, severity, narrative, action items.

``Services`` delegates here (one method per use case); each call opens its own session, so the
UI can run them in a worker thread and the CLI calls them directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from runbook.errors import NotFoundError, RunbookError

if TYPE_CHECKING:
    from runbook.record.lifecycle import ProposedAction
    from runbook.record.models import ActionItem, Incident
    from runbook.services.core import ServicesCore as Services


@dataclass(frozen=True)
class ActionChange:
    """What a responder asks to change on an action item (None: leave it as it is)."""

    text: str | None = None
    type: str | None = None
    owner: str | None = None
    """An empty string clears the owner."""
    due: date | None = None
    clear_due: bool = False
    status: str | None = None


def set_status(
    services: Services, incident: int | str, status: str, *, note: str = "", at: datetime | None = None
) -> Incident:
    from runbook.record import repo

    with services.session() as session:
        return repo.update_status(
            incident, status, session=session, note=note, at=at or services.clock(), author=services.settings.author
        )


def set_severity(services: Services, incident: int | str, severity: str) -> Incident:
    from runbook.record.lifecycle import set_severity

    with services.session() as session:
        return set_severity(incident, severity, session=session, author=services.settings.author)


def save_narrative(services: Services, incident: int | str, sections: Mapping[str, str]) -> Incident:
    from runbook.record.lifecycle import save_narrative

    with services.session() as session:
        return save_narrative(incident, sections, session=session)


def proposed_actions(services: Services, incident: int | str) -> list[ProposedAction]:
    """The actions proposed by the conclusions this incident reached (undone steps' excluded),
    each marked with the action item it became if a responder accepted it."""
    from runbook.record import repo
    from runbook.record.lifecycle import ProposedAction, mark_accepted

    library = services.content.library
    with services.session() as session:
        inc = repo.get_incident(incident, session=session)
        assert inc.id is not None
        undone = {s.id for s in repo.steps(inc.id, session=session, include_undone=True) if s.undone}
        out: list[ProposedAction] = []
        seen: set[str] = set()
        for c in repo.conclusions(inc.id, session=session):
            ref = f"{c.playbook_id}#{c.node_id}"
            if c.step_id in undone or not c.playbook_id or not c.node_id or ref in seen:
                continue
            seen.add(ref)
            try:
                node = library.node(ref)
            except NotFoundError:
                continue  # the playbook changed since: its proposals are gone
            if node.conclusion is None:
                continue
            # An action without a `rule:` of its own answers every rule of its conclusion: it carries
            # them all ("R6, R7") rather than passing the first off as its rule.
            every = ", ".join(node.conclusion.rules)
            for n, a in enumerate(node.conclusion.actions, 1):
                out.append(ProposedAction(f"{ref}/{n}", a.text, a.type, a.owner, a.rule or every))
        return mark_accepted(inc.id, out, session=session)


def accept_action(services: Services, incident: int | str, key: str, change: ActionChange | None = None) -> ActionItem:
    """Take on the proposal ``key`` (``playbook#node/N``) as an action item, edited by ``change``."""
    from runbook.record.lifecycle import accept_proposal

    proposal = next((p for p in proposed_actions(services, incident) if p.key == key), None)
    if proposal is None:
        raise RunbookError(f"no proposed action {key!r} for this incident")
    ch = change or ActionChange()
    with services.session() as session:
        from runbook.record import repo

        inc = repo.get_incident(incident, session=session)
        assert inc.id is not None
        return accept_proposal(
            inc.id,
            proposal,
            session=session,
            text=ch.text,
            owner=ch.owner,
            due=ch.due,
            type=ch.type,
            author=services.settings.author,
        )


def add_action(services: Services, incident: int | str, change: ActionChange) -> ActionItem:
    from runbook.record import repo
    from runbook.record.notes import add_action_item

    with services.session() as session:
        inc = repo.get_incident(incident, session=session)
        assert inc.id is not None
        return add_action_item(
            inc.id,
            change.text or "",
            session=session,
            type=change.type or "prevent",
            owner=change.owner or None,
            due=change.due,
            author=services.settings.author,
        )


def edit_action(services: Services, action_id: int, change: ActionChange) -> ActionItem:
    from runbook.record.lifecycle import edit_action_item

    with services.session() as session:
        return edit_action_item(
            action_id,
            session=session,
            text=change.text,
            type=change.type,
            owner=change.owner,
            due=change.due,
            clear_due=change.clear_due,
            status=change.status,
            author=services.settings.author,
        )


def action_items(services: Services, incident: int | str) -> list[ActionItem]:
    from runbook.record import repo
    from runbook.record.notes import action_items

    with services.session() as session:
        inc = repo.get_incident(incident, session=session)
        assert inc.id is not None
        return action_items(inc.id, session=session)


def incident(services: Services, incident: int | str) -> Incident:
    from runbook.record import repo

    with services.session() as session:
        return repo.get_incident(incident, session=session)
