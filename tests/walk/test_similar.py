"""Similar-incident links: from the record once a second incident takes the same path, and from
the knowledge base's P0 records."""

from __future__ import annotations


def walk_to_probe_flapping(engine, title: str) -> int:
    iid = engine.create_incident(title)
    engine.enter("walktest#deploy")
    engine.choose("probe-flapping")
    return iid


def test_links_appear_after_a_second_incident_takes_the_same_path(make_engine, test_library):
    first = make_engine(test_library)
    first_id = walk_to_probe_flapping(first, "probes flap on Monday")
    assert first.similar() == []  # nothing earlier

    second = make_engine(test_library)
    walk_to_probe_flapping(second, "probes flap again")

    links = second.similar()
    assert [(s.ref, s.title, s.reason, s.rules) for s in links] == [
        (f"INC-{first_id:04d}", "probes flap on Monday", "same rules: R2", ("R2",))
    ]
    at_question = second.similar("walktest#deploy")
    assert [(s.ref, s.reason) for s in at_question] == [(f"INC-{first_id:04d}", "walked the same node")]
    assert second.similar("walktest#lease-health") == []


def test_undone_and_drill_walks_are_not_similar(make_engine, test_library):
    undone = make_engine(test_library)
    walk_to_probe_flapping(undone, "mistaken")
    undone.undo()
    drill = make_engine(test_library)
    drill.create_incident("drill", is_drill=True)
    drill.enter("walktest#probe-flapping")

    now = make_engine(test_library)
    walk_to_probe_flapping(now, "real one")
    assert now.similar() == []

    # a drill is compared with drills only: it sees the earlier drill, not the real incident
    again = make_engine(test_library)
    again.create_incident("drill again", is_drill=True)
    again.enter("walktest#probe-flapping")
    assert [(s.title, s.is_drill) for s in again.similar()] == [("drill", True)]


def test_knowledge_base_records_by_rule_and_playbook(make_engine, shipped_library, knowledge):
    engine = make_engine(shipped_library, knowledge=knowledge)
    engine.create_incident("vanishing")
    engine.enter("p0-1-discovery#lease-race")
    links = [(s.source, s.ref, s.reason) for s in engine.similar()]
    assert links == [("knowledge", "P0-1", "knowledge base; same rules: R1")]
    # a node that concludes nothing still links to the record whose playbook holds it
    at_question = [(s.ref, s.reason, s.rules) for s in engine.similar("p0-1-discovery#start")]
    assert at_question == [("P0-1", "knowledge base; same playbook: p0-1-discovery", ("R1", "R2", "R3", "R4", "R5"))]
    question = [(s.ref, s.reason) for s in engine.similar("triage#start")]
    assert question == []  # triage belongs to no single past incident
