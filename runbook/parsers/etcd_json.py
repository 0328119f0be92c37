"""Decoding etcd's JSON gRPC gateway (``/v3/*``): base64 bytes, int64-as-string, prefixes.

The gateway maps protobuf to JSON: ``bytes`` fields are base64, ``int64`` fields come back as
JSON strings (lease IDs exceed 2^53, so they must be sent as strings too), and zero or empty
fields are left out entirely (``count``, ``kvs``, ``lease``, and ``type`` on PUT events).
These helpers turn gateway JSON into small frozen records and never raise anything but
:class:`EtcdFormatError` on malformed input, so a check can map it to ``unknown``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_INT64 = re.compile(r"-?[0-9]{1,20}")


class EtcdFormatError(ValueError):
    """The gateway answered something that is not the documented JSON shape."""


def b64encode(raw: bytes | str) -> str:
    """Base64 of a key or value, as the gateway expects in request bodies."""
    data = raw.encode() if isinstance(raw, str) else raw
    return base64.b64encode(data).decode("ascii")


def b64decode(text: Any) -> bytes:
    """Bytes of a gateway base64 field (missing means empty, as protobuf JSON omits it)."""
    if text is None or text == "":
        return b""
    if not isinstance(text, str):
        raise EtcdFormatError(f"expected a base64 string, got {type(text).__name__}")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EtcdFormatError(f"invalid base64 {text[:40]!r}: {exc}") from None


def int64(value: Any, default: int = 0) -> int:
    """An int64 field: a JSON string like ``"7"`` (or a plain number from older gateways)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise EtcdFormatError(f"expected an int64, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _INT64.fullmatch(text):
            return int(text)
    raise EtcdFormatError(f"expected an int64 string, got {str(value)[:40]!r}")


def prefix_range_end(prefix: bytes | str) -> bytes:
    """The ``range_end`` that selects every key starting with ``prefix``.

    The last byte below 0xff is incremented and everything after it dropped (so ``/svc/``
    gives ``/svc0``); an empty or all-0xff prefix gives ``b"\\0"``, etcd's "to the end".
    """
    data = bytearray(prefix.encode() if isinstance(prefix, str) else prefix)
    while data:
        if data[-1] < 0xFF:
            data[-1] += 1
            return bytes(data)
        data.pop()
    return b"\0"


def range_request(prefix: bytes | str) -> dict[str, str]:
    """Body of ``/v3/kv/range`` (or a watch ``create_request``) for a whole prefix."""
    key = prefix.encode() if isinstance(prefix, str) else prefix
    return {"key": b64encode(key), "range_end": b64encode(prefix_range_end(key))}


@dataclass(frozen=True)
class KeyValue:
    """One key as the range or watch API shows it."""

    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    version: int
    lease: int
    """Lease ID, 0 when the key has no lease (it then never expires)."""


@dataclass(frozen=True)
class RangeResult:
    revision: int
    kvs: tuple[KeyValue, ...]


@dataclass(frozen=True)
class LeaseTTL:
    lease: int
    ttl: int
    """Remaining seconds; -1 when the lease expired or never existed."""
    granted_ttl: int
    """0 when etcd left it out (expired or unknown lease)."""
    keys: tuple[str, ...]

    @property
    def expired(self) -> bool:
        return self.ttl < 0


@dataclass(frozen=True)
class WatchEvent:
    kind: str
    """``PUT`` or ``DELETE`` (PUT is omitted on the wire as the zero enum value)."""
    kv: KeyValue
    prev_lease: int
    """The lease the key had before a DELETE (from ``prev_kv``), 0 when unknown."""


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise EtcdFormatError(f"{what}: expected a JSON object, got {type(data).__name__}")
    return data


def _key_text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="backslashreplace")


def parse_kv(data: Any) -> KeyValue:
    d = _mapping(data, "kv")
    return KeyValue(
        key=_key_text(b64decode(d.get("key"))),
        value=b64decode(d.get("value")),
        create_revision=int64(d.get("create_revision")),
        mod_revision=int64(d.get("mod_revision")),
        version=int64(d.get("version")),
        lease=int64(d.get("lease")),
    )


def parse_range(data: Any) -> RangeResult:
    d = _mapping(data, "range response")
    if "header" not in d:
        # etcd always sends a header; without one this is some other JSON endpoint
        raise EtcdFormatError("range response has no 'header' (not an etcd gateway?)")
    header = _mapping(d.get("header") or {}, "header")
    kvs = d.get("kvs") or []
    if not isinstance(kvs, list):
        raise EtcdFormatError("range response: 'kvs' is not a list")
    return RangeResult(revision=int64(header.get("revision")), kvs=tuple(parse_kv(kv) for kv in kvs))


def parse_timetolive(data: Any) -> LeaseTTL:
    d = _mapping(data, "timetolive response")
    if "ID" not in d:
        raise EtcdFormatError("timetolive response has no 'ID'")
    keys = d.get("keys") or []
    if not isinstance(keys, list):
        raise EtcdFormatError("timetolive response: 'keys' is not a list")
    return LeaseTTL(
        lease=int64(d.get("ID")),
        ttl=int64(d.get("TTL")),
        granted_ttl=int64(d.get("grantedTTL")),
        keys=tuple(_key_text(b64decode(k)) for k in keys),
    )


def parse_watch_message(data: Any) -> tuple[bool, tuple[WatchEvent, ...]]:
    """One line of the ``/v3/watch`` stream -> (created, events).

    Lines are ``{"result": {...}}``; an ``{"error": ...}`` line raises EtcdFormatError.
    """
    d = _mapping(data, "watch message")
    if "error" in d:
        raise EtcdFormatError(f"watch error: {str(d['error'])[:200]}")
    result = _mapping(d.get("result") or {}, "watch result")
    events = result.get("events") or []
    if not isinstance(events, list):
        raise EtcdFormatError("watch result: 'events' is not a list")
    out = []
    for ev in events:
        e = _mapping(ev, "watch event")
        kind = str(e.get("type") or "PUT")
        prev = e.get("prev_kv")
        prev_lease = parse_kv(prev).lease if isinstance(prev, Mapping) else 0
        out.append(WatchEvent(kind=kind, kv=parse_kv(e.get("kv") or {}), prev_lease=prev_lease))
    return bool(result.get("created")), tuple(out)
