"""Benchmark: the postmortem of an incident with 10,000 timeline events.

Prints, measured side by side in one run (best of N):
- reading the record into a PostmortemContext (SQLite, 10,000 events, 1,000 of them check runs);
- rendering it to Markdown through the shipped template (sandbox + Markdown escaping);
- the same to HTML (markdown-it-py);
- plain Jinja2 rendering the same 10,000 rows with a trivial template (no sandbox, no escaping),
and the ratio of our Markdown rendering to that baseline: the overhead of safety and layout.

Run: python bench/report_render.py [--events N] [--repeat N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jinja2

from runbook.record import repo
from runbook.record.db import connect, open_session
from runbook.record.models import CheckRecord, Event
from runbook.report import build_context, render_postmortem
from runbook.report.html import to_html

TRIVIAL = "{% for t in rows %}| {{ t.at }} | {{ t.author }} | {{ t.text }} | {{ t.source }} |\n{% endfor %}"


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def fill(session, n_events: int) -> int:
    """One incident with ``n_events`` timeline events; every tenth is a check run with a result."""
    t0 = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)
    inc = repo.create_incident(session=session, title="Benchmark incident", severity="P1", author="bench",
                               started_at=t0)
    checks = [CheckRecord(incident_id=inc.id, check_type="etcd_lease_keepalive", verdict="fail" if i % 3 else "ok",
                          summary=f"lease check {i}: 2 of 3 leases expired | <b>{i}</b>",
                          figures={"expired_leases": i % 5}, started_at=t0 + timedelta(seconds=10 * i),
                          evidence=[{"at": (t0 + timedelta(seconds=10 * i)).isoformat(), "label": "event",
                                     "text": f"DELETE /services/orders/{i}"}])
              for i in range(n_events // 10)]
    session.add_all(checks)
    session.flush()
    events = []
    for i in range(n_events - 1):  # the incident's own "opened" event makes n_events
        at = t0 + timedelta(seconds=i)
        if i % 10 == 0 and i // 10 < len(checks):
            rec = checks[i // 10]
            events.append(Event(incident_id=inc.id, kind="check_run", at=at, author="runbook", automatic=True,
                                summary=rec.summary, payload={"check_result_id": rec.id}))
        else:
            events.append(Event(incident_id=inc.id, kind="note", at=at, author=f"responder{i % 7}",
                                summary=f"note {i}: observed `x` | # not a heading {{{{ jinja }}}}"))
    session.add_all(events)
    session.commit()
    return inc.id


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = connect(f"sqlite:///{Path(tmp) / 'bench.db'}")
        with open_session(engine) as session:
            iid = fill(session, args.events)
            t_build, ctx = best(lambda: build_context(iid, session=session), args.repeat)
        engine.dispose()
    assert len(ctx.timeline) == args.events, len(ctx.timeline)
    t_md, md = best(lambda: render_postmortem(ctx), args.repeat)
    t_html, _ = best(lambda: to_html(md, title="bench"), args.repeat)
    trivial = jinja2.Environment().from_string(TRIVIAL)
    t_trivial, out = best(lambda: trivial.render(rows=ctx.timeline), args.repeat)
    rows = out.count("\n")
    print(f"timeline events:                   {args.events}")
    print(f"record -> context:                 {t_build * 1000:8.1f} ms")
    print(f"context -> Markdown (ours):        {t_md * 1000:8.1f} ms  ({len(md) / 1e6:.1f} MB)")
    print(f"Markdown -> HTML (markdown-it):    {t_html * 1000:8.1f} ms")
    print(f"plain Jinja2, trivial, {rows} rows: {t_trivial * 1000:8.1f} ms")
    print(f"ratio ours / trivial Jinja2:       {t_md / t_trivial:8.1f}x")


if __name__ == "__main__":
    main()
