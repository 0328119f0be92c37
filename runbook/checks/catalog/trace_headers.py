"""trace_header_canonicalization (R11): which spellings of the trace header survive the path?

Go canonicalizes header names (``X-Trace-ID`` arrives as ``X-Trace-Id``), so a service that
looks the header up in the raw map, or a hand-built case-sensitive map, loses the ID; nginx
drops any header with an underscore (``X_Trace_ID``) unless ``underscores_in_headers on``.
This check sends a unique ID in each spelling through the entry URL (and, when given, through
each inner hop directly) and looks for it in the echo endpoint's response headers or body.
Sent header names keep their exact case on the wire (HTTP/1.1 via h11).

An ID echoed for no spelling at all proves nothing by itself: the echo endpoint may not echo.
A control request straight to the echo hop (``control_url``) settles it: echoed there but
lost for every spelling through the entry is R11's failure (a Go receiver doing
``r.Header["X-Trace-ID"]`` loses every spelling alike); no control, or a control that is not
echoed either, is ``unknown``.
"""

from __future__ import annotations

import uuid

from pydantic import Field

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.http import fetch
from runbook.checks.registry import register_check


class TraceHeaderParams(CheckParams):
    entry_url: str = Field(description="Entry point whose request path reaches an endpoint that echoes the trace ID")
    hop_urls: list[str] = Field(
        default_factory=list,
        description="Inner hops in order from the entry inward (the last may be the echo endpoint itself); "
        "used to tell at which hop a spelling is lost",
    )
    header: str = Field("X-Trace-ID", description="The trace header as configured in the services")
    variants: list[str] = Field(
        default_factory=list,
        description="Spellings to send (default: configured, Go-canonical, lower-case, underscore form)",
    )
    method: str = Field("GET", description="HTTP method for the probe requests")
    control_url: str | None = Field(
        None,
        description="The echo hop itself, called directly with the configured spelling: proves the echo "
        "works when no spelling comes back through the entry",
    )


def canonical_header_key(name: str) -> str:
    """Go's textproto.CanonicalMIMEHeaderKey: upper-case the first letter and each letter after
    '-', lower-case the rest; names with a space or a non-token byte come back unchanged."""
    if any(not (c.isascii() and (c.isalnum() or c in "!#$%&'*+-.^_`|~")) for c in name):
        return name
    out, upper = [], True
    for c in name:
        out.append(c.upper() if upper else c.lower())
        upper = c == "-"
    return "".join(out)


def default_variants(header: str) -> list[str]:
    candidates = [header, canonical_header_key(header), header.lower(), header.replace("-", "_")]
    seen: list[str] = []
    for c in candidates:
        if c not in seen:
            seen.append(c)
    return seen


def lost_at(arrived: list[bool]) -> int | None:
    """Index of the hop that drops the ID: the hop before the outermost one where it arrives.

    None when it arrives from the entry; the last index when it arrives nowhere."""
    if arrived[0]:
        return None
    for j in range(1, len(arrived)):
        if arrived[j]:
            return j - 1
    return len(arrived) - 1


