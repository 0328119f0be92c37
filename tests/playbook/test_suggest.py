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
