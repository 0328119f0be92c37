"""The lab scenarios: which processes each one starts and which variables it prints.

One scenario per incident. Each incident's faults live in the services a team would have
had in that incident (P0-1: etcd with the registrations, two Consul datacenters, a DNS
server, an orders instance, a hash-ring service, a client that leaks connections; P0-2: a
gRPC payments backend and the checkout service calling it; P0-3: an orders API with its
downstream hop and a tracing backend). Variable names are those of the playbooks
(``playbooks/*.md`` front matter), so a scenario's variables feed a walk unchanged.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from runbook.drill.lab.processes import free_port

PY = sys.executable
SERVE = (PY, "-m", "runbook.drill.lab.serve")


@dataclass(frozen=True)
class Launch:
    """One background process to start."""

    name: str
    argv: tuple[str, ...]
    ports: dict[str, int] = field(default_factory=dict)
    ready_port: int | None = None
    """Ready when this TCP port accepts; else when ``<dir>/<name>.ready`` exists."""


@dataclass(frozen=True)
class Plan:
    launches: tuple[Launch, ...]
    variables: dict[str, str]
    """Values may contain ``{pid:NAME}``, replaced by that process's pid once started."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabScenario:
    name: str
    incident: str
    title: str
    rules: tuple[str, ...]
    faults: tuple[str, ...]
    build: Callable[[Path, bool], Plan]


def _find(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for d in ("/usr/sbin", "/usr/bin", "/sbin") if (p := Path(d) / name).is_file()), None
    )


def _serve(name: str, service: str, directory: Path, fast: bool, **opts: object) -> tuple[str, ...]:
    import json

    return (*SERVE, service, "--name", name, "--dir", str(directory), "--opts", json.dumps({**opts, "fast": fast}))


def build_p0_1(directory: Path, fast: bool) -> Plan:
    launches: list[Launch] = []
    notes: list[str] = []
    variables: dict[str, str] = {"service_prefix": "/services/orders/"}
    etcd = _find("etcd")
    if etcd:
        client, peer = free_port(), free_port()
        url = f"http://127.0.0.1:{client}"
        launches.append(
            Launch(
                "etcd",
                (
                    etcd,
                    "--name",
                    "lab",
                    "--data-dir",
                    str(directory / "etcd-data"),
                    "--listen-client-urls",
                    url,
                    "--advertise-client-urls",
                    url,
                    "--listen-peer-urls",
                    f"http://127.0.0.1:{peer}",
                    "--initial-advertise-peer-urls",
                    f"http://127.0.0.1:{peer}",
                    "--initial-cluster",
                    f"lab=http://127.0.0.1:{peer}",
                    "--log-level",
                    "warn",
                ),
                {"client": client, "peer": peer},
                ready_port=client,
            )
        )
        launches.append(
            Launch(
                "lease-agent",
                _serve("lease-agent", "lease_agent", directory, fast, etcd_url=url, prefix=variables["service_prefix"]),
            )
        )
        variables["etcd_url"] = url
    else:
        notes.append("etcd is not installed (Debian package etcd-server): the lease fault (R1) is not running")
    dns_port = free_port()
    nsd = _find("nsd")
    if nsd:
        from runbook.drill.lab.services.nsd_conf import write_nsd_config

        conf = write_nsd_config(directory / "nsd", dns_port)
        launches.append(Launch("nsd", (nsd, "-d", "-c", str(conf)), {"dns": dns_port}, ready_port=dns_port))
    else:
        notes.append("NSD is not installed: a Python DNS server answers in fixed order instead")
        launches.append(
            Launch(
                "dns",
                _serve("dns", "dns_fixed", directory, fast, port=dns_port),
                {"dns": dns_port},
                ready_port=dns_port,
            )
        )
    variables.update(dns_name="orders.svc.test", dns_server="127.0.0.1", dns_port=str(dns_port))
    front, backends = free_port(), [free_port() for _ in range(3)]
    launches.append(
        Launch(
            "orders-ring",
            _serve("orders-ring", "ring", directory, fast, port=front, backends=backends),
            {"front": front, **{f"b{i + 1}": p for i, p in enumerate(backends)}},
            ready_port=front,
        )
    )
    metrics = free_port()
    launches.append(
        Launch(
            "orders-client",
            _serve("orders-client", "leaky_client", directory, fast, port=metrics, upstream=backends[0]),
            {"metrics": metrics},
            ready_port=metrics,
        )
    )
    inst = free_port()
    timeout = "0.2" if fast else "1"
    limit = 160 * 1024 * 1024
    launches.append(
        Launch(
            "orders-instance",
            _serve(
                "orders-instance",
                "instance",
                directory,
                fast,
                port=inst,
                probe_timeout_s=float(timeout),
                memory_limit=limit,
            ),
            {"http": inst},
            ready_port=inst,
        )
    )
    dc_a, dc_b = free_port(), free_port()
    launches.append(
        Launch(
            "consul",
            _serve("consul", "consul", directory, fast, port_a=dc_a, port_b=dc_b),
            {"dc-a": dc_a, "dc-b": dc_b},
            ready_port=dc_b,
        )
    )
    variables.update(
        service_url=f"http://127.0.0.1:{front}/orders",
        backend_header="X-Backend",
        client_pid="{pid:orders-client}",
        node_exporter_url=f"http://127.0.0.1:{metrics}/metrics",
        health_url=f"http://127.0.0.1:{inst}/health",
        probe_timeout_s=timeout,
        metrics_url=f"http://127.0.0.1:{inst}/metrics",
        memory_limit_bytes=str(limit),
        registry_a_url=f"http://127.0.0.1:{dc_a}",
        registry_b_url=f"http://127.0.0.1:{dc_b}",
        service_name="orders",
    )
    return Plan(tuple(launches), variables, tuple(notes))


