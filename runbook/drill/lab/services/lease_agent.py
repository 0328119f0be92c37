"""Registers three order-service instances in a real etcd, like the P0-1 services did (R1).

Instances i-1 and i-2 hold one lease each and renew it every TTL/3, as a healthy clientv3
client does. Instance i-3 reproduces the incident: its keep-alive stream is tied to a
watcher's context that gets cancelled, so nobody renews the lease; it expires, the key
disappears from discovery, and a later re-register puts it back: the instance flaps.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from runbook.drill.lab.services.httpkit import mark_ready


class Gateway:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            reply: dict[str, Any] = json.loads(resp.read() or b"{}")
            return reply

    def register(self, key: str, value: str, ttl: int) -> str:
        lease: str = self.call("/v3/lease/grant", {"TTL": ttl})["ID"]
        self.call("/v3/kv/put", {"key": _b64(key), "value": _b64(value), "lease": lease})
        return lease

    def keepalive(self, lease: str) -> None:
        self.call("/v3/lease/keepalive", {"ID": lease})


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _healthy(gw: Gateway, key: str, value: str, ttl: int) -> None:
    lease = gw.register(key, value, ttl)
    while True:
        time.sleep(ttl / 3)
        try:
            gw.keepalive(lease)
        except OSError:
            lease = _retry_register(gw, key, value, ttl)


def _retry_register(gw: Gateway, key: str, value: str, ttl: int) -> str:
    while True:
        try:
            return gw.register(key, value, ttl)
        except OSError:
            time.sleep(0.5)


def _flapping(gw: Gateway, key: str, value: str, ttl: int, gap_s: float) -> None:
    while True:
        # One renewal, then the stream's context is cancelled: the lease runs out.
        lease = _retry_register(gw, key, value, ttl)
        time.sleep(ttl / 3)
        with contextlib.suppress(OSError):
            gw.keepalive(lease)
        time.sleep(ttl + gap_s)  # expired: the instance is gone until the next re-register


def main(name: str, directory: Path, opts: dict[str, Any]) -> None:
    gw = Gateway(opts["etcd_url"])
    prefix = opts["prefix"]
    ttl = 2 if opts.get("fast") else 5
    for i in (1, 2):
        value = json.dumps({"addr": f"10.0.0.{i}:8080", "version": "v1.42.0"})
        _retry_register(gw, f"{prefix}i-{i}", "warming", ttl)  # fail fast if etcd is not serving
        threading.Thread(target=_healthy, args=(gw, f"{prefix}i-{i}", value, ttl), daemon=True).start()
    value = json.dumps({"addr": "10.0.0.3:8080", "version": "v1.42.0"})
    threading.Thread(target=_flapping, args=(gw, f"{prefix}i-3", value, ttl, 1.0), daemon=True).start()
    time.sleep(0.2)
    mark_ready(directory, name)
    while True:
        time.sleep(3600)
