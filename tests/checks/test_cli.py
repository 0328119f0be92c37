"""`runbook checks` and `runbook check` run as real subprocesses against real local servers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fixtures.proc import free_port


def runbook(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "runbook", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_checks_lists_types_params_and_defaults():
    p = runbook("checks", "--json")
    assert p.returncode == 0, p.stderr
    rows = {r["type"]: r for r in json.loads(p.stdout)}
    probe = rows["http_probe_flapping"]
    assert probe["rules"] == ["R2"]
    params = {x["name"]: x for x in probe["params"]}
    assert params["url"] == {
        "name": "url",
        "type": "str",
        "default": None,
        "required": True,
        "description": "The probe endpoint, e.g. http://10.0.0.5:8080/health",
        "secret": False,
    }
    assert (params["probe_timeout_s"]["type"], params["probe_timeout_s"]["default"]) == ("float", 1.0)
    assert params["failure_threshold"]["default"] == 3
    assert {x["name"]: x["type"] for x in rows["trace_header_canonicalization"]["params"]}["hop_urls"] == "list[str]"
    assert {x["name"]: x["type"] for x in rows["health_vs_memory"]["params"]}["memory_limit_bytes"] == "int | None"
    text = runbook("checks")
    assert text.returncode == 0
    assert "lb_skew  [R5]  Load-balancer skew across backends  (default timeout 60s)" in text.stdout
    assert "    n: int (default 600)  Requests to send" in text.stdout


def test_check_ok_exit_0_json(nginx):
    p = runbook(
        "check",
        "http_probe_flapping",
        "--param",
        f"url={nginx.url('/health')}",
        "--param",
        "n=3",
        "--param",
        "interval_s=0",
        "--json",
    )
    assert p.returncode == 0, p.stdout + p.stderr
    result = json.loads(p.stdout)
    assert result["verdict"] == "ok" and result["figures"]["probes"] == 3
    assert result["params"] == {"url": nginx.url("/health"), "n": 3, "interval_s": 0}


def test_check_fail_exit_2_text(nginx):
    p = runbook(
        "check",
        "http_probe_flapping",
        "-p",
        f"url={nginx.url('/slow')}",
        "-p",
        "probe_timeout_s=0.1",
        "-p",
        "n=2",
        "-p",
        "interval_s=0",
        "--timeout",
        "5",
    )
    assert p.returncode == 2, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("http_probe_flapping: FAIL  2 probes: every probe failed")
    assert "figures:" in lines and "thresholds:" in lines and "evidence:" in lines
    assert any(line.strip().startswith("probe_timeout_s") and line.endswith("0.1") for line in lines)
    # #18: the excerpt the verdict rests on comes whole, before the raw evidence
    decided = lines.index("decided by (probes):")
    assert decided < lines.index("evidence:")
    assert lines[decided + 1].startswith(f"  GET {nginx.url('/slow')}: 2 probes, timeoutSeconds 0.1")
    assert lines[decided + 2].endswith("FAILED (latency)") and lines[decided + 3].endswith("FAILED (latency)")


def test_check_warn_exit_1_with_list_param():
    # source-scan findings are heuristics: warn (a never-echoed trace ID, used here before, is now unknown)
    sample = Path(__file__).parent / "go_samples" / "bad" / "trace.go"
    p = runbook("check", "go_source_scan", "-p", f"path={sample}", "-p", "patterns=[raw_header_lookup]", "--json")
    assert p.returncode == 1, p.stdout + p.stderr
    result = json.loads(p.stdout)
    assert result["params"]["patterns"] == ["raw_header_lookup"] and result["figures"]["findings"] == 1


def test_check_unknown_exit_3_when_nothing_is_echoed(header_echo):
    p = runbook(
        "check",
        "trace_header_canonicalization",
        "-p",
        f"entry_url={header_echo.url('/go')}",
        "-p",
        f"hop_urls=[{header_echo.url('/go')}]",
        "--json",
    )
    assert p.returncode == 3, p.stdout + p.stderr
    assert json.loads(p.stdout)["figures"]["hops"] == 2


def test_unreachable_exit_3_and_secrets_hidden():
    port = free_port()
    p = runbook(
        "check",
        "http_probe_flapping",
        "-p",
        f"url=http://ann:hunter22@127.0.0.1:{port}/?token=abc123",
        "-p",
        "n=2",
        "-p",
        "interval_s=0",
    )
    assert p.returncode == 3
    assert p.stdout.startswith(
        "http_probe_flapping: UNKNOWN  could not measure: every probe failed to connect: "
        f"connection refused by 127.0.0.1:{port}"
    )
    assert "hunter22" not in p.stdout and "abc123" not in p.stdout


def test_unknown_type_and_bad_params_exit_3_with_message():
    p = runbook("check", "no_such_check")
    assert p.returncode == 3
    assert p.stderr.startswith("runbook: unknown check type 'no_such_check'; known types: ")
    assert "Traceback" not in p.stderr
    p = runbook("check", "lb_skew", "-p", "n=lots", "-p", "colour=red")
    assert p.returncode == 3
    assert p.stderr.strip() == (
        "runbook: lb_skew: missing required parameter 'url'; parameter 'n': Input should be a valid integer, "
        "unable to parse string as an integer; unknown parameter 'colour'"
    )
    p = runbook("check", "lb_skew", "-p", "url")
    assert (p.returncode, p.stderr.strip()) == (3, "runbook: --param 'url': expected KEY=VALUE")
    p = runbook("check", "lb_skew", "-p", "url=http://x/", "--timeout", "0")
    assert (p.returncode, p.stderr.strip()) == (3, "runbook: --timeout must be a positive number of seconds, not 0")
