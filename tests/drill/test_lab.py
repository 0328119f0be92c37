"""The fault lab's faults are diagnosed by the real checks, and the lab leaves nothing behind.

One lab (all three scenarios, fast mode) is brought up for the module; every check the
playbooks use runs against it concurrently, through ``run_check``, exactly as a walk would run
it; each must reach the faulty verdict. A check that is not registered fails the test.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import psutil
import pytest

from runbook.checks.registry import all_checks
from runbook.checks.runner import run_check
from runbook.drill.lab import LabError, lab_down, lab_status, lab_up
from runbook.drill.lab.processes import is_alive
from tests.fixtures.proc import IN_CI, find_binary

# (check type, scenario, params from the scenario's variables, verdicts that count as diagnosed)
CASES = [
    (
        "etcd_lease_keepalive",
        "p0-1",
        lambda v: {"etcd_url": v["etcd_url"], "prefix": v["service_prefix"], "duration_s": 7},
        {"fail"},
    ),
    (
        "http_probe_flapping",
        "p0-1",
        lambda v: {"url": v["health_url"], "probe_timeout_s": v["probe_timeout_s"], "n": 12},
        {"fail"},
    ),
    (
        "health_vs_memory",
        "p0-1",
        lambda v: {
            "health_url": v["health_url"],
            "metrics_url": v["metrics_url"],
            "memory_limit_bytes": v["memory_limit_bytes"],
        },
        {"fail"},
    ),
    (
        "dns_rr_effectiveness",
        "p0-1",
        lambda v: {"name": v["dns_name"], "nameserver": v["dns_server"], "port": v["dns_port"], "n": 10},
        {"fail"},
    ),
    (
        "registry_consistency",
        "p0-1",
        lambda v: {
            "clusters": {"a": v["registry_a_url"], "b": v["registry_b_url"]},
            "source": "consul",
            "service": v["service_name"],
            "gap_s": 1,
            "min_persist_s": 1,  # the lab's registries never sync: a 1 s hold is enough here
        },
        {"fail"},
    ),
    ("connection_leak", "p0-1", lambda v: {"pid": v["client_pid"], "samples": 2, "interval_s": 1}, {"fail"}),
    ("lb_skew", "p0-1", lambda v: {"url": v["service_url"], "backend_header": v["backend_header"]}, {"fail"}),
    ("hystrix_half_open", "p0-2", lambda v: {"stream_url": v["stream_url"], "duration_s": 12}, {"fail"}),
    (
        "grpc_unavailable_fallback",
        "p0-2",
        lambda v: {
            "downstream": v["grpc_target"],
            "health_service": v["grpc_health_service"],
            "caller_url": v["service_url"],
        },
        {"fail"},
    ),
    ("histogram_bucket_quality", "p0-2", lambda v: {"metrics_url": v["metrics_url"]}, {"fail"}),
    (
        "otel_orphan_spans",
        "p0-3",
        lambda v: {
            "entry_url": v["service_url"],
            "tracing_api": v["tracing_api"],
            "service": v["service_name"],
            "n": 3,
            "wait_s": 1,
        },
        {"fail"},
    ),
    (
        "trace_header_canonicalization",
        "p0-3",
        lambda v: {"entry_url": v["service_url"], "header": v["trace_header"]},
        {"fail"},
    ),
    ("goroutine_pileup_logging", "p0-3", lambda v: {"pprof_base": v["pprof_url"]}, {"fail"}),
    ("label_cardinality", "p0-3", lambda v: {"metrics_url": v["metrics_url"]}, {"fail", "warn"}),
]


@pytest.fixture(scope="module")
def results(lab):
    """Every registered check of CASES, run concurrently against the lab."""
    known = all_checks()
    runnable = []
    for t, s, build, _ in CASES:
        try:
            if t in known:
                runnable.append((t, build(lab.variables(s))))
        except KeyError:  # the lab left this fault out (e.g. no etcd installed): the test says so
            pass

    async def run_all():
        return await asyncio.gather(*(run_check(t, params, timeout_s=40) for t, params in runnable))

    return {t: r for (t, _), r in zip(runnable, asyncio.run(run_all()), strict=True)}


@pytest.mark.parametrize(("check_type", "scenario", "build", "expected"), CASES, ids=[c[0] for c in CASES])
def test_real_check_diagnoses_the_lab_fault(lab, results, check_type, scenario, build, expected):
    assert check_type in all_checks(), f"check {check_type} is not registered"
    if check_type not in results:
        notes = [n for sc in lab.scenarios for n in sc.notes]
        if IN_CI:
            pytest.fail(f"the lab left {check_type}'s fault out: {notes}")
        pytest.skip(f"the lab left {check_type}'s fault out: {notes}")
    result = results[check_type]
    assert result.verdict.value in expected, f"{check_type}: {result.verdict.value}: {result.summary} {result.error}"


def test_lab_state_names_the_playbook_variables(lab):
    assert {s.name for s in lab.scenarios} == {"p0-1", "p0-2", "p0-3"}
    p1 = lab.variables("p0-1")
    for name in (
        *(("etcd_url",) if find_binary("etcd") else ()),
        "service_prefix",
        "dns_name",
        "dns_server",
        "dns_port",
        "health_url",
        "probe_timeout_s",
        "metrics_url",
        "memory_limit_bytes",
        "service_url",
        "source_path",
    ):
        assert p1[name], name
    assert all(v.startswith("http://127.0.0.1:") for k, v in p1.items() if k.endswith("_url"))
    # every variable the lab prints is one a playbook declares (`runbook walk` refuses others)
    from runbook.services import build_services

    declared = {v.name for pb in build_services().content.library.playbooks.values() for v in pb.variables}
    for scenario in ("p0-1", "p0-2", "p0-3"):
        assert set(lab.variables(scenario)) <= declared, scenario
    assert lab_status(directory=__import__("pathlib").Path(lab.directory)).running
    with pytest.raises(LabError, match="not running; running: p0-1, p0-2, p0-3"):
        lab.variables("p0-9")


def test_lab_up_twice_is_refused(lab):
    from pathlib import Path

    with pytest.raises(LabError, match="a lab is already running"):
        lab_up(["p0-3"], directory=Path(lab.directory))


def test_unknown_scenario_is_a_clear_error(tmp_path):
    with pytest.raises(LabError, match=r"unknown lab scenario 'p0-7'; known: p0-1, p0-2, p0-3"):
        lab_up(["p0-7"], directory=tmp_path)
    assert not (tmp_path / "lab.json").exists()


def test_cli_up_status_down_leaves_no_process(tmp_path):
    env = {**__import__("os").environ, "RUNBOOK_LAB_DIR": str(tmp_path)}

    def run(*a):
        return subprocess.run(
            [sys.executable, "-m", "runbook", "lab", *a], env=env, capture_output=True, text=True, timeout=60
        )

    up = run("up", "p0-3", "p0-2", "--fast", "--json")
    assert up.returncode == 0, up.stderr
    state = json.loads(up.stdout)
    pids = [p["pid"] for p in state["processes"]]
    assert len(pids) == 3
    status = run("status", "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["running"] is True
    down = run("down")
    assert down.returncode == 0 and "stopped 3 lab process(es)" in down.stdout
    for pid in pids:  # gone, or a zombie waiting for an init that does not reap
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert run("status").returncode == 1
    assert run("down").stdout.strip() == "no lab was running"


def test_failed_start_stops_what_it_started(tmp_path, monkeypatch):
    """A service that dies at start-up makes lab up fail and leaves no sibling running."""
    from runbook.drill.lab import plan

    original = plan.LAB_SCENARIOS["p0-2"]
    broken = plan.LabScenario(
        original.name,
        original.incident,
        original.title,
        original.rules,
        original.faults,
        lambda d, f: plan.Plan(
            (*original.build(d, f).launches, plan.Launch("broken", (sys.executable, "-c", "raise SystemExit('boom')"))),
            {},
        ),
    )
    monkeypatch.setitem(plan.LAB_SCENARIOS, "p0-2", broken)
    with pytest.raises(LabError, match=r"broken exited during start-up: .*boom"):
        lab_up(["p0-2"], directory=tmp_path)
    assert not (tmp_path / "lab.json").exists()
    for proc in psutil.Process().children(recursive=True):  # the module's own lab is elsewhere
        if proc.status() != psutil.STATUS_ZOMBIE:
            assert str(tmp_path) not in " ".join(proc.cmdline()), proc


def test_lab_down_stops_every_descendant(tmp_path):
    """Servers that fork (NSD forks its server and xfrd) leave nothing behind either."""
    state = lab_up(["p0-1"], fast=True, directory=tmp_path)
    family = []
    for record in state.processes:
        proc = psutil.Process(record.pid)
        family += [proc, *proc.children(recursive=True)]
    assert len(family) > len(state.processes) or not any(r.name == "nsd" for r in state.processes)
    lab_down(directory=tmp_path)
    for proc in family:
        assert not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE, proc
    assert not any(is_alive(r) for r in state.processes)
    assert not (tmp_path / "lab.json").exists()


def test_python_dns_fallback_answers_in_fixed_order(tmp_path):
    """Without NSD the lab's own DNS server must show the same fault to the real check."""
    from runbook.drill.lab.plan import SERVE
    from runbook.drill.lab.processes import free_port, spawn, stop, tcp_ready, wait_ready

    port = free_port()
    record = spawn(
        "dns",
        (*SERVE, "dns_fixed", "--name", "dns", "--dir", str(tmp_path), "--opts", json.dumps({"port": port})),
        directory=tmp_path,
        ports={"dns": port},
    )
    try:
        wait_ready(record, tcp_ready(port))
        result = asyncio.run(
            run_check(
                "dns_rr_effectiveness",
                {"name": "orders.svc.test", "nameserver": "127.0.0.1", "port": port, "n": 10},
                timeout_s=20,
            )
        )
        other = asyncio.run(
            run_check(
                "dns_rr_effectiveness",
                {"name": "nope.example", "nameserver": "127.0.0.1", "port": port, "n": 2},
                timeout_s=3,
            )
        )
    finally:
        assert stop([record]) == []
    assert result.verdict.value == "fail" and "10.0.0.1 first every time" in result.summary
    assert other.verdict.value == "unknown"


def test_without_etcd_or_nsd_the_plan_says_what_it_left_out(tmp_path, monkeypatch):
    from runbook.drill.lab import plan

    monkeypatch.setattr(plan, "_find", lambda name: None)
    p = plan.build_p0_1(tmp_path, True)
    names = [launch.name for launch in p.launches]
    assert "etcd" not in names and "lease-agent" not in names and "nsd" not in names and "dns" in names
    assert "etcd_url" not in p.variables and p.variables["dns_port"]
    assert p.notes == (
        "etcd is not installed (Debian package etcd-server): the lease fault (R1) is not running",
        "NSD is not installed: a Python DNS server answers in fixed order instead",
    )


def test_lab_ports_are_outside_the_kernels_ephemeral_range_and_never_handed_out_twice():
    """The consul stub once died with "Address already in use": its port, picked in the
    ephemeral range, was taken by a kernel-assigned port before the stub bound it."""
    import socket
    from pathlib import Path

    from runbook.drill.lab.processes import LAB_PORTS, free_port

    low, _high = (int(x) for x in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(p in LAB_PORTS and p < low for p in ports)
    with socket.socket() as s:  # and each is bindable
        s.bind(("127.0.0.1", ports[-1]))
