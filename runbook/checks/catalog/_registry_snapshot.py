"""Canonical registry snapshots and their Merkle roots (pure; used by registry_consistency).

Two registries agree when they list the same instances with the same effective address,
port, tags, metadata and health. Volatile fields (Create/ModifyIndex, check Output, node IDs,
lease IDs, revisions, heartbeat-like metadata) are left out so that two healthy clusters hash
the same. Hashing follows the reference exactly:

- leaf = sha256(id + "\\0" + json.dumps(rec, sort_keys=True, separators=(",", ":"),
  ensure_ascii=False)), the id and the JSON both UTF-8;
- leaves sorted by id, pairs hashed as sha256(left || right), the last leaf duplicated on
  odd levels; the empty set hashes to sha256(b"").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Metadata keys that change on every heartbeat and must not count as drift.
DEFAULT_VOLATILE_META = ("last_seen", "lastseen", "heartbeat", "updated_at", "updated", "timestamp", "ts", "uptime")

_STATUS_RANK = {"passing": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Snapshot:
    """One registry at one moment: canonical records by instance id."""

    cluster: str
    records: Mapping[str, Mapping[str, Any]]
    index: str = ""
    """etcd header revision or X-Consul-Index."""

    @property
    def leaves(self) -> dict[str, bytes]:
        return {i: leaf_hash(i, r) for i, r in self.records.items()}

    @property
    def root(self) -> str:
        return merkle_root(self.leaves).hex()


def leaf_hash(ident: str, record: Mapping[str, Any]) -> bytes:
    blob = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((ident + "\0" + blob).encode("utf-8", errors="surrogatepass")).digest()


def merkle_root(leaves: Mapping[str, bytes]) -> bytes:
    level = [leaves[k] for k in sorted(leaves)]
    if not level:
        return hashlib.sha256(b"").digest()
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def bucket_roots(leaves: Mapping[str, bytes]) -> dict[str, str]:
    """Merkle root per bucket (first hex digit of sha256(id)): large sets compare these first."""
    buckets: dict[str, dict[str, bytes]] = {}
    for ident, leaf in leaves.items():
        b = hashlib.sha256(ident.encode("utf-8", errors="surrogatepass")).hexdigest()[0]
        buckets.setdefault(b, {})[ident] = leaf
    return {b: merkle_root(v).hex() for b, v in sorted(buckets.items())}


@dataclass(frozen=True)
class Diff:
    """How one cluster differs from the reference cluster."""

    other: str
    only_in_reference: tuple[str, ...]
    only_in_other: tuple[str, ...]
    differ: Mapping[str, tuple[str, ...]]
    """Instance id -> the record fields that differ."""

    @property
    def empty(self) -> bool:
        return not (self.only_in_reference or self.only_in_other or self.differ)

    def signature(self) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        return (self.other, self.only_in_reference, self.only_in_other, tuple(sorted(self.differ)))


def diff(reference: Snapshot, other: Snapshot) -> Diff:
    """Descend only into buckets whose roots differ, then compare leaves."""
    ref_leaves, oth_leaves = reference.leaves, other.leaves
    ref_b, oth_b = bucket_roots(ref_leaves), bucket_roots(oth_leaves)
    suspects = {b for b in set(ref_b) | set(oth_b) if ref_b.get(b) != oth_b.get(b)}

    def in_suspect(ident: str) -> bool:
        return hashlib.sha256(ident.encode("utf-8", errors="surrogatepass")).hexdigest()[0] in suspects

    ref_ids = {i for i in ref_leaves if in_suspect(i)}
    oth_ids = {i for i in oth_leaves if in_suspect(i)}
    differ = {}
    for ident in sorted(ref_ids & oth_ids):
        if ref_leaves[ident] != oth_leaves[ident]:
            a, b = reference.records[ident], other.records[ident]
            differ[ident] = tuple(sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)))
    return Diff(other.cluster, tuple(sorted(ref_ids - oth_ids)), tuple(sorted(oth_ids - ref_ids)), differ)


def _clean_meta(meta: Any, volatile: Iterable[str]) -> dict[str, str]:
    if not isinstance(meta, Mapping):
        return {}
    drop = {v.lower() for v in volatile}
    return {str(k): str(v) for k, v in sorted(meta.items()) if str(k).lower() not in drop}


def worst_status(checks: Any) -> str:
    statuses = [str(c.get("Status", "")).lower() for c in checks or () if isinstance(c, Mapping)]
    known = [s for s in statuses if s in _STATUS_RANK]
    return max(known, key=_STATUS_RANK.__getitem__) if known else "passing"


def consul_records(entries: Any, identity: str, volatile: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Canonical records from ``/v1/health/service/<svc>`` JSON (ValueError if not that shape)."""
    if not isinstance(entries, list):
        raise ValueError("Consul health reply is not a JSON list")
    out: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("Service"), Mapping):
            raise ValueError("Consul health entry without a 'Service' object")
        svc = entry["Service"]
        node: Mapping[str, Any] = entry["Node"] if isinstance(entry.get("Node"), Mapping) else {}
        addr = str(svc.get("Address") or node.get("Address") or "")
        rec = {
            "name": str(svc.get("Service", "")),
            "addr": addr,
            "port": svc.get("Port") if isinstance(svc.get("Port"), int) else 0,
            "tags": sorted(str(t) for t in svc.get("Tags") or () if t is not None),
            "meta": _clean_meta(svc.get("Meta"), volatile),
            "status": worst_status(entry.get("Checks")),
        }
        ident = f"{addr}:{rec['port']}" if identity == "addr_port" else str(svc.get("ID") or rec["name"])
        out[ident] = rec
    return out


def etcd_record(value: bytes, volatile: Iterable[str]) -> dict[str, Any]:
    """Canonical record of a registration value: JSON objects minus volatile keys, else the text."""
    text = value.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return {"value": text.strip()}
    if not isinstance(data, Mapping):
        return {"value": data}
    drop = {v.lower() for v in volatile}
    rec = {k: v for k, v in data.items() if k.lower() not in drop}
    for meta_key in ("meta", "metadata", "Metadata", "Meta"):
        if isinstance(rec.get(meta_key), Mapping):
            rec[meta_key] = _clean_meta(rec[meta_key], volatile)
    return rec


def etcd_identity(key: str, prefix: str, rec: Mapping[str, Any], identity: str) -> str:
    if identity == "addr_port":
        if "value" in rec and isinstance(rec["value"], str) and ":" in rec["value"]:
            return rec["value"]
        addr = rec.get("addr") or rec.get("address") or rec.get("Address") or rec.get("host") or ""
        port = rec.get("port") or rec.get("Port")
        if addr:
            return f"{addr}:{port}" if port and not str(addr).count(":") else str(addr)
    return key[len(prefix) :] if key.startswith(prefix) else key
