"""Benchmark: export of a 10,000-event incident from the record, Markdown and HTML, against a floor.

The incident is walked-shaped: steps with their node-entered and choice events, a check run per
step (a check result with a deciding and a raw excerpt), findings (some tagged went well / went
wrong / lucky), notes with Markdown and HTML metacharacters, a conclusion naming a rule, action
items and narrative text. Rows go in with bulk inserts (Core ``executemany``), so building the
record takes seconds, not the minutes one commit per event would.

Measured interleaved in one run (floor, Markdown, HTML, floor, ...), best and median of each:

- **floor**: the same rows (incident, events, steps, check results, findings, conclusions,
  action items) selected with the driver (``exec_driver_sql``: plain SQL on the same engine's
  connection, no ORM, no type processing) plus a trivial Jinja2 loop printing the events and
  steps (no sandbox, no escaping, compiled once outside the timing);
- **Markdown export**: ``Services.postmortem(incident, fmt="md")``'s path: a session, the record
  read into the context, the shipped template;
- **HTML export**: the same with ``fmt="html"``: the shipped HTML template on the same context;

and the ratios md/floor (aim <= 3x) and html/md (aim <= 1.5x). The documents are checked to
hold one timeline row per event.

Run: python bench/export.py [--events N] [--repeat N]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from runbook.knowledge import load_knowledge
from runbook.record import repo
from runbook.record.db import connect, open_session
from runbook.record.models import ActionItem, CheckRecord, Conclusion, Event, Finding, Incident, Step, new_uid
from runbook.report import build_context, render_postmortem

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)

FLOOR_TEMPLATE = (
    "{% for e in events %}| {{ e[2] }} | {{ e[3] }} | {{ e[4] }} | event #{{ e[0] }} |\n{% endfor %}"
    "{% for s in steps %}- Step {{ s[1] }}: {{ s[2] }}#{{ s[3] }} at {{ s[4] }} ({{ s[5] }})\n{% endfor %}"
)

FLOOR_QUERIES = (
    "SELECT * FROM incident WHERE id = ?",
    "SELECT id, kind, at, author, summary, payload, automatic, undone FROM event WHERE incident_id = ? ORDER BY at, id",
    "SELECT id, seq, playbook_id, node_id, entered_at, author, choice, next_node_id, automatic, undone "
    "FROM step WHERE incident_id = ? ORDER BY seq",
    "SELECT id, step_id, check_type, verdict, summary, figures, evidence, started_at, error "
    "FROM check_result WHERE incident_id = ? ORDER BY started_at, id",
    "SELECT id, kind, tags, author, at, text, step_id FROM finding WHERE incident_id = ? ORDER BY at, id",
    "SELECT * FROM conclusion WHERE incident_id = ? ORDER BY at, id",
    "SELECT * FROM action_item WHERE incident_id = ? ORDER BY created_at, id",
)


def fill(engine: Engine, n_events: int) -> int:
    """One walked-shaped incident with ``n_events`` timeline events, inserted in bulk."""
    with open_session(engine) as session:
        inc = repo.create_incident(
            session=session,
            title="Orders <vanish> | from *discovery*",
            severity="P1",
            author="bench",
            started_at=T0,
            detected_at=T0,
        )
        iid = inc.id
        assert iid is not None
    cycle = 10  # events per step: entered, check run, finding, 6 notes, choice
    n_steps = (n_events - 1) // cycle
    steps, checks, finds, events = [], [], [], []
    at = T0

    def tick() -> datetime:
        nonlocal at
        at += timedelta(seconds=1)
        return at

    def event(
        kind: str,
        at: datetime,
        author: str,
        summary: str,
        payload: dict[str, Any],
        automatic: bool,
        step_id: int | None,
        undone: bool,
    ) -> dict[str, Any]:
        return dict(
            uid=new_uid(),
            incident_id=iid,
            kind=kind,
            at=at,
            author=author,
            summary=summary,
            payload=payload,
            automatic=automatic,
            step_id=step_id,
            undone=undone,
        )

    with engine.connect() as conn:  # ids go on from the record's own (a second incident in one record)
        base_step = conn.scalar(select(func.max(Step.id))) or 0
        base_check = conn.scalar(select(func.max(CheckRecord.id))) or 0
    for k in range(n_steps):
        sid = base_step + k + 1
        node = f"node-{k % 40}"
        steps.append(
            dict(
                id=sid,
                uid=new_uid(),
                incident_id=iid,
                seq=k + 1,
                playbook_id="p0-1-discovery",
                node_id=node,
                entered_at=tick(),
                left_at=None,
                choice="leases expire" if k % 2 else "all fine",
                next_node_id=f"node-{(k + 1) % 40}",
                automatic=bool(k % 2),
                author=f"responder{k % 5}",
                undone=k % 50 == 7,
                undone_at=None,
            )
        )
        events.append(
            event(
                "node_entered",
                at,
                f"responder{k % 5}",
                f"p0-1-discovery / {node}",
                {"playbook_id": "p0-1-discovery", "node_id": node},
                False,
                sid,
                k % 50 == 7,
            )
        )
        cid = base_check + k + 1
        summary = f"lease check {k}: 2 of 3 leases expired | <b>{k}</b>"
        checks.append(
            dict(
                id=cid,
                uid=new_uid(),
                incident_id=iid,
                step_id=sid,
                playbook_id="p0-1-discovery",
                node_id=node,
                check_type="etcd_lease_keepalive",
                verdict="fail" if k % 3 else "ok",
                summary=summary,
                figures={"expired_leases": k % 5},
                thresholds={},
                params={},
                started_at=tick(),
                duration_s=0.2,
                error=None,
                evidence=[
                    {
                        "at": at.isoformat(),
                        "label": "vanished",
                        "text": f"key /services/orders/{k} deleted",
                        "deciding": True,
                    },
                    {"at": at.isoformat(), "label": "request", "text": f"GET /v3/lease/{k} token=s3cr3t"},
                ],
            )
        )
        events.append(event("check_run", at, "runbook", summary, {"check_result_id": cid}, True, sid, k % 50 == 7))
        tags = [["went_well"], ["went_wrong"], ["lucky"], [], []][k % 5]
        finds.append(
            dict(
                uid=new_uid(),
                incident_id=iid,
                kind="observation",
                tags=tags,
                author=f"responder{k % 5}",
                at=tick(),
                text=f"finding {k}: `etcdctl` shows # {k} leases <i>expired</i>",
                step_id=sid,
            )
        )
        events.append(
            event("finding", at, f"responder{k % 5}", f"observation: {finds[-1]['text']}", {}, False, sid, False)
        )
        for j in range(cycle - 4):
            events.append(
                event(
                    "note",
                    tick(),
                    f"responder{(k + j) % 7}",
                    f"note {k}.{j}: observed `x` | # not a heading {{{{ jinja }}}} <script>_a_</script>",
                    {},
                    False,
                    sid,
                    False,
                )
            )
        events.append(
            event(
                "choice_taken",
                tick(),
                f"responder{k % 5}",
                f"{steps[-1]['choice']} -> {steps[-1]['next_node_id']}",
                {},
                bool(k % 2),
                sid,
                k % 50 == 7,
            )
        )
    while len(events) < n_events - 1:
        events.append(event("note", tick(), "responder0", f"late note {len(events)}", {}, False, None, False))
    with engine.begin() as conn:
        conn.execute(insert(Step), steps)
        conn.execute(insert(CheckRecord), checks)
        conn.execute(insert(Finding), finds)
        conn.execute(insert(Event), events)
        conn.execute(
            insert(Conclusion),
            [
                dict(
                    uid=new_uid(),
                    incident_id=iid,
                    step_id=n_steps,
                    playbook_id="p0-1-discovery",
                    node_id="lease-race",
                    title="Lease expired under load",
                    rule_ids=["R1"],
                    author="responder0",
                    at=tick(),
                )
            ],
        )
        conn.execute(
            insert(ActionItem),
            [
                dict(
                    uid=new_uid(),
                    incident_id=iid,
                    text=f"Action {i}: keep one lease | <b>renew</b>",
                    type="prevent" if i % 2 else "mitigate",
                    owner=f"team{i}",
                    due=None,
                    status="open",
                    rule="R1",
                    link=None,
                    author="bench",
                    created_at=tick(),
                )
                for i in range(8)
            ],
        )
        conn.execute(
            update(Incident)
            .where(Incident.id == iid)
            .values(
                summary="Orders instances vanished from discovery for 40 minutes.\n\nLeases expired.",
                impact="Checkout failed for *some* users <b>bold</b>.",
                trigger="A deploy.",
                resolution="Restarted with one lease.",
                went_well="Alerts fired.",
                went_wrong="Slow triage.",
                lucky="Low traffic.",
                lessons="Keep one lease per process.",
            )
        )
    return iid


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    kb, _ = load_knowledge([REPO / "incidents"])
    with tempfile.TemporaryDirectory() as tmp:
        engine = connect(f"sqlite:///{Path(tmp) / 'bench.db'}")
        t_fill, iid = timed(lambda: fill(engine, args.events))
        trivial = jinja2.Environment().from_string(FLOOR_TEMPLATE)

        def floor() -> str:
            with engine.connect() as conn:
                rows = [conn.exec_driver_sql(q, (iid,)).fetchall() for q in FLOOR_QUERIES]
            return trivial.render(events=rows[1], steps=rows[2])

        def export(fmt: str) -> Callable[[], str]:
            def run() -> str:
                with open_session(engine) as session:
                    ctx = build_context(iid, session=session, knowledge=kb, now=T0)
                return render_postmortem(ctx, fmt=fmt)

            return run

        md_run, html_run = export("md"), export("html")
        md, html = md_run(), html_run()  # warm: templates compiled, as in a running UI or a second export
        times: dict[str, list[float]] = {"floor": [], "md": [], "html": []}
        for _ in range(args.repeat):
            for name, fn in (("floor", floor), ("md", md_run), ("html", html_run)):
                t, _out = timed(fn)
                times[name].append(t)
        engine.dispose()
    rows = sum(1 for line in md.splitlines() if line.startswith("| 2026-"))
    assert rows == args.events, f"the Markdown has {rows} timeline rows, not {args.events}"
    html_rows = html.count("<tr><td>2026-")
    assert html_rows == args.events, f"the HTML has {html_rows} timeline rows, not {args.events}"
    best = {k: min(v) for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"incident: {args.events} events, built in {t_fill:.1f} s; {args.repeat} interleaved runs")
    print(f"{'':34}{'best':>10}{'median':>10}")
    labels = {
        "floor": "floor (driver SQL + trivial Jinja2)",
        "md": "Markdown export (record -> .md)",
        "html": "HTML export (record -> .html)",
    }
    for k, label in labels.items():
        print(f"{label:34}{best[k] * 1000:8.1f}ms{med[k] * 1000:8.1f}ms")
    print(f"{'ratio md / floor   (aim <= 3x)':34}{best['md'] / best['floor']:9.2f}x{med['md'] / med['floor']:9.2f}x")
    print(f"{'ratio html / md    (aim <= 1.5x)':34}{best['html'] / best['md']:9.2f}x{med['html'] / med['md']:9.2f}x")
    print(f"sizes: Markdown {len(md) / 1e6:.2f} MB, HTML {len(html) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
