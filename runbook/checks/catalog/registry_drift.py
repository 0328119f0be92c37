"""Registry consistency across clusters (R4): do all registries list the same instances?

Multi-cluster discovery breaks quietly: a sync job stalls, one cluster keeps a dead instance
or misses a new one, and traffic that depends on which registry a client asks goes wrong.
This check takes canonical snapshots of the same service in two or more registries (etcd
prefixes over the JSON gateway, Consul ``/v1/health/service/<svc>``), compares Merkle roots,
and lists the instances that differ. It repeats the snapshot after a gap so that a change
still propagating (warn) is told apart from a persistent divergence (fail).

Persistent means over time, not over repeats: Consul anti-entropy and sync jobs take tens of
seconds, so the same diff twice 5 s apart is normal replication lag. A fail needs the same
diff in every repeat across at least ``min_persist_s`` (default 60 s: three snapshots 30 s
apart); a diff that held for less is ``warn``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal
from urllib.parse import quote

from pydantic import Field, field_validator

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.catalog._etcd_gateway import range_prefix
from runbook.checks.catalog._registry_snapshot import (
    DEFAULT_VOLATILE_META,
    Diff,
    Snapshot,
    consul_records,
    diff,
    etcd_identity,
    etcd_record,
)
from runbook.checks.http import fetch
from runbook.checks.registry import register_check


@register_check
class RegistryConsistency(Check["RegistryConsistency.Params"]):
    name = "registry_consistency"
    title = "Registry consistency across clusters"
    description = (
        "Snapshots a service in every registry (etcd prefix or Consul health API), hashes "
        "canonical records into Merkle roots and diffs them, `repeats` times `gap_s` apart. "
        "fail: roots differ with the same diff in every repeat across >= min_persist_s (60 s); "
        "warn: the same diff held for less (replication lag not ruled out), they differ in some "
        "repeats only (propagation lag), no known Consul leader, or last contact > 1000 ms; "
        "ok: roots equal."
    )
    rules = ("R4",)
    default_timeout_s = 90.0
    secret_params = ("token",)

    class Params(CheckParams):
        clusters: dict[str, str] = Field(min_length=2)
        """Cluster name -> base URL. Prefix a URL with ``etcd+`` or ``consul+`` to mix sources."""
        source: Literal["etcd", "consul"] = "etcd"
        """Default source for URLs without an ``etcd+``/``consul+`` prefix."""
        service: str = ""
        """Consul service name; for etcd the default prefix is ``/services/<service>/``."""
        prefix: str = ""
        """etcd key prefix holding the service's registrations."""
        token: str | None = None
        """Consul ACL token (sent as X-Consul-Token; redacted)."""
        identity: Literal["service_id", "addr_port"] = "service_id"
        repeats: int = Field(3, ge=1, le=10)
        gap_s: float = Field(30.0, ge=0)
        min_persist_s: float = Field(60.0, ge=0)
        """A diff must hold this long (first to last repeat) to be a divergence, not lag."""
        volatile_meta: list[str] = Field(default_factory=lambda: list(DEFAULT_VOLATILE_META))
        max_last_contact_ms: float = Field(1000.0, ge=0)

        @field_validator("clusters")
        @classmethod
        def _urls(cls, v: dict[str, str]) -> dict[str, str]:
            for name, url in v.items():
                if "://" not in url:
                    raise ValueError(f"cluster {name!r}: {url!r} is not a URL")
            return v

    async def run(self, params: Params, ctx: CheckContext) -> Outcome:
        if not params.prefix and not params.service:
            raise MeasureError("give `prefix` (etcd) or `service` (Consul)")
        names = list(params.clusters)
        rounds: list[list[Diff]] = []
        snaps: list[Snapshot] = []
        started = time.monotonic()
        span = 0.0
        warnings: list[str] = []
        seen_roots: list[str] = []
        for i in range(params.repeats):
            if i:
                if ctx.remaining() < params.gap_s + 1:
                    ctx.record("note", f"stopped after {i} repeat(s): deadline too close for another gap")
                    break
                await asyncio.sleep(params.gap_s)
            results = await asyncio.gather(*(self._snapshot(ctx, params, n, warnings) for n in names))
            span = time.monotonic() - started
            snaps = list(results)
            seen_roots.append(", ".join(f"{s.cluster} root={s.root[:16]} count={len(s.records)}" for s in snaps))
            ref = snaps[0]
            rounds.append([diff(ref, s) for s in snaps[1:]])
            ctx.record(
                "sample",
                f"repeat {i + 1}: "
                + ", ".join(f"{s.cluster} root={s.root[:16]} index={s.index} count={len(s.records)}" for s in snaps),
            )
            for d in rounds[-1]:
                if not d.empty:
                    ctx.record("event", f"repeat {i + 1}: {_describe(ref.cluster, d)}")
        ctx.record("snapshots", _snapshots_and_diffs(snaps, rounds, seen_roots), deciding=True)
        return _decide(params, names, snaps, rounds, warnings, span)

    async def _snapshot(self, ctx: CheckContext, params: Params, name: str, warnings: list[str]) -> Snapshot:
        url = params.clusters[name]
        kind = params.source
        for k in ("etcd", "consul"):
            if url.startswith(k + "+"):
                kind, url = k, url[len(k) + 1 :]
        if kind == "consul":
            return await _consul_snapshot(ctx, params, name, url, warnings)
        prefix = params.prefix or f"/services/{params.service}/"
        result = await range_prefix(ctx, url, prefix, evidence=False)
        records: dict[str, dict[str, Any]] = {}
        for kv in result.kvs:
            rec = etcd_record(kv.value, params.volatile_meta)
            records[etcd_identity(kv.key, prefix, rec, params.identity)] = rec
        return Snapshot(name, records, str(result.revision))


