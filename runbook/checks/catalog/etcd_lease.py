"""etcd lease keep-alive health (R1): are service registrations kept alive, or do they flap?

A Go service registers under a prefix with a key bound to a lease and renews it with
``KeepAlive`` (clientv3 renews every TTL/3). When renewals are missed (several KeepAlive
streams fighting over one lease, a cancelled context, an undrained channel), the remaining
TTL sinks, the lease expires, etcd deletes the key and the service vanishes from discovery
until it re-registers: a flap. This check watches a prefix for a window and measures exactly
that through etcd's JSON gateway: remaining/granted TTL per lease at every poll, keys that
vanish or come back with a new create_revision, DELETE events from the watch stream, keys
with no lease at all, and lease/leader counters from ``/metrics`` when they are reachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from pydantic import Field

from runbook.checks.base import Check, CheckContext, CheckParams, MeasureError, Outcome, Verdict
from runbook.checks.catalog._etcd_gateway import lease_ttl, metrics_page, range_prefix
from runbook.checks.catalog._etcd_metrics import LeaseCounters, read_counters
from runbook.checks.http import stream_lines
from runbook.checks.registry import register_check
from runbook.parsers.etcd_json import EtcdFormatError, RangeResult, WatchEvent, parse_watch_message, range_request

#: Time kept back at the end of the window for the last poll and the metrics scrape.
END_MARGIN_S = 1.5


@register_check
class EtcdLeaseKeepalive(Check["EtcdLeaseKeepalive.Params"]):
    name = "etcd_lease_keepalive"
    title = "etcd lease keep-alive health"
    description = (
        "Polls the keys under a prefix and their leases for a window and watches for deletes. "
        "fail: a lease expires (its last polled TTL had run down to about the poll gap) and its "
        "keys vanish, or fewer instances than expected; a revoked lease or a deleted key (a "
        "graceful shutdown, a rolling deploy) is not a failure; warn: remaining/granted TTL fell "
        "below 1/3 (a missed keepalive), a key deleted and re-created, keys without lease, leader "
        "changes, an etcd-wide lease re-grant storm or slow WAL fsync; ok otherwise."
    )
    rules = ("R1",)
    default_timeout_s = 75.0

    class Params(CheckParams):
        etcd_url: str
        """Client URL of one etcd member, e.g. ``http://127.0.0.1:2379``."""
        prefix: str
        """Registration prefix, e.g. ``/services/orders/``."""
        expected_instances: int | None = Field(None, ge=0)
        duration_s: float | None = Field(None, gt=0)
        """Observation window; default max(3 x largest granted TTL, 30), cut to the deadline."""
        poll_s: float = Field(1.0, gt=0)
        watch: bool = True
        """Also follow the ``/v3/watch`` stream for DELETE events between polls."""
        warn_ttl_ratio: float = Field(1 / 3, gt=0, le=1)
        wal_fsync_p99_warn_s: float = Field(0.010, gt=0)

    async def run(self, params: Params, ctx: CheckContext) -> Outcome:
        base = params.etcd_url.rstrip("/")
        first = await range_prefix(ctx, base, params.prefix)
        ctx.record("sample", f"revision {first.revision}: {len(first.kvs)} keys under {params.prefix}")
        if not first.kvs and params.expected_instances is None:
            return Outcome(
                Verdict.UNKNOWN,
                f"no keys under {params.prefix!r}: nothing to watch",
                figures={"keys": 0, "revision": first.revision},
                error="no keys under the prefix",
            )
        obs = _Observation(params.warn_ttl_ratio)
        before = read_counters(await metrics_page(ctx, base))
        await obs.poll(ctx, base, first, record_all=True)
        window = params.duration_s or max(3 * obs.max_granted_ttl, 30.0)
        window = min(window, ctx.remaining() - END_MARGIN_S)
        if window <= 0:
            raise MeasureError("deadline too short for any observation window")
        watch_task = None
        if params.watch:
            watch_task = asyncio.create_task(_watch(ctx, base, params.prefix, first.revision + 1, window))
        t_end = time.monotonic() + window
        try:
            while (left := t_end - time.monotonic()) > 0:
                await asyncio.sleep(min(params.poll_s, left))
                await obs.poll(ctx, base, await range_prefix(ctx, base, params.prefix, evidence=False))
                ctx.progress(min(1.0, 1 - (t_end - time.monotonic()) / window), f"{obs.polls} polls")
        except BaseException:
            if watch_task is not None:
                watch_task.cancel()  # never leave the stream running behind a failed check
            raise
        events: list[WatchEvent] = []
        watch_note = "off"
        if watch_task is not None:
            events, watch_note = await _finish(watch_task)
        after = read_counters(await metrics_page(ctx, base))
        return _decide(params, obs, events, watch_note, before, after, window, ctx)


