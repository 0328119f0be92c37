"""go_source_scan over Go files written from the article's code (bad/) and their fixes (good/)."""

import time
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from runbook.checks.base import Verdict
from runbook.checks.catalog._go_patterns import canonical_header_key, scan_file
from runbook.checks.catalog._go_source import load, strip
from runbook.checks.runner import run_check

SAMPLES = Path(__file__).parent / "go_samples"

EXPECTED_BAD = {
    ("blocking.go", 9, "blocking_syscall_read"),
    ("config.go", 13, "unlocked_config_unmarshal"),
    ("fallback.go", 13, "wrapped_grpc_status"),
    ("fallback.go", 19, "errors_is_grpc_code"),
    ("pool.go", 9, "sync_pool_conn"),
    ("probe.go", 11, "hardcoded_probe_timeout"),
    ("probe.go", 14, "default_http_client"),
    ("registry.go", 18, "keepalive_per_watcher"),
    ("registry.go", 28, "keepalive_per_watcher"),
    ("registry.go", 28, "keepalive_undrained"),
    ("regrant.go", 12, "keepalive_per_watcher"),
    ("session.go", 16, "keepalive_per_watcher"),
    ("session.go", 22, "keepalive_per_watcher"),
    ("trace.go", 6, "raw_header_lookup"),
    ("forward.go", 11, "raw_header_lookup"),
    ("forward.go", 15, "keepalive_undrained"),
}


async def test_bad_samples_warn_with_every_location():
    """Source matches are heuristics (no type information): warn, never fail."""
    r = await run_check("go_source_scan", {"path": str(SAMPLES / "bad")}, timeout_s=10)
    assert r.verdict is Verdict.WARN
    assert r.summary.startswith("16 heuristic finding(s) to review in 10 file(s): ")
    found = set()
    for e in r.evidence:
        if e.deciding:
            continue
        where, _, rest = e.text.partition(": [")
        file, line = where.rsplit(":", 1)
        found.add((file, int(line), rest.split("]")[0]))
    assert found == EXPECTED_BAD
    assert r.figures["findings"] == len(EXPECTED_BAD)
    assert r.figures["n_keepalive_per_watcher"] == 5
    assert "session.go:16: [keepalive_per_watcher] KeepAlive called at 2 places on lease s.lease" in [
        e.text for e in r.evidence
    ]
    assert any('Header["X-Trace-ID"] is not canonical (Go stores "X-Trace-Id")' in e.text for e in r.evidence)
    assert (
        "fallback.go:19: [errors_is_grpc_code] errors.Is(err, status.Error(...)) matches only a status with "
        "the same code AND message (*status.Error.Is): use status.Code(err) == codes.X"
    ) in [e.text for e in r.evidence]
    assert "regrant.go:12: [keepalive_per_watcher] KeepAlive in a loop whose channel is not drained" in "\n".join(
        e.text for e in r.evidence
    )


async def test_good_samples_are_clean_even_with_traps_in_comments_and_strings():
    r = await run_check("go_source_scan", {"path": str(SAMPLES / "good")}, timeout_s=10)
    assert r.verdict is Verdict.OK, r.summary
    assert r.figures["files_scanned"] == 8  # lease_loop.go: KeepAlive re-called only after its channel closed
    assert r.figures["files_skipped"] == 1  # internal/probe_test.go; vendor/ is pruned


async def test_vendor_and_tests_are_scanned_on_request():
    r = await run_check(
        "go_source_scan", {"path": str(SAMPLES / "good"), "skip_vendor": False, "skip_tests": False}, timeout_s=10
    )
    assert r.verdict is Verdict.WARN
    assert r.figures["locations"] == (
        "internal/probe_test.go:11 hardcoded_probe_timeout; "
        "internal/probe_test.go:13 default_http_client; "
        "vendor/example.com/legacy/legacy.go:6 default_http_client"
    )


async def test_pattern_subset_single_file_and_caps(tmp_path):
    r = await run_check(
        "go_source_scan", {"path": str(SAMPLES / "bad" / "trace.go"), "patterns": ["raw_header_lookup"]}, timeout_s=5
    )
    assert (r.verdict, r.figures["findings"]) == (Verdict.WARN, 1)
    capped = await run_check("go_source_scan", {"path": str(SAMPLES / "bad"), "max_files": 2}, timeout_s=5)
    assert capped.figures["files_scanned"] == 2 and capped.figures["files_skipped"] == 8
    small = await run_check("go_source_scan", {"path": str(SAMPLES / "bad"), "max_file_bytes": 10}, timeout_s=5)
    assert small.verdict is Verdict.UNKNOWN and small.error == "no Go files to scan"
    bad = await run_check("go_source_scan", {"path": str(SAMPLES), "patterns": ["nope"]})
    assert "unknown pattern(s) ['nope']" in bad.summary
    missing = await run_check("go_source_scan", {"path": str(tmp_path / "nope")})
    assert missing.error == f"{tmp_path / 'nope'}: no such file or directory"


