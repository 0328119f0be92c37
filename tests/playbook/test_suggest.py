from pathlib import Path

from runbook.playbook.library import Library
from runbook.playbook.model import Playbook
from runbook.playbook.suggest import all_symptoms, suggest_playbooks


def pb(pid: str, symptoms: tuple[str, ...]) -> Playbook:
    return Playbook(id=pid, title=pid, path=Path(f"{pid}.md"), start="a", nodes={}, symptoms=symptoms)


LIB = Library(
    playbooks={
        "triage": pb("triage", ("requests time out", "instances vanish")),
        "disc": pb("disc", ("instances vanish", "traffic sticks to one instance")),
        "obs": pb("obs", ("traces broken",)),
    }
)


def test_triage_wins_ties_and_empty_choice():
    assert suggest_playbooks(LIB, [])[0] == ("triage", 0)
    assert suggest_playbooks(LIB, ["instances vanish"])[0] == ("triage", 1)


def test_most_matching_symptoms_wins():
    ranked = suggest_playbooks(LIB, ["Instances vanish ", "traffic sticks to one instance"])
    assert ranked[0] == ("disc", 2)
    assert suggest_playbooks(LIB, ["traces broken"])[0] == ("obs", 1)


def test_all_symptoms_dedupes_with_triage_first():
    assert all_symptoms(LIB) == [
        "requests time out",
        "instances vanish",
        "traffic sticks to one instance",
        "traces broken",
    ]


def test_near_duplicate_wordings_are_one_symptom_that_counts_for_every_playbook_listing_one():
    from runbook.playbook.model import Choice, Node, NodeKind
    from runbook.playbook.suggest import matching_choice, shown_symptoms

    lib = Library(
        playbooks={
            "triage": pb("triage", ("requests time out or breakers flap", "instances vanish from discovery")),
            "breaking": pb("breaking", ("requests time out and breakers flap", "circuit breakers open and close")),
            "disc": pb("disc", ("instances vanish from discovery while their processes run",)),
        }
    )
    assert shown_symptoms(lib) == [
        "requests time out or breakers flap",
        "instances vanish from discovery",
        "circuit breakers open and close",
    ]
    assert len(all_symptoms(lib)) == 5  # every wording is still a phrase the rule records may use
    ranked = dict(suggest_playbooks(lib, ["instances vanish from discovery"]))
    assert ranked["disc"] == 1 and ranked["triage"] == 1
    node = Node(
        playbook="triage",
        id="start",
        title="What do you see?",
        kind=NodeKind.QUESTION,
        body="",
        choices=(
            Choice("Requests time out, or circuit breakers flap", "triage", "timeouts"),
            Choice("Instances vanish from discovery while their processes run", "disc", "lease", local=False),
        ),
    )
    assert matching_choice(node, ["instances vanish from discovery"]).ref == "disc#lease"
    assert matching_choice(node, ["requests time out or breakers flap"]).ref == "triage#timeouts"
    assert matching_choice(node, ["circuit breakers open and close"]) is None