async def _consul_snapshot(
    ctx: CheckContext, params: RegistryConsistency.Params, name: str, url: str, warnings: list[str]
) -> Snapshot:
    if not params.service:
        raise MeasureError(f"cluster {name}: Consul needs `service`")
    headers = {"X-Consul-Token": params.token} if params.token else None
    full = f"{url.rstrip('/')}/v1/health/service/{quote(params.service, safe='')}?stale"
    reply = await fetch(ctx, "GET", full, headers=headers, timeout_s=5.0, evidence=False)
    if reply.status != 200:
        raise MeasureError(f"cluster {name}: Consul answered HTTP {reply.status}: {reply.text()[:160]!r}")
    try:
        records = consul_records(reply.json(), params.identity, params.volatile_meta)
    except ValueError as exc:
        raise MeasureError(f"cluster {name}: {exc}") from None
    leader = (reply.header("X-Consul-KnownLeader") or "").lower()
    if leader == "false":
        warnings.append(f"{name}: X-Consul-KnownLeader false")
    contact = reply.header("X-Consul-LastContact")
    if contact and contact.isdigit() and int(contact) > params.max_last_contact_ms:
        warnings.append(f"{name}: last contact with leader {contact} ms")
    return Snapshot(name, records, reply.header("X-Consul-Index") or "")


def _snapshots_and_diffs(snaps: list[Snapshot], rounds: list[list[Diff]], roots: list[str]) -> str:
    """Each repeat's Merkle roots per cluster, the last repeat's differences, and the differing
    records side by side: a reviewer sees the divergence persist and what it is."""
    lines = [f"repeat {i + 1}: {r}" for i, r in enumerate(roots)]
    ref = snaps[0]
    by_name = {s.cluster: s for s in snaps}
    for d in rounds[-1] if rounds else ():
        if d.empty:
            continue
        lines.append(_describe(ref.cluster, d))
        for iid in list(d.differ)[:5]:
            for name in (ref.cluster, d.other):
                record = by_name[name].records.get(iid, {})
                shown = {k: record.get(k) for k in d.differ[iid]}
                lines.append(f"  {iid} in {name}: {shown}"[:300])
    if len(lines) == len(roots):
        lines.append("no difference in the last repeat")
    return "\n".join(lines)


def _describe(ref: str, d: Diff) -> str:
    parts = []
    if d.only_in_reference:
        parts.append(f"only_in_{ref}=[{', '.join(d.only_in_reference)}]")
    if d.only_in_other:
        parts.append(f"only_in_{d.other}=[{', '.join(d.only_in_other)}]")
    if d.differ:
        parts.append("differ=[" + ", ".join(f"{i} ({'/'.join(f)})" for i, f in d.differ.items()) + "]")
    return f"{ref} vs {d.other}: " + " ".join(parts)


def _decide(
    params: RegistryConsistency.Params,
    names: list[str],
    snaps: list[Snapshot],
    rounds: list[list[Diff]],
    warnings: list[str],
    span: float = 0.0,
) -> Outcome:
    ref = snaps[0]
    last = rounds[-1]
    diverged = [any(not d.empty for d in r) for r in rounds]
    sigs = {tuple(d.signature() for d in r) for r in rounds}
    ids = sorted({i for d in last for i in (*d.only_in_reference, *d.only_in_other, *d.differ)})
    figures: dict[str, Figure] = {
        "clusters": len(names),
        "repeats": len(rounds),
        "diverged_repeats": sum(diverged),
        "differing_instances": len(ids),
        "span_s": round(span, 1),
    }
    for s in snaps:
        figures[f"root_{s.cluster}"] = s.root[:16]
        figures[f"count_{s.cluster}"] = len(s.records)
        figures[f"index_{s.cluster}"] = s.index
    detail = "; ".join(_describe(ref.cluster, d) for d in last if not d.empty)
    if detail:
        figures["diff"] = detail[:500]
    thresholds = {
        "repeats": params.repeats,
        "gap_s": params.gap_s,
        "min_persist_s": params.min_persist_s,
        "max_last_contact_ms": params.max_last_contact_ms,
    }
    if all(diverged) and len(sigs) == 1 and span >= params.min_persist_s:
        return Outcome(
            Verdict.FAIL, f"registries diverge in every repeat over {span:.0f}s: {detail}", figures, thresholds
        )
    if all(diverged) and len(sigs) == 1:
        return Outcome(
            Verdict.WARN,
            f"the same diff in all {len(rounds)} repeats, but over {span:.0f}s only (< {params.min_persist_s:g}s): "
            f"replication lag not ruled out: {detail}",
            figures,
            thresholds,
        )
    if any(diverged):
        shown = detail or "differences came and went"
        return Outcome(
            Verdict.WARN,
            f"registries differed in {sum(diverged)} of {len(rounds)} repeats (propagation lag?): {shown}",
            figures,
            thresholds,
        )
    if not any(s.records for s in snaps):
        return Outcome(
            Verdict.UNKNOWN,
            "no instances in any registry: nothing to compare (wrong prefix or service name?)",
            figures,
            thresholds,
            error="every snapshot is empty",
        )
    if warnings:
        return Outcome(Verdict.WARN, "roots equal, but " + "; ".join(warnings), figures, thresholds)
    return Outcome(
        Verdict.OK,
        f"{len(names)} registries agree on {len(ref.records)} instance(s) (root {ref.root[:12]})",
        figures,
        thresholds,
    )