def build_p0_2(directory: Path, fast: bool) -> Plan:
    grpc_port, http = free_port(), free_port()
    base = f"http://127.0.0.1:{http}"
    return Plan(
        (
            Launch(
                "payments-grpc",
                _serve("payments-grpc", "payments_grpc", directory, fast, port=grpc_port),
                {"grpc": grpc_port},
                ready_port=grpc_port,
            ),
            Launch(
                "checkout",
                _serve("checkout", "checkout", directory, fast, port=http, grpc_target=f"127.0.0.1:{grpc_port}"),
                {"http": http},
                ready_port=http,
            ),
        ),
        {
            "grpc_target": f"127.0.0.1:{grpc_port}",
            "grpc_health_service": "payments.v1.Payments",
            "service_url": f"{base}/checkout",
            "metrics_url": f"{base}/metrics",
            "fallback_selector": "checkout_fallback_total",
            "errors_selector": 'http_requests_total{code="502"}',
            "stream_url": f"{base}/hystrix.stream",
            # the breaker's real SleepWindow (services/checkout.py SLEEP_WINDOW_MS): hystrix-go's
            # stream reports 5000 whatever is configured, so the check takes it from the playbook
            "sleep_window_ms": "5000",
        },
    )


def build_p0_3(directory: Path, fast: bool) -> Plan:
    api, downstream, tracing = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{api}"
    return Plan(
        (
            Launch(
                "orders-api",
                _serve(
                    "orders-api",
                    "orders_api",
                    directory,
                    fast,
                    port=api,
                    downstream_port=downstream,
                    tracing_port=tracing,
                ),
                {"http": api, "downstream": downstream, "tracing": tracing},
                ready_port=api,
            ),
        ),
        {
            "service_url": f"{base}/api/orders",
            "service_name": "orders-api",
            "trace_header": "X-Trace-ID",
            "tracing_api": f"http://127.0.0.1:{tracing}",
            "pprof_url": f"{base}/debug/pprof",
            "metrics_url": f"{base}/metrics",
        },
    )


LAB_SCENARIOS: dict[str, LabScenario] = {
    s.name: s
    for s in (
        LabScenario(
            "p0-1",
            "P0-1",
            "Registration and discovery collapse",
            ("R1", "R2", "R3", "R4", "R5"),
            (
                "etcd registrations whose lease expires and re-registers (flapping instance i-3)",
                "a /health endpoint whose latency jitters around the probe timeout",
                "/health answering 200 while the instance's memory climbs towards its limit",
                "DNS answers for orders.svc.test always in the same order",
                "two Consul datacenters whose catalogs for orders have diverged",
                "an HTTP client that pools connections and never closes them (CLOSE_WAIT pile-up)",
                "a consistent-hash ring whose weights send most keys to one backend",
            ),
            build_p0_1,
        ),
        LabScenario(
            "p0-2",
            "P0-2",
            "Circuit breaking and fallback gaps",
            ("R6", "R7", "R8"),
            (
                "a hystrix event stream whose breaker closes long before the sleep window",
                "a gRPC payments backend answering UNAVAILABLE, and a checkout caller without fallback",
                "a latency histogram with buckets {0.05, 1, 5} for 150 ms requests",
            ),
            build_p0_2,
        ),
        LabScenario(
            "p0-3",
            "P0-3",
            "Tracing and observability blind spots",
            ("R9", "R10", "R11", "R12"),
            (
                "a Jaeger-like API with orphan spans and new root traces (context lost in a goroutine)",
                "goroutines piling up behind a blocked logger in /debug/pprof/goroutine",
                "a hop that forwards the trace header only in one spelling and drops traceparent",
                "a request counter labelled with user_id",
            ),
            build_p0_3,
        ),
    )
}
