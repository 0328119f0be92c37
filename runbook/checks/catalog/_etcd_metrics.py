"""The few etcd ``/metrics`` counters the lease check compares before and after its window.

``etcd_debugging_lease_revoked_total`` also counts TTL expiries, so its delta is "leases that
died"; ``granted`` rising faster than instances x window / TTL means clients keep re-granting
(a keepalive that never works). A page that cannot be read gives all-None counters: metrics
are supporting evidence, never a reason for ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass

from runbook.errors import ParseError
from runbook.parsers.prom_select import read_page, select_sum
from runbook.parsers.prom_text import Exposition, histogram_series


@dataclass(frozen=True)
class LeaseCounters:
    granted: float | None = None
    renewed: float | None = None
    revoked: float | None = None
    leader_changes: float | None = None
    wal_fsync_buckets: tuple[tuple[float, float], ...] = ()
    """Cumulative (le, count) of etcd_disk_wal_fsync_duration_seconds, sorted by le."""

    def delta(self, after: LeaseCounters) -> LeaseDeltas:
        def d(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else b - a

        return LeaseDeltas(
            granted=d(self.granted, after.granted),
            renewed=d(self.renewed, after.renewed),
            revoked=d(self.revoked, after.revoked),
            leader_changes=d(self.leader_changes, after.leader_changes) or 0,
            wal_fsync_p99_s=_window_p99(self.wal_fsync_buckets, after.wal_fsync_buckets),
        )


@dataclass(frozen=True)
class LeaseDeltas:
    granted: float | None
    renewed: float | None
    revoked: float | None
    leader_changes: float
    wal_fsync_p99_s: float | None = None
    """Upper bound of the bucket holding the p99 of fsyncs inside the window (None: none seen)."""

    def figures(self) -> dict[str, float | None]:
        return {
            "lease_granted_delta": self.granted,
            "lease_renewed_delta": self.renewed,
            "lease_revoked_delta": self.revoked,
            "leader_changes_delta": self.leader_changes,
            "wal_fsync_p99_s": self.wal_fsync_p99_s,
        }


def wal_fsync_buckets(page: Exposition) -> tuple[tuple[float, float], ...]:
    """Cumulative (le, count) of the WAL fsync histogram, summed over its series, sorted by le."""
    family = page.families.get("etcd_disk_wal_fsync_duration_seconds")
    if family is None:
        return ()
    counts: dict[float, float] = {}
    try:
        for series in histogram_series(family):
            for le, count in series.buckets:
                counts[le] = counts.get(le, 0.0) + count
    except ParseError:
        return ()  # a bucket row with a duplicate label name: no trustworthy histogram
    return tuple(sorted(counts.items()))


def _window_p99(before: tuple[tuple[float, float], ...], after: tuple[tuple[float, float], ...]) -> float | None:
    """p99 bucket bound of the fsyncs between two scrapes (the bucket layout must match)."""
    if not after or (before and [le for le, _ in before] != [le for le, _ in after]):
        return None
    prev = dict(before)
    delta = [(le, cum - prev.get(le, 0.0)) for le, cum in after]
    total = delta[-1][1]
    if total <= 0:
        return None
    for le, cum in delta:
        if cum >= 0.99 * total:
            return le if le != float("inf") else None
    return None


def read_counters(page: str | None) -> LeaseCounters:
    if not page:
        return LeaseCounters()
    expo = read_page(page)  # one parse for every counter below
    return LeaseCounters(
        granted=select_sum(expo, "etcd_debugging_lease_granted_total"),
        renewed=select_sum(expo, "etcd_debugging_lease_renewed_total"),
        revoked=select_sum(expo, "etcd_debugging_lease_revoked_total"),
        leader_changes=select_sum(expo, "etcd_server_leader_changes_seen_total"),
        wal_fsync_buckets=wal_fsync_buckets(expo),
    )
