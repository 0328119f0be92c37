"""Golden files for the fixture incident (Markdown and HTML), and the document's structure."""

from __future__ import annotations

from runbook.report import build_context, render_postmortem
from tests.report.conftest import GOLDEN, compare_or_write
from tests.report.fixture_incident import NOW, build_fixture
from tests.report.mdread import headings, section_texts, tables

SECTIONS = [
    "Summary",
    "Impact",
    "Detection",
    "Trigger",
    "Resolution",
    "Timeline",
    "Diagnosis path",
    "Root causes",
    "Contributing factors",
    "What went well",
    "What went wrong",
    "Where we got lucky",
    "Action items",
    "Similar past incidents",
    "Lessons",
    "Appendix: evidence",
]
#: Without ``knowledge_url`` the document also carries the knowledge records it links to (#18).
SECTIONS_EMBEDDED = [*SECTIONS, "Appendix: knowledge referenced"]


def _render(session, knowledge, fmt: str = "md", tz: str = "UTC") -> str:
    iid = build_fixture(session)
    ctx = build_context(iid, session=session, knowledge=knowledge, tz=tz, now=NOW)
    return render_postmortem(ctx, fmt=fmt)


def test_markdown_golden(session, knowledge):
    compare_or_write(GOLDEN / "fixture_incident.md", _render(session, knowledge))


def test_html_golden(session, knowledge):
    compare_or_write(GOLDEN / "fixture_incident.html", _render(session, knowledge, fmt="html"))


def test_sections_in_order_and_tables_well_formed(session, knowledge):
    from runbook.record import repo

    md = _render(session, knowledge)
    n_events = len(repo.timeline("INC-0002", session=session))
    assert headings(md) == [(1, "Postmortem: Orders instances vanish from discovery")] + [
        (2, s) for s in SECTIONS_EMBEDDED
    ]
    found = tables(md)
    assert len(found) == 3  # header, timeline, action items
    for t in found:
        assert len(set(t.raw_cells)) == 1, f"table at line {t.line} has rows of {t.raw_cells} cells"
        assert set(t.parsed_cells) == {t.raw_cells[0]}
    timeline_rows = found[1].parsed_cells
    assert len(timeline_rows) == 1 + n_events == 20  # header + one row per recorded event of the incident


def test_every_timeline_line_cites_its_event_and_checks_cite_verdict_and_figure(session, knowledge):
    iid = build_fixture(session)
    ctx = build_context(iid, session=session, knowledge=knowledge, now=NOW)
    from runbook.record import repo

    events = repo.timeline(iid, session=session)
    assert [line.source.split(",")[0] for line in ctx.timeline] == [f"event #{e.id}" for e in events]
    checks = [line for line in ctx.timeline if line.kind == "check_run"]
    assert [(c.citation.check_type, c.citation.verdict, c.citation.key_figure) for c in checks] == [
        ("etcd_lease_keepalive", "fail", "expired_leases=2"),
        ("dns_rr_effectiveness", "ok", "distinct_orders=3"),
    ]
    md = render_postmortem(ctx)
    row = next(ln for ln in md.splitlines() if "lost their lease" in ln and ln.startswith("|"))
    assert "`etcd_lease_keepalive` **fail** `expired_leases=2`" in row


def test_sections_carry_the_record(session, knowledge):
    text = section_texts(_render(session, knowledge))
    assert "first failing check in the record was etcd_lease_keepalive at 2026-03-14 02:16:30" in text["Detection"]
    assert 'the check verdict chose "leases expire"' in text["Diagnosis path"]
    assert "undone: kept for the record" in text["Diagnosis path"]
    assert "func (m *LeaseManager) Run(ctx context.Context)" in text["Root causes"]  # the fix's Go code
    assert "client.KeepAlive(ctx, leaseResp.ID)" in text["Root causes"]  # the anti-pattern
    assert "C3: Configuration hot reload races" in text["Contributing factors"]
    assert "INC-0001: Payments instances missing from discovery (same rules: R1)" in text["Similar past incidents"]
    assert "P0-1" in text["Similar past incidents"]
    assert "Exactly one lease per process" in text["Lessons"]
    assert "token=***" in text["Appendix: evidence"] and "s3cr3t" not in text["Appendix: evidence"]


