"""The knowledge screen says which playbooks and records a team's layer replaces (#15)."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Markdown, OptionList

from runbook.services import build_services
from runbook.tui.app import make_app
from runbook.tui.screens.knowledge import KnowledgeScreen
from tests.tui.conftest import REPO
from tests.tui.pilot import wait_for


async def test_overrides_are_marked_in_the_playbook_list_and_the_record_text(settings, tmp_path):
    team = tmp_path / "team"
    (team / "playbooks").mkdir(parents=True)
    (team / "incidents" / "rules").mkdir(parents=True)
    (team / "playbooks" / "triage.md").write_text((REPO / "playbooks" / "triage.md").read_text())
    (team / "incidents" / "rules" / "R6.md").write_text((REPO / "incidents" / "rules" / "R6.md").read_text())
    ours = replace(
        settings,
        playbook_dirs=(*settings.playbook_dirs, team / "playbooks"),
        incident_dirs=(*settings.incident_dirs, team / "incidents"),
    )
    app = make_app(build_services(ours))
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(KnowledgeScreen())
        await wait_for(pilot, lambda: isinstance(app.screen, KnowledgeScreen) and app.screen.content is not None)
        screen = app.screen
        playbooks = screen.query_one("#playbook-list", OptionList)
        labels = [str(playbooks.get_option_at_index(i).prompt) for i in range(playbooks.option_count)]
        assert "triage (extra override)" in labels and "p0-1-discovery" in labels, labels
        rules = screen.query_one("#rule-list", OptionList)
        index = next(i for i in range(rules.option_count) if rules.get_option_at_index(i).id == "R6")
        rules.highlighted = index
        text = screen.query_one("#rule-text", Markdown)
        await wait_for(pilot, lambda: "overrides" in text.source)
        assert text.source.startswith(
            f"*extra: `{team / 'incidents' / 'rules' / 'R6.md'}`, overrides `{REPO / 'incidents' / 'rules' / 'R6.md'}`*"
        )
        rules.highlighted = 0  # R1 is the shipped one: no origin line
        await wait_for(pilot, lambda: text.source.startswith("**R1**"))