@register_check
class TraceHeaderCanonicalization(Check[TraceHeaderParams]):
    name = "trace_header_canonicalization"
    title = "Trace header survival across spellings"
    description = (
        "Sends a unique trace ID in each spelling of the trace header (configured, Go-canonical, "
        "lower-case, underscore) through the entry URL and each inner hop; reports which spellings "
        "reach the echo endpoint and which hop drops the others. fail: some spellings propagate and "
        "others do not, or none does while a control request straight to the echo hop (control_url) is "
        "echoed; unknown: never echoed and no working control (cannot verify); ok: all propagate."
    )
    rules = ("R11",)
    Params = TraceHeaderParams
    default_timeout_s = 15.0

    async def run(self, params: TraceHeaderParams, ctx: CheckContext) -> Outcome:
        variants = params.variants or default_variants(params.header)
        hops = [params.entry_url, *params.hop_urls]
        arrived: dict[str, list[bool]] = {v: [] for v in variants}
        for h, url in enumerate(hops):
            for i, variant in enumerate(variants):
                trace_id = f"rb{uuid.uuid4().hex[:20]}"
                reply = await fetch(
                    ctx,
                    params.method,
                    url,
                    headers=[(variant, trace_id)],
                    truncate=True,
                    max_bytes=256 * 1024,
                    evidence=(h == 0),
                )
                seen = trace_id in reply.text() or any(trace_id in value for _, value in reply.headers)
                arrived[variant].append(seen)
                ctx.record(
                    "sample",
                    f"hop {h} {reply.url}: {variant}: {trace_id} "
                    f"{'echoed' if seen else 'NOT echoed'} (HTTP {reply.status})",
                )
                ctx.progress(
                    (h * len(variants) + i + 1) / (len(hops) * len(variants)), f"hop {h + 1} of {len(hops)}: {variant}"
                )
        control: bool | None = None
        if params.control_url and not any(any(seen) for seen in arrived.values()):
            trace_id = f"rb{uuid.uuid4().hex[:20]}"
            reply = await fetch(
                ctx,
                params.method,
                params.control_url,
                headers=[(params.header, trace_id)],
                truncate=True,
                max_bytes=256 * 1024,
            )
            control = trace_id in reply.text() or any(trace_id in value for _, value in reply.headers)
            ctx.record(
                "sample",
                f"control {reply.url}: {params.header}: {trace_id} "
                f"{'echoed' if control else 'NOT echoed'} (HTTP {reply.status})",
            )
        ctx.record("spellings", _matrix(variants, hops, arrived, control), deciding=True)
        return judge(variants, hops, arrived, control)


def _matrix(variants: list[str], hops: list[str], arrived: dict[str, list[bool]], control: bool | None) -> str:
    """Each header spelling against each hop, echoed or lost (and the control request): which
    spelling dies where is the finding."""
    lines = [f"hop {h}: {url}" for h, url in enumerate(hops)]
    for v in variants:
        marks = ", ".join(f"hop {h} {'echoed' if seen else 'LOST'}" for h, seen in enumerate(arrived[v]))
        lines.append(f"  {v}: {marks}")
    if control is not None:
        lines.append(f"control straight to the echo hop: {'echoed' if control else 'LOST'}")
    return "\n".join(lines)


def judge(variants: list[str], hops: list[str], arrived: dict[str, list[bool]], control: bool | None = None) -> Outcome:
    if not variants:
        raise MeasureError("no header spellings to test")
    passed = [v for v in variants if arrived[v][0]]
    lost = [v for v in variants if not arrived[v][0]]
    where = {v: lost_at(arrived[v]) for v in lost}
    anywhere = [v for v in variants if any(arrived[v])]

    def hop_name(i: int | None) -> str:
        return "entry" if i == 0 else f"hop {i}" if i is not None else "-"

    figures: dict[str, Figure] = {
        "variants": len(variants),
        "propagated": ", ".join(passed),
        "lost": ", ".join(lost),
        "lost_at": "; ".join(f"{v} at {hop_name(where[v])} ({hops[where[v] or 0]})" for v in lost),
        "hops": len(hops),
        "control_echoed": control,
    }
    thresholds = {"required_share_propagated": 1.0}
    if not anywhere and control:
        return Outcome(
            Verdict.FAIL,
            f"the trace ID is lost for all {len(variants)} spellings between the entry and the echo hop, "
            "while a control request straight to the echo hop is echoed (a lookup that matches no spelling, "
            'e.g. Go\'s r.Header["X-Trace-ID"]: use Header.Get)',
            figures=figures,
            thresholds=thresholds,
        )
    if not anywhere:
        why = (
            "the control request straight to the echo hop was not echoed either"
            if control is False
            else "no control_url to prove the echo hop echoes"
        )
        return Outcome(
            Verdict.UNKNOWN,
            f"the trace ID was never echoed for any of {len(variants)} spellings: cannot verify propagation "
            f"here ({why})",
            figures=figures,
            thresholds=thresholds,
            error=f"never echoed; {why}",
        )
    if lost:
        detail = "; ".join(f"{v} lost at {hop_name(where[v])}" for v in lost)
        return Outcome(
            Verdict.FAIL,
            f"{len(passed)} of {len(variants)} spellings reach the echo endpoint: "
            f"{detail} (one canonical spelling, case-insensitive lookups, no underscores)",
            figures=figures,
            thresholds=thresholds,
        )
    return Outcome(
        Verdict.OK,
        f"all {len(variants)} spellings ({', '.join(variants)}) reach the echo endpoint",
        figures=figures,
        thresholds=thresholds,
    )