class _Observation:
    """What the polls saw: per-lease TTL ratios, instance counts, vanished and re-created keys."""

    def __init__(self, warn_ratio: float) -> None:
        self.warn_ratio = warn_ratio
        self.created: dict[str, int] = {}
        self.lease_of: dict[str, int] = {}
        self.leases_of_key: dict[str, set[int]] = {}
        """Every lease each key was seen with (a re-registered key has a new one)."""
        self.min_ratio: dict[int, float] = {}
        self.granted: dict[int, int] = {}
        self.expired: set[int] = set()
        """Leases gone (TTL -1) after their TTL had run down: expiry, R1's failure mode."""
        self.revoked: set[int] = set()
        """Leases gone while time was left on them: revoked (graceful shutdown) or deleted."""
        self.last_alive: dict[int, tuple[int, float]] = {}
        """Per lease, the last polled remaining TTL and when (monotonic) it was polled."""
        self.vanished: set[str] = set()
        self.recreated: set[str] = set()
        self.no_lease: set[str] = set()
        self.counts: list[int] = []
        self.polls = 0
        self.revision = 0

    @property
    def max_granted_ttl(self) -> int:
        return max(self.granted.values(), default=0)

    async def poll(self, ctx: CheckContext, base: str, result: RangeResult, *, record_all: bool = False) -> None:
        self.polls += 1
        self.revision = result.revision
        now = {kv.key: kv for kv in result.kvs}
        self.counts.append(len(now))
        for key in set(self.created) - set(now):
            if key not in self.vanished:
                ctx.record("event", f"key {key} vanished (lease {self.lease_of.get(key, 0):x})")
            self.vanished.add(key)
        for key, kv in now.items():
            seen = self.created.get(key)
            if seen is not None and seen != kv.create_revision:
                self.recreated.add(key)
                ctx.record("event", f"key {key} re-created at revision {kv.create_revision} (was {seen})")
            self.created[key] = kv.create_revision
            self.lease_of[key] = kv.lease
            self.leases_of_key.setdefault(key, set()).add(kv.lease)
            if kv.lease == 0:
                self.no_lease.add(key)
        gone = self.expired | self.revoked
        leases = sorted({kv.lease for kv in result.kvs if kv.lease} | (set(self.min_ratio) - gone))
        ttls = await asyncio.gather(*(lease_ttl(ctx, base, lease, evidence=False) for lease in leases))
        polled_at = time.monotonic()
        for t in ttls:
            if t.expired:
                if t.lease not in gone:
                    self._gone(ctx, t.lease, polled_at)
                continue
            self.last_alive[t.lease] = (t.ttl, polled_at)
            if t.granted_ttl > 0:
                self.granted[t.lease] = t.granted_ttl
                ratio = t.ttl / t.granted_ttl
                low = ratio < self.min_ratio.get(t.lease, 2.0)
                self.min_ratio[t.lease] = min(ratio, self.min_ratio.get(t.lease, 2.0))
                if record_all or (low and ratio < self.warn_ratio):
                    ctx.record("sample", f"lease {t.lease:x} TTL {t.ttl}/{t.granted_ttl} keys {list(t.keys)[:5]}")

    def _gone(self, ctx: CheckContext, lease: int, now: float) -> None:
        """Tell an expiry from a revoke: etcd answers TTL -1 for both.

        A lease expired only if its remaining TTL at the last poll had run down to about the
        time since (whole-second truncation gives one second of slack); with time left on it,
        someone revoked it (a graceful shutdown) and it did not expire.
        """
        last = self.last_alive.get(lease)
        if last is None:
            # never polled alive: nothing says it ran down, so no expiry is claimed
            self.revoked.add(lease)
            ctx.record("event", f"lease {lease:x} gone (TTL -1) before any poll saw it alive: cause unknown")
        elif ran_down(last, now):
            self.expired.add(lease)
            ctx.record(
                "event", f"lease {lease:x} expired (TTL -1; last polled TTL {last[0]}s, {now - last[1]:.1f}s before)"
            )
        else:
            self.revoked.add(lease)
            ctx.record("event", f"lease {lease:x} revoked (TTL -1 with {last[0]}s left {now - last[1]:.1f}s before)")

    def lease_expired(self, lease: int, now: float) -> bool:
        """Whether ``lease`` expired in the window (a lease not yet seen gone counts if it ran down)."""
        if lease in self.expired:
            return True
        last = self.last_alive.get(lease)
        return lease not in self.revoked and last is not None and ran_down(last, now)


