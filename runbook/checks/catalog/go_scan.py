"""Go source scan (C15): turn a postmortem's "fix" into a list of places in a code base.

The incidents behind R1..R12 each came from a recognisable line of Go: a KeepAlive started
per watcher, a hard-coded 3 s probe timeout, ``sync.Pool`` caching ``net.Conn``,
``errors.Is(err, codes.Unavailable)``, ``r.Header["X-Trace-ID"]``, ``http.DefaultClient``, an
unlocked config ``Unmarshal``, a blocking ``syscall.Read``. This check walks a Go tree
(skipping ``vendor/`` and ``_test.go`` by default, bounded in file count, file size and time)
and reports every occurrence as ``file:line``. Verdict: warn when anything is found (a match
without type information is a place to read, not evidence of the failure), ok when nothing
is, unknown when there is no Go code or the deadline cut the scan short. It never fails.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field, field_validator

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.catalog._go_patterns import PATTERNS, PatternMatch, lease_key, scan_file
from runbook.checks.catalog._go_source import load
from runbook.checks.registry import register_check

_SKIP_DIRS = {".git", "node_modules", "testdata", "third_party"}


@dataclass
class ScanReport:
    findings: list[PatternMatch] = field(default_factory=list)
    files: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    complete: bool = True
    sources: dict[tuple[str, int], str] = field(default_factory=dict)
    """The source line of each finding and KeepAlive site, by (relative file, line)."""


@register_check
class GoSourceScan(Check["GoSourceScan.Params"]):
    name = "go_source_scan"
    title = "Go source scan for the postmortem's anti-patterns"
    description = (
        "Walks a Go code base and lists file:line for: several KeepAlive per lease or per "
        "watcher, undrained KeepAlive channels, hard-coded probe timeouts, sync.Pool of "
        "connections, errors.Is against gRPC codes, %w-wrapped statuses, non-canonical raw "
        "Header keys, http.DefaultClient, unlocked config Unmarshal, blocking syscall.Read. "
        "KeepAlive in a loop counts only when the loop starts streams in goroutines or does not "
        "drain each channel to its close. "
        "warn: any finding (heuristic, never fail); ok: none; unknown: no Go files or scan cut by the deadline."
    )
    rules = ("R1", "R2", "R4", "R5", "R7", "R10", "R11")
    default_timeout_s = 60.0

    class Params(CheckParams):
        path: str
        """Root of the Go code base (a directory) or one .go file."""
        patterns: list[str] = Field(default_factory=lambda: list(PATTERNS))
        skip_vendor: bool = True
        skip_tests: bool = True
        max_files: int = Field(20000, ge=1)
        max_file_bytes: int = Field(2_000_000, ge=1)

        @field_validator("patterns")
        @classmethod
        def _known(cls, v: list[str]) -> list[str]:
            unknown = [p for p in v if p not in PATTERNS]
            if unknown:
                raise ValueError(f"unknown pattern(s) {unknown}; known: {', '.join(PATTERNS)}")
            return v

    async def run(self, params: Params, ctx: CheckContext) -> Outcome:
        root = Path(params.path).expanduser()
        if not root.exists():
            raise MeasureError(f"{root}: no such file or directory")
        # the scan is CPU-bound: a thread, stopping itself just before the deadline
        report = await asyncio.to_thread(scan_tree, root, params, ctx.deadline - 0.2)
        for f in report.findings:
            ctx.record("event", f"{f.where}: [{f.pattern}] {f.message}")
        if report.findings:
            ctx.record("source", source_lines(report), deciding=True)
        return _decide(params, report)


def source_lines(report: ScanReport, limit: int = 20) -> str:
    """Each finding as ``file:line: [pattern]`` over the code line itself: the reviewer reads the
    code that made the warning, not only its name (the first ``limit`` of them)."""
    out: list[str] = []
    for f in report.findings[:limit]:
        out.append(f"{f.where}: [{f.pattern}]")
        out.append(f"    {report.sources.get((f.file, f.line), '').strip()}")
    if len(report.findings) > limit:
        out.append(f"... {len(report.findings) - limit} more")
    return "\n".join(out)


def _go_files(root: Path, params: GoSourceScan.Params) -> tuple[list[Path], Counter[str]]:
    skipped: Counter[str] = Counter()
    if root.is_file():
        return [root], skipped
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        keep = []
        for d in sorted(dirnames):
            if d in _SKIP_DIRS or d.startswith(".") or (params.skip_vendor and d == "vendor"):
                skipped["dirs"] += 1
            else:
                keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if not name.endswith(".go"):
                continue
            if params.skip_tests and name.endswith("_test.go"):
                skipped["tests"] += 1
                continue
            if len(out) >= params.max_files:
                skipped["over_max_files"] += 1
                continue
            out.append(Path(dirpath) / name)
    return out, skipped


def scan_tree(root: Path, params: GoSourceScan.Params, deadline: float) -> ScanReport:
    files, skipped = _go_files(root, params)
    report = ScanReport(skipped=skipped)
    wanted = set(params.patterns)
    keepalive_sites: dict[str, list[tuple[str, int]]] = {}
    flagged: set[tuple[str, int]] = set()
    seen: set[tuple[str, int, str]] = set()
    base = root if root.is_dir() else root.parent
    for path in files:
        if time.monotonic() > deadline:
            report.complete = False
            break
        try:
            if path.stat().st_size > params.max_file_bytes:
                report.skipped["too_large"] += 1
                continue
            src = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            report.skipped["unreadable"] += 1
            continue
        report.files += 1
        gf = load(path, str(path.relative_to(base)), src)
        raw = src.split("\n")
        for f in scan_file(gf):
            # one finding per line and pattern (`h["X-Trace-ID"] = r.Header["X-Trace-ID"]` is one place)
            if f.pattern in wanted and (f.file, f.line, f.pattern) not in seen:
                seen.add((f.file, f.line, f.pattern))
                report.findings.append(f)
                flagged.add((f.file, f.line))
                report.sources[(f.file, f.line)] = _line(raw, f.line)
        for n, code in enumerate(gf.code, start=1):
            if ".KeepAlive(" in code and (key := lease_key(gf, n)):
                keepalive_sites.setdefault(key, []).append((gf.rel, n))
                report.sources[(gf.rel, n)] = _line(raw, n)
    if "keepalive_per_watcher" in wanted:
        for key, sites in keepalive_sites.items():
            if len(sites) > 1:
                for rel, n in sites:
                    if (rel, n) not in flagged:
                        report.findings.append(
                            PatternMatch(
                                rel,
                                n,
                                "keepalive_per_watcher",
                                f"KeepAlive called at {len(sites)} places on lease {key}",
                            )
                        )
    report.findings.sort(key=lambda f: (f.file, f.line, f.pattern))
    return report


def _line(raw: list[str], n: int) -> str:
    """Line ``n`` (1-based) as written, comments included, cut to 200 characters."""
    return raw[n - 1].rstrip("\r")[:200] if 0 < n <= len(raw) else ""


def _decide(params: GoSourceScan.Params, report: ScanReport) -> Outcome:
    counts = Counter(f.pattern for f in report.findings)
    figures: dict[str, Figure] = {
        "findings": len(report.findings),
        "files_scanned": report.files,
        "files_skipped": sum(v for k, v in report.skipped.items() if k != "dirs"),
    }
    figures.update({f"n_{p}": counts.get(p, 0) for p in params.patterns})
    if report.findings:
        figures["locations"] = "; ".join(f"{f.where} {f.pattern}" for f in report.findings[:15])[:1500]
    thresholds = {"max_files": params.max_files, "max_file_bytes": params.max_file_bytes}
    if report.findings:
        top = ", ".join(f"{p} x{n}" for p, n in counts.most_common())
        first = report.findings[0]
        partial = "" if report.complete else " (scan cut short by the deadline)"
        return Outcome(
            Verdict.WARN,
            f"{len(report.findings)} heuristic finding(s) to review in {report.files} file(s){partial}: {top}; "
            f"first at {first.where}",
            figures,
            thresholds,
        )
    if not report.complete:
        return Outcome(
            Verdict.UNKNOWN,
            f"deadline reached after {report.files} file(s), nothing found so far",
            figures,
            thresholds,
            error="scan cut short by the deadline",
        )
    if report.files == 0:
        return Outcome(
            Verdict.UNKNOWN, f"no Go files under {params.path}", figures, thresholds, error="no Go files to scan"
        )
    return Outcome(Verdict.OK, f"no anti-patterns in {report.files} Go file(s)", figures, thresholds)
