"""Knowledge base: the twelve rules, the P0 records, the playbooks as trees, and search."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    Input,
    Markdown,
    OptionList,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option, OptionDoesNotExist

from runbook.tui.base_app import runbook_app, services_of
from runbook.tui.widgets.decision_tree import DecisionTree

if TYPE_CHECKING:
    from runbook.record.search import SearchHit
    from runbook.services.content import Content
    from runbook.services.origins import Provenance


class KnowledgeScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("slash", "search", "Search", key_display="/")]

    def __init__(self) -> None:
        super().__init__()
        self.content: Content | None = None
        self.hits: list[SearchHit] = []
        """The search results, in the table's order (enter opens the highlighted one)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="kb-tabs"):
            with TabPane("Rules", id="tab-rules"), Horizontal():
                yield OptionList(id="rule-list", classes="kb-list")
                yield Markdown("", id="rule-text")
            with TabPane("Incidents", id="tab-incidents"), Horizontal():
                yield OptionList(id="record-list", classes="kb-list")
                yield Markdown("", id="record-text")
            with TabPane("Playbooks", id="tab-playbooks"), Horizontal():
                yield OptionList(id="playbook-list", classes="kb-list")
                yield DecisionTree("playbook", id="playbook-tree")
            with TabPane("Search", id="tab-search"):
                yield Input(placeholder="search rules, incidents, findings, playbook nodes…", id="kb-search")
                yield DataTable(id="search-results", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def on_resize(self) -> None:
        if self.hits:
            self.show_hits(self.hits, focus=False)  # the cells wrap at the new width

    @work(thread=True, exclusive=True, group="kb-load", exit_on_error=False)
    def load(self) -> None:
        content = services_of(self).content
        self.app.call_from_thread(self.show_content, content)

    def show_content(self, content: Content) -> None:
        from runbook.knowledge.model import rule_sort_key
        from runbook.services.origins import playbook_provenance

        settings = services_of(self).settings
        self.content = content
        kb = content.knowledge
        runbook_app(self).report_content_errors(content)
        if kb is not None:
            rules = self.query_one("#rule-list", OptionList)
            rules.add_options(
                [
                    Option(f"{r.id} {r.title}", id=r.id)
                    for r in sorted(kb.rules.values(), key=lambda r: rule_sort_key(r.id))
                ]
            )
            records = self.query_one("#record-list", OptionList)
            records.add_options(
                [
                    Option(f"{r.id} {r.title}", id=r.id)
                    for r in [*kb.incidents.values(), *kb.causes.values(), *kb.governance.values()]
                ]
            )
            if kb.rules:
                rules.highlighted = 0
        playbooks = self.query_one("#playbook-list", OptionList)
        playbooks.add_options(
            [
                Option(_overriding(pb.id, playbook_provenance(settings, content, pb.id)), id=pb.id)
                for pb in sorted(content.library.playbooks.values(), key=lambda p: (p.id != "triage", p.id))
            ]
        )
        if content.library.playbooks:
            playbooks.highlighted = 0

    @on(OptionList.OptionHighlighted, "#rule-list")
    @on(OptionList.OptionHighlighted, "#record-list")
    def show_record(self, event: OptionList.OptionHighlighted) -> None:
        from runbook.knowledge.render import record_markdown

        target = "#rule-text" if event.option_list.id == "rule-list" else "#record-text"
        if self.content is None or event.option.id is None:
            return
        from runbook.services.origins import record_provenance

        rec = self.content.knowledge.get(event.option.id)
        origin = record_provenance(services_of(self).settings, self.content, rec.id)
        where = ""
        if origin.overrides:  # a team's own version of a record: say which file is in use
            where = f"*{origin.layer}: `{origin.path}`, overrides `{origin.overrides[0]}`*\n\n"
        self.query_one(target, Markdown).update(where + record_markdown(rec))

    @on(OptionList.OptionHighlighted, "#playbook-list")
    def show_playbook(self, event: OptionList.OptionHighlighted) -> None:
        if self.content is None or event.option.id is None:
            return
        library = self.content.library
        self.query_one("#playbook-tree", DecisionTree).show(library, library.get(event.option.id))

    def action_search(self) -> None:
        self.query_one(TabbedContent).active = "tab-search"
        self.query_one("#kb-search", Input).focus()

    @on(Input.Submitted, "#kb-search")
    def run_search(self, event: Input.Submitted) -> None:
        self.search(event.value)

    @work(thread=True, exclusive=True, group="kb-search", exit_on_error=False)
    def search(self, query: str) -> None:
        hits = services_of(self).search(query, limit=50)
        self.app.call_from_thread(self.show_hits, hits)

    def show_hits(self, hits: list[SearchHit], *, focus: bool = True) -> None:
        from rich.text import Text

        table = self.query_one("#search-results", DataTable)
        table.clear(columns=True)
        # Fixed widths, cells wrapped at their words: at 80 columns the title and the match no
        # longer run off the right edge cut mid-word. Title and match share what is left.
        rest = max(30, self.size.width - 13 - 18 - 2 * 4 - 2)
        for name, width in (("kind", 13), ("ref", 18), ("title", rest * 2 // 5), ("match", rest - rest * 2 // 5)):
            table.add_column(name, width=width)
        self.hits = list(hits)
        for h in hits:
            ref = h.ref.replace("#", "\n#")  # playbook, then node: each fits, neither is cut
            cells = (h.kind, ref, h.title, " ".join(h.snippet.split()))
            table.add_row(*(Text(c) for c in cells), height=None)
        if not hits:
            self.notify("no matches", title="Search")
        elif focus:
            table.focus()  # arrows to pick one, enter opens it

    @on(DataTable.RowSelected, "#search-results")
    def open_hit(self, event: DataTable.RowSelected) -> None:
        """Open what a result is about: a rule, a record or a playbook in its tab; an incident of
        the record (or the incident a finding or check belongs to) in the walk."""
        if not 0 <= event.cursor_row < len(self.hits):
            return
        hit = self.hits[event.cursor_row]
        tabs = {"rule": ("tab-rules", "#rule-list"), "kb_record": ("tab-incidents", "#record-list")}
        tabs["playbook_node"] = ("tab-playbooks", "#playbook-list")
        if hit.kind in tabs:
            tab, list_id = tabs[hit.kind]
            option_id = hit.ref.partition("#")[0] if hit.kind == "playbook_node" else hit.ref
            self.query_one(TabbedContent).active = tab
            options = self.query_one(list_id, OptionList)
            try:
                options.highlighted = options.get_option_index(option_id)
            except OptionDoesNotExist:
                self.notify(f"{hit.ref} is not loaded any more", severity="warning")
                return
            options.focus()
        elif hit.incident_id is not None:
            runbook_app(self).open_incident(hit.incident_id)


def _overriding(playbook_id: str, origin: Provenance) -> str:
    """``triage (config override)`` for a team's replacement, the bare id otherwise."""
    return f"{playbook_id} ({origin.layer} override)" if origin.overrides else playbook_id