def _key_fates(
    obs: _Observation,
    deletes: list[WatchEvent],
    vanished: set[str],
    expired_keys: set[str],
    recreated: set[str],
    prefix: str,
    now: float,
) -> str:
    """The keys that vanished (or, with none, those that stayed) with their leases and revisions,
    and what became of each lease: the lines a reviewer needs to see an expiry, not a deploy."""
    deleted_at = {e.kv.key: e.kv.mod_revision for e in deletes}
    lines = [f"{len(vanished)} key(s) vanished under {prefix} (revision {obs.revision} at the end)"]
    for key in sorted(vanished)[:20]:
        lease = obs.lease_of.get(key, 0)
        fate = "expired" if key in expired_keys else "deleted or revoked"
        rev = f", deleted at revision {deleted_at[key]}" if key in deleted_at else ""
        again = "; re-created" if key in recreated else ""
        lines.append(f"  {key} lease {lease:x} created at revision {obs.created.get(key, 0)}{rev}: {fate}{again}")
    for lease in sorted(obs.expired | obs.revoked)[:20]:
        last = obs.last_alive.get(lease)
        seen = f", last polled TTL {last[0]}s {now - last[1]:.1f}s before the end" if last else ""
        what = "expired (ran down unrenewed)" if lease in obs.expired else "revoked (time was left)"
        lines.append(f"  lease {lease:x} {what}, granted {obs.granted.get(lease, '?')}s{seen}")
    if not vanished:
        for key in sorted(obs.created)[:20]:
            lease = obs.lease_of.get(key, 0)
            ratio = obs.min_ratio.get(lease)
            kept = f", lowest TTL {ratio:.0%} of granted" if ratio is not None else ""
            lines.append(f"  {key} lease {lease:x} created at revision {obs.created[key]}: kept{kept}")
    return "\n".join(lines)


def ran_down(last: tuple[int, float], now: float) -> bool:
    """A lease whose last polled TTL was at most the time since (+1 s of whole-second truncation)."""
    ttl, polled_at = last
    return ttl <= (now - polled_at) + 1.0


async def _watch(ctx: CheckContext, base: str, prefix: str, start_revision: int, window: float) -> list[WatchEvent]:
    """Events under ``prefix`` from ``start_revision`` until the window ends."""
    body = {"create_request": {**range_request(prefix), "start_revision": str(start_revision), "prev_kv": True}}
    events: list[WatchEvent] = []
    lines = stream_lines(ctx, "POST", base + "/v3/watch", json=body, duration_s=window)
    async with contextlib.aclosing(lines) as stream:
        async for line in stream:
            if not line.strip():
                continue
            try:
                _, batch = parse_watch_message(json.loads(line))
            except (ValueError, EtcdFormatError) as exc:
                raise MeasureError(f"watch stream: {exc}") from None
            for ev in batch:
                events.append(ev)
                if ev.kind == "DELETE":
                    ctx.record(
                        "event", f"watch DELETE {ev.kv.key} at revision {ev.kv.mod_revision} (lease {ev.prev_lease:x})"
                    )
    return events


async def _finish(task: asyncio.Task[list[WatchEvent]]) -> tuple[list[WatchEvent], str]:
    try:
        return await asyncio.wait_for(task, timeout=1.0), "ok"
    except TimeoutError:
        return [], "watch did not end in time"
    except MeasureError as exc:
        return [], f"watch failed: {exc}"


