"""Two Consul datacenters whose catalogs for ``orders`` have drifted apart (R4).

Consul is not packaged in Debian, so this serves its health API faithfully enough for any
client: ``GET /v1/health/service/<svc>`` (with ``?stale``) returns the documented entries
(``Node``, ``Service``, ``Checks``) plus ``X-Consul-Index``, ``X-Consul-KnownLeader`` and
``X-Consul-LastContact``. The registrations were written to each datacenter without a
barrier or a version check: dc-b never saw i-3 deregister, holds an i-4 that dc-a lost, and
has a stale port for i-2. The drift is persistent, not propagation lag.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from runbook.drill.lab.services.httpkit import Handler, serve


def _entry(dc: str, ident: str, addr: str, port: int, version: str, status: str = "passing") -> dict[str, Any]:
    node = f"node-{ident[-1]}"
    return {
        "Node": {
            "ID": f"0000-{ident}",
            "Node": node,
            "Address": addr,
            "Datacenter": dc,
            "TaggedAddresses": {"lan": addr},
            "Meta": {},
            "CreateIndex": 11,
            "ModifyIndex": 11,
        },
        "Service": {
            "ID": f"orders-{ident}",
            "Service": "orders",
            "Tags": ["http", "v1"],
            "Address": addr,
            "Port": port,
            "Meta": {"version": version},
            "Weights": {"Passing": 1, "Warning": 1},
            "EnableTagOverride": False,
            "CreateIndex": 40,
            "ModifyIndex": 40,
        },
        "Checks": [
            {
                "Node": node,
                "CheckID": "serfHealth",
                "Name": "Serf Health Status",
                "Status": "passing",
                "Output": "Agent alive and reachable",
                "ServiceID": "",
                "ServiceName": "",
            },
            {
                "Node": node,
                "CheckID": f"service:orders-{ident}",
                "Name": "HTTP /health",
                "Status": status,
                "Output": f"HTTP GET http://{addr}:{port}/health: 200 OK",
                "ServiceID": f"orders-{ident}",
                "ServiceName": "orders",
            },
        ],
    }


CATALOGS = {
    "dc-a": [
        _entry("dc-a", "i-1", "10.0.0.1", 8080, "v1.42.0"),
        _entry("dc-a", "i-2", "10.0.0.2", 8080, "v1.42.0"),
        _entry("dc-a", "i-3", "10.0.0.3", 8080, "v1.42.0"),
    ],
    "dc-b": [
        _entry("dc-b", "i-1", "10.0.0.1", 8080, "v1.42.0"),
        _entry("dc-b", "i-2", "10.0.0.2", 8081, "v1.42.0"),
        _entry("dc-b", "i-4", "10.0.0.4", 8080, "v1.41.3"),
    ],
}


def _routes(dc: str, index: int) -> dict[str, Any]:
    def health_service(h: Handler) -> None:
        svc = h.path_only.rsplit("/", 1)[-1]
        entries = CATALOGS[dc] if svc == "orders" else []
        h.send_json(
            200,
            entries,
            {
                "X-Consul-Index": str(index),
                "X-Consul-KnownLeader": "true",
                "X-Consul-LastContact": "0",
                "X-Consul-Effective-Consistency": "stale",
            },
        )

    def leader(h: Handler) -> None:
        h.send_json(200, "127.0.0.1:8300")

    return {"/v1/health/service/": health_service, "/v1/status/leader": leader}


def main(name: str, directory: Path, opts: dict[str, Any]) -> None:
    a = serve(int(opts["port_a"]), _routes("dc-a", 1234))
    threading.Thread(target=a.serve_forever, daemon=True).start()
    serve(int(opts["port_b"]), _routes("dc-b", 987)).serve_forever()