async def test_deadline_cuts_a_large_tree_short(tmp_path):
    body = "package p\n\nfunc f() int {\n" + "\tx := 1\n" * 400 + "\treturn x\n}\n"
    for i in range(1500):
        (tmp_path / f"f{i}.go").write_text(body)
    t0 = time.monotonic()
    r = await run_check("go_source_scan", {"path": str(tmp_path)}, timeout_s=0.5)
    assert time.monotonic() - t0 < 0.7
    assert r.verdict is Verdict.UNKNOWN
    assert r.error == "scan cut short by the deadline"
    assert 0 < r.figures["files_scanned"] < 1500


async def test_r1_fix_from_the_knowledge_base_is_not_flagged(tmp_path):
    """The LeaseManager.Run example in incidents/rules/R1.md re-grants in a loop: that is the fix."""
    r1 = (Path(__file__).parents[2] / "incidents" / "rules" / "R1.md").read_text()
    blocks = [b.split("\n", 1)[1] for b in r1.split("```go")[1:]]
    fix = [b.split("```", 1)[0] for b in blocks if "KeepAlive(" in b and "for range ch" in b]
    assert fix, "R1.md no longer shows a KeepAlive re-grant loop"
    (tmp_path / "lease.go").write_text("package registry\n\n" + "\n".join(fix))
    r = await run_check("go_source_scan", {"path": str(tmp_path)}, timeout_s=5)
    assert r.verdict is Verdict.OK, r.summary


def test_keepalive_loops_flagged_only_when_streams_pile_up():
    def patterns(body: str) -> list[tuple[int, str]]:
        src = "package p\n\nfunc f(ctx context.Context) {\n" + body + "\n}\n"
        return [(f.line, f.pattern) for f in scan_file(load(Path("x.go"), "x.go", src))]

    drained = "\tfor {\n\t\tch, _ := cli.KeepAlive(ctx, id)\n\t\tfor resp := range ch {\n\t\t\t_ = resp\n\t\t}\n\t}"
    assert patterns(drained) == []
    once = "\tfor {\n\t\tch, _ := cli.KeepAlive(ctx, id)\n\t\t<-ch\n\t}"
    assert patterns(once) == [(5, "keepalive_per_watcher")]
    per_item = "\tfor _, t := range targets {\n\t\tgo func() {\n\t\t\tch, _ := cli.KeepAlive(ctx, t)\n\t\t\tfor range ch {\n\t\t\t}\n\t\t}()\n\t}"
    assert patterns(per_item) == [(6, "keepalive_per_watcher")]


def test_canonical_header_key_matches_go():
    assert canonical_header_key("X-Trace-ID") == "X-Trace-Id"
    assert canonical_header_key("x-trace-id") == "X-Trace-Id"
    assert canonical_header_key("X-Trace-Id") == "X-Trace-Id"
    assert canonical_header_key("X_Trace_ID") == "X_trace_id"
    assert canonical_header_key("bad key") == "bad key"


@given(st.text(max_size=300))
def test_strip_keeps_positions(src):
    code, text = strip(src)
    assert len(code) == len(src) == len(text)
    assert [i for i, c in enumerate(code) if c == "\n"] == [i for i, c in enumerate(src) if c == "\n"]


@given(st.text(alphabet=st.sampled_from(list('{}()"`/*\n\\ abcfunc.KeepAlive(x,y)Header["k"]for go')), max_size=400))
def test_scanning_any_text_never_raises(src):
    list(scan_file(load(Path("x.go"), "x.go", src)))


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=20))
def test_canonical_key_is_idempotent(key):
    assert canonical_header_key(canonical_header_key(key)) == canonical_header_key(key)


async def test_deciding_excerpt_is_the_source_lines_with_file_and_line():
    """#18: every finding as ``file:line: [pattern]`` over the Go line that made it."""
    r = await run_check("go_source_scan", {"path": str(SAMPLES / "bad")}, timeout_s=10)
    (deciding,) = r.deciding
    lines = deciding.text.splitlines()
    pairs = dict(zip(lines[0::2], lines[1::2], strict=True))
    assert set(pairs) == {f"{file}:{line}: [{pattern}]" for file, line, pattern in EXPECTED_BAD}
    for file, line, pattern in EXPECTED_BAD:
        source = (SAMPLES / "bad" / file).read_text(encoding="utf-8").splitlines()[line - 1].strip()
        assert pairs[f"{file}:{line}: [{pattern}]"] == f"    {source}"
    assert "sync.Pool" in pairs["pool.go:9: [sync_pool_conn]"]
    ok = await run_check("go_source_scan", {"path": str(SAMPLES / "good")}, timeout_s=10)
    assert ok.verdict is Verdict.OK and ok.deciding == ()
