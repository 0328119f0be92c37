"""Benchmark: the postmortem of an incident with 10,000 timeline events.

Prints, measured side by side in one run (best of N):
- reading the record into a PostmortemContext (SQLite, 10,000 events, 1,000 of them check runs;
  a fresh session each time, so no repeat is served from the previous one's identity map);
- rendering it to Markdown through the shipped template (sandbox + Markdown escaping of every
  user field), once cold (environment built and template compiled, as a one-shot
  ``runbook export`` pays) and warm (compiled template reused, like the baseline's);
- the same Markdown to HTML (markdown-it-py);
- plain Jinja2 rendering the same 10,000 rows with a trivial template (no sandbox, no escaping,
  compiled once outside the timing),
and the ratio of our warm Markdown rendering to that baseline: the overhead of safety and layout.
Ours and the baseline are timed alternately in the same loop, so a busy machine slows both.
The rendered document is checked to hold one table row per event, so the figure is for the
whole timeline.

Run: python bench/report_render.py [--events N] [--repeat N]
"""

from __future__ import annotations

import argparse
import gc
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
from runbook.report.render import cached_environment

TRIVIAL = "{% for t in rows %}| {{ t.at }} | {{ t.author }} | {{ t.text }} | {{ t.source }} |\n{% endfor %}"


def timed(fn) -> tuple[float, object]:
    gc.collect()  # garbage left by the previous measurement is not this one's cost
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def best(fn, repeat: int) -> tuple[float, object]:
    runs = [timed(fn) for _ in range(repeat)]
    return min(t for t, _ in runs), runs[-1][1]


def fill(session, n_events: int) -> int:
    """One incident with ``n_events`` timeline events; every tenth is a check run with a result."""
    t0 = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)
    inc = repo.create_incident(
        session=session, title="Benchmark incident", severity="P1", author="bench", started_at=t0
    )
    checks = [
        CheckRecord(
            incident_id=inc.id,
            check_type="etcd_lease_keepalive",
            verdict="fail" if i % 3 else "ok",
            summary=f"lease check {i}: 2 of 3 leases expired | <b>{i}</b>",
            figures={"expired_leases": i % 5},
            started_at=t0 + timedelta(seconds=10 * i),
            evidence=[
                {
                    "at": (t0 + timedelta(seconds=10 * i)).isoformat(),
                    "label": "event",
                    "text": f"DELETE /services/orders/{i}",
                }
            ],
        )
        for i in range(n_events // 10)
    ]
    session.add_all(checks)
    session.flush()
    events = []
    for i in range(n_events - 1):  # the incident's own "opened" event makes n_events
        at = t0 + timedelta(seconds=i)
        if i % 10 == 0 and i // 10 < len(checks):
            rec = checks[i // 10]
            events.append(
                Event(
                    incident_id=inc.id,
                    kind="check_run",
                    at=at,
                    author="runbook",
                    automatic=True,
                    summary=rec.summary,
                    payload={"check_result_id": rec.id},
                )
            )
        else:
            events.append(
                Event(
                    incident_id=inc.id,
                    kind="note",
                    at=at,
                    author=f"responder{i % 7}",
                    summary=f"note {i}: observed `x` | # not a heading {{{{ jinja }}}}",
                )
            )
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

        def read() -> object:
            with open_session(engine) as session:
                return build_context(iid, session=session)

        t_build, ctx = best(read, args.repeat)
        engine.dispose()
    assert len(ctx.timeline) == args.events, len(ctx.timeline)
    cached_environment.cache_clear()
    t_cold, md = timed(lambda: render_postmortem(ctx))
    trivial = jinja2.Environment().from_string(TRIVIAL)
    md_times, trivial_times = [], []
    for _ in range(args.repeat):  # alternately, so load on the machine hits both alike
        t, md = timed(lambda: render_postmortem(ctx))
        md_times.append(t)
        t, out = timed(lambda: trivial.render(rows=ctx.timeline))
        trivial_times.append(t)
    t_md, t_trivial = min(md_times), min(trivial_times)
    table_rows = sum(1 for line in md.splitlines() if line.startswith("| 2026-"))
    assert table_rows == args.events, f"the document has {table_rows} timeline rows, not {args.events}"
    t_html, _ = best(lambda: to_html(md, title="bench"), args.repeat)
    rows = out.count("\n")
    print(f"timeline events:                   {args.events}")
    print(f"record -> context:                 {t_build * 1000:8.1f} ms")
    print(f"context -> Markdown (ours), cold:  {t_cold * 1000:8.1f} ms  (environment + compile + render)")
    print(
        f"context -> Markdown (ours), warm:  {t_md * 1000:8.1f} ms  ({len(md) / 1e6:.1f} MB, {table_rows} timeline rows)"
    )
    print(f"Markdown -> HTML (markdown-it):    {t_html * 1000:8.1f} ms")
    print(f"plain Jinja2, trivial, {rows} rows: {t_trivial * 1000:8.1f} ms")
    print(f"ratio ours / trivial Jinja2:       {t_md / t_trivial:8.1f}x  (cold: {t_cold / t_trivial:.1f}x)")


if __name__ == "__main__":
    main()