def _decide(
    params: EtcdLeaseKeepalive.Params,
    obs: _Observation,
    events: list[WatchEvent],
    watch_note: str,
    before: LeaseCounters,
    after: LeaseCounters,
    window: float,
    ctx: CheckContext | None = None,
) -> Outcome:
    now = time.monotonic()
    deletes = [e for e in events if e.kind == "DELETE"]
    # prev_kv.lease is set on ANY delete of a leased key (delete, revoke): expiry only if the lease ran down
    expiry_deletes = [e for e in deletes if e.prev_lease and obs.lease_expired(e.prev_lease, now)]
    deleted_before: set[str] = set()
    watch_recreated: set[str] = set()
    for e in events:
        if e.kind == "DELETE":
            deleted_before.add(e.kv.key)
        elif e.kv.version == 1 and e.kv.key in deleted_before:
            watch_recreated.add(e.kv.key)
    recreated = set(obs.recreated) | watch_recreated
    vanished = obs.vanished | {e.kv.key for e in deletes}
    expired_keys = {e.kv.key for e in expiry_deletes} | {
        key for key in vanished if any(obs.lease_expired(lease, now) for lease in obs.leases_of_key.get(key, ()))
    }
    flapped = recreated & expired_keys
    min_ratio = min(obs.min_ratio.values(), default=None)
    count_min = min(obs.counts)
    deltas = before.delta(after)
    ttl = obs.max_granted_ttl or 1
    storm_limit = max(1, max(obs.counts)) * window / ttl
    figures = {
        "instances_min": count_min,
        "instances_max": max(obs.counts),
        "leases": len(set(obs.granted) | obs.expired | obs.revoked),
        "min_ttl_ratio": round(min_ratio, 3) if min_ratio is not None else None,
        "max_granted_ttl_s": obs.max_granted_ttl,
        "expired_leases": len(obs.expired),
        "revoked_leases": len(obs.revoked),
        "vanished_keys": len(vanished),
        "expired_keys": len(expired_keys),
        "graceful_deletes": len(vanished - expired_keys),
        "recreated_keys": len(recreated),
        "delete_events": len(deletes),
        "lease_expiry_deletes": len(expiry_deletes),
        "keys_without_lease": len(obs.no_lease),
        "polls": obs.polls,
        "window_s": round(window, 2),
        "revision": obs.revision,
        "watch": watch_note,
        **deltas.figures(),
    }
    thresholds = {
        "warn_ttl_ratio": round(params.warn_ttl_ratio, 3),
        "expected_instances": params.expected_instances,
        "grant_storm_limit": round(storm_limit, 1),
        "wal_fsync_p99_warn_s": params.wal_fsync_p99_warn_s,
    }
    fail: list[str] = []
    warn: list[str] = []
    if obs.expired:
        fail.append(f"{len(obs.expired)} lease(s) expired (TTL ran down unrenewed)")
    if expired_keys:
        fail.append(f"{len(expired_keys)} key(s) vanished ({', '.join(sorted(expired_keys)[:3])})")
    if flapped:
        fail.append(f"{len(flapped)} key(s) flapped (expired, then re-created)")
    if recreated - flapped:
        warn.append(f"{len(recreated - flapped)} key(s) deleted and re-created (a restart re-registering)")
    if params.expected_instances is not None and count_min < params.expected_instances:
        fail.append(f"instances dropped to {count_min} < expected {params.expected_instances}")
    if min_ratio is not None and min_ratio < params.warn_ttl_ratio:
        warn.append(f"remaining TTL fell to {min_ratio:.0%} of granted (missed keepalive)")
    if obs.no_lease:
        warn.append(f"{len(obs.no_lease)} key(s) without lease never expire (zombie risk)")
    if deltas.leader_changes:
        # the new leader's lessor extends every lease on promotion: no expiry from this alone
        warn.append(f"{deltas.leader_changes:g} leader change(s) (leases are extended, not expired, by it)")
    if deltas.granted is not None and deltas.granted > storm_limit:
        # etcd's lease counters are per member with no service label: no per-prefix claim
        warn.append(f"{deltas.granted:g} leases granted in {window:.0f}s on this member, any client (re-grant storm)")
    if deltas.wal_fsync_p99_s is not None and deltas.wal_fsync_p99_s > params.wal_fsync_p99_warn_s:
        warn.append(f"WAL fsync p99 up to {deltas.wal_fsync_p99_s}s (> {params.wal_fsync_p99_warn_s}s): slow disk")
    head = f"{count_min}-{max(obs.counts)} instance(s) under {params.prefix} over {window:.0f}s"
    if ctx is not None:
        ctx.record(
            "keys", _key_fates(obs, deletes, vanished, expired_keys, recreated, params.prefix, now), deciding=True
        )
    if fail:
        return Outcome(Verdict.FAIL, f"{head}: " + "; ".join(fail + warn), figures, thresholds)
    if warn:
        return Outcome(Verdict.WARN, f"{head}: " + "; ".join(warn), figures, thresholds)
    ratio = f", min TTL ratio {min_ratio:.0%}" if min_ratio is not None else ""
    graceful = vanished - expired_keys
    left = f"; {len(graceful)} key(s) deregistered gracefully (revoke/delete)" if graceful else ""
    return Outcome(Verdict.OK, f"{head}: every lease kept alive{ratio}{left}", figures, thresholds)