def test_time_zone_is_stated_and_applied(session, knowledge):
    md = _render(session, knowledge, tz="Asia/Shanghai")
    assert "all times in this document are Asia/Shanghai." in md
    assert "| Time (Asia/Shanghai) | Who | What | Backed by |" in md
    assert "- **Started:** 2026-03-14 10:10:00" in md  # 02:10 UTC


def test_postgresql_record_gives_the_same_document(postgres_url, knowledge):
    """The shared PostgreSQL record renders byte for byte what the SQLite one does."""
    from runbook.record.db import connect, open_session

    engine = connect(postgres_url)
    try:
        with open_session(engine) as session:
            md = _render(session, knowledge)
    finally:
        engine.dispose()
    assert md == (GOLDEN / "fixture_incident.md").read_text(encoding="utf-8")


def test_similar_ignores_conclusions_that_were_undone(session, knowledge):
    from runbook.record import repo
    from runbook.report.from_record import build_context as build

    other = repo.create_incident(session=session, title="A walk that took R1 back", author="x")
    step = repo.add_step(other.id, "p0-1-discovery", "lease-race", session=session, author="x")
    repo.add_conclusion(other.id, session=session, rule_ids=["R1"], step_id=step.id, author="x")
    repo.mark_step_undone(step.id, session=session, author="x")
    iid = build_fixture(session)
    refs = [s.ref for s in build(iid, session=session, knowledge=knowledge).similar]
    assert refs == ["P0-1", "INC-0002"]  # the fixture's earlier payments incident; not INC-0001


def test_appendix_shows_the_deciding_excerpt_first_and_raw_ones_shortened(session, knowledge):
    """#18: a reviewer checks the verdict from the excerpt printed first; raw lines follow, cut."""
    from runbook.report.from_record import MAX_RAW_CHARS

    ctx = build_context(build_fixture(session), session=session, knowledge=knowledge, now=NOW)
    lease = [e for e in ctx.evidence if e.check_type == "etcd_lease_keepalive"]
    assert [(e.label, e.deciding) for e in lease] == [
        ("vanished", True),
        ("request", False),
        ("event", False),
        ("event", False),
    ]
    assert "deleted rev 4182" in lease[0].text and lease[0].verdict == "fail"
    assert all(len(e.text) <= MAX_RAW_CHARS for e in lease[1:])
    md = render_postmortem(ctx)
    appendix = md.split("## Appendix: evidence")[1]
    assert appendix.index("(decided the verdict: fail)") < appendix.index("request at")


def test_rows_built_without_their_constructor_equal_constructed_ones(session, knowledge):
    """The context's rows built in one step (``context.built``, ``timeline_entry``) hold every field,
    compare, hash and print like the ones the dataclass constructors make."""
    import dataclasses

    iid = build_fixture(session)
    ctx = build_context(iid, session=session, knowledge=knowledge, now=NOW)
    rows = [
        *ctx.timeline,
        *ctx.diagnosis,
        *(c for s in ctx.diagnosis for c in s.verdicts),
        *(n for s in ctx.diagnosis for n in s.notes),
        *ctx.went_well,
        *ctx.went_wrong,
        *ctx.lucky,
    ]
    assert ctx.diagnosis and any(s.verdicts for s in ctx.diagnosis) and ctx.went_well
    for row in rows:
        fields = {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
        made = type(row)(**fields)
        assert vars(row) == vars(made) and list(vars(row)) == list(vars(made))
        assert row == made and hash(row) == hash(made) and repr(row) == repr(made)


def test_sqlite_reads_events_through_the_driver_as_core_does(session):
    """``reads.events`` on SQLite (straight to the driver) gives Core's rows: the same columns and
    values, booleans as 0 and 1 (equal to Core's bools), whole or cut to a preview's first few."""
    from runbook.report.reads import events, events_core

    iid = build_fixture(session)
    whole = events(iid, session=session)
    assert len(whole) == 19 and any(row[-1] is not None for row in whole)
    assert [tuple(r) for r in whole] == events_core(iid, session=session)
    assert [tuple(r) for r in events(iid, session=session, limit=5)] == events_core(iid, session=session, limit=5)
