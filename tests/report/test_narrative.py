"""A postmortem with the incident's life filled in: the narrative the responders wrote, the
milestones they stamped, the conclusion's proposed actions they accepted. No placeholder is left,
and a milestone nobody stamped says so instead of borrowing another's time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from runbook.config import Settings
from runbook.record import repo
from runbook.services import build_services
from runbook.services.lifecycle import ActionChange
from tests.report.mdread import section_texts

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)
PLACEHOLDERS = (
    "Not written yet",
    "No action items yet",
    "Nothing tagged yet",
    "No rule concluded yet",
    "not yet",
    "Derived by the tool",
)


def _services(tmp_path: Path):
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'pm.db'}",
        playbook_dirs=(REPO / "playbooks",),
        incident_dirs=(REPO / "incidents",),
        author="alice",
    )
    return build_services(settings, clock=lambda: T0)


def test_a_filled_in_incident_has_no_placeholder_left(tmp_path: Path) -> None:
    services = _services(tmp_path)
    inc = services.open_incident("Orders vanish from discovery", severity="P1", service="orders").incident
    with services.session() as s:
        repo.add_conclusion(
            inc.id, rule_ids=["R1"], title="lease race", playbook_id="p0-1-discovery", node_id="lease-race", session=s
        )
    proposals = services.proposed_actions(inc.id)
    assert [(p.key, p.type, p.owner, p.rule, p.accepted_id) for p in proposals] == [
        ("p0-1-discovery#lease-race/1", "mitigate", "on-call", "R1", None),
        ("p0-1-discovery#lease-race/2", "prevent", "service owner", "R1", None),
        ("p0-1-discovery#lease-race/3", "prevent", "platform team", "R1", None),
    ]
    services.accept_action(inc.id, proposals[0].key)
    services.accept_action(
        inc.id, proposals[1].key, ActionChange(text="One LeaseManager per process", owner="carol", due=date(2026, 4, 1))
    )
    assert [p.accepted_id is not None for p in services.proposed_actions(inc.id)] == [True, True, False]
    services.set_severity(inc.id, "P0")
    services.set_status(inc.id, "mitigated", at=T0.replace(minute=15))
    services.set_status(inc.id, "resolved", at=T0.replace(minute=40))
    services.save_narrative(
        inc.id,
        {
            "summary": "Orders instances vanished from discovery for 40 minutes.",
            "impact": "12% of checkout requests failed.",
            "detection": "The checkout 5xx alert paged the on-call at 02:12.",
            "trigger": "A deploy doubled the watchers.",
            "resolution": "Instances re-registered; one KeepAlive per lease.",
            "went_well": "The lease check found the expiry in 6 minutes.",
            "went_wrong": "Paging reached the wrong team first.",
            "lucky": "It happened outside the sales peak.",
            "lessons": "Lease ownership belongs in the shared client.",
        },
    )
    md = services.postmortem(inc.id, fmt="md")
    for placeholder in PLACEHOLDERS:
        assert placeholder not in md, placeholder
    sections = section_texts(md)
    assert sections["Summary"] == "Orders instances vanished from discovery for 40 minutes."
    assert sections["Detection"] == "The checkout 5xx alert paged the on-call at 02:12."
    assert sections["What went well"] == "The lease check found the expiry in 6 minutes."
    assert sections["Where we got lucky"] == "It happened outside the sales peak."
    assert sections["Lessons"].startswith("Lease ownership belongs in the shared client.")
    assert "R1" in sections["Lessons"]  # the root cause's lesson follows the responders' own
    assert "- **Mitigated:** 2026-03-14 02:15:00" in md and "- **Resolved:** 2026-03-14 02:40:00" in md
    assert "| One LeaseManager per process | prevent | carol | 2026-04-01 | open | R1 |" in md
    assert "| Restart or re-register" in md and "| on-call |" in md
    assert "| P0 |" in md


def test_a_milestone_nobody_stamped_is_not_recorded_not_borrowed(tmp_path: Path) -> None:
    services = _services(tmp_path)
    inc = services.open_incident("closed at once").incident
    services.set_status(inc.id, "closed", at=T0.replace(hour=5))
    md = services.postmortem(inc.id, fmt="md")
    assert "- **Mitigated:** not recorded" in md and "- **Resolved:** not recorded" in md
    assert "- **Closed:** 2026-03-14 05:00:00" in md


def test_a_note_written_at_an_undone_step_stays_in_the_diagnosis_path(tmp_path: Path) -> None:
    services = _services(tmp_path)
    inc = services.open_incident("probes flap").incident
    with services.session() as s:
        step = repo.add_step(inc.id, "p0-1-discovery", "lease-race", session=s, author="bob")
        repo.add_finding(inc.id, "probe p99 is 0.8s", session=s, step_id=step.id, author="bob")
        repo.mark_step_undone(step.id, session=s, author="bob")
    md = services.postmortem(inc.id, fmt="md")
    diagnosis = section_texts(md)["Diagnosis path"]
    assert "observation: probe p99 is 0.8s (bob): written before the undo, still evidence" in diagnosis
    assert "~~observation: probe p99 is 0.8s~~" not in md  # the timeline line is not struck through


def test_detection_written_by_a_responder_replaces_the_derived_one_and_keeps_its_evidence(tmp_path: Path) -> None:
    from tests.report.fixture_incident import build_fixture

    services = _services(tmp_path)
    with services.session() as s:
        iid = build_fixture(s)
    derived = section_texts(services.postmortem(iid, fmt="md"))["Detection"]
    assert derived.startswith("The first failing check in the record was etcd_lease_keepalive")
    assert "Derived by the tool" in derived
    services.save_narrative(iid, {"detection": "Support tickets about missing orders, then the 5xx alert at 02:14."})
    for fmt in ("md", "html"):
        text = services.postmortem(iid, fmt=fmt)
        assert "Support tickets about missing orders, then the 5xx alert at 02:14." in text, fmt
        assert "Derived by the tool" not in text and "The first failing check" not in text, fmt
        assert "Backed by:" in text, fmt  # the first failing check still stands beside what people remember
