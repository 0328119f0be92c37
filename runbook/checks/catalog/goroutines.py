"""goroutine_pileup_logging (C10, R10): are goroutines piling up behind the logger?

In the postmortem a synchronous zap core wrote to a blocked sink; every request goroutine
then queued on the writer's mutex, for minutes, until the service fell over while its CPU
looked idle. The goroutine dump shows it plainly once it is grouped: thousands of
goroutines in ``semacquire`` with ``zapcore.(*lockedWriteSyncer).Write`` on the stack. The
check fetches ``/debug/pprof/goroutine?debug=2`` (twice, ``gap_s`` apart) and ``?debug=1``,
groups stacks like panicparse and flags blocked groups that hold a logging frame, with their
size, their wait in minutes and whether they grow.

A busy service always has a few goroutines inside ``os.(*File).Write`` at the moment of a
dump: a group counts as queueing only with both a size (``warn_group``) and a wait the dump
itself reports (``warn_min_minutes``; Go prints waits of a minute or more); a fresh group only
matters when the dumps show it growing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pydantic import Field

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.http import fetch
from runbook.checks.registry import register_check
from runbook.errors import ParseError
from runbook.parsers.pprof_goroutine import GoroutineDump, GoroutineGroup, parse_dump

LOGGING_FRAMES = [
    "go.uber.org/zap",
    "zapcore.(*lockedWriteSyncer).Write",
    "zapcore.(*BufferedWriteSyncer).Write",
    "os.(*File).Write",
    "syscall.write",
    "log.(*Logger).Output",
    "github.com/sirupsen/logrus",
]
#: States that mean "not making progress"; running/runnable goroutines are working.
NOT_BLOCKED = {"running", "runnable", "idle", "dead", ""}


@dataclass(frozen=True)
class PileUp:
    """A group of goroutines blocked with a logging frame on the stack."""

    count: int
    state: str
    max_minutes: int
    frame: str
    """The first logging frame matched (innermost)."""
    functions: tuple[str, ...]
    created_by: str

    def describe(self) -> str:
        age = f", {self.max_minutes} minutes" if self.max_minutes else ""
        return f"{self.count} goroutines [{self.state}{age}] in {self.frame}"


def logging_pileups(dump: GoroutineDump, patterns: list[str]) -> list[PileUp]:
    """Blocked groups whose stack has a frame matching one of ``patterns``, largest first."""
    out = []
    for g in dump.groups:
        if g.state in NOT_BLOCKED and dump.debug == 2:
            continue
        frame = next((f for f in g.functions if any(p in f for p in patterns)), None)
        if frame is not None:
            out.append(PileUp(g.count, g.state or "?", g.max_minutes, frame, g.functions, g.created_by))
    return sorted(out, key=lambda p: -p.count)


def describe_group(g: GoroutineGroup) -> str:
    age = f", {g.max_minutes} minutes" if g.max_minutes else ""
    frames = "\n".join(f"  {f}" for f in g.functions[:12])
    created = f"\n  created by {g.created_by}" if g.created_by else ""
    return f"{g.count} x [{g.state}{age}]\n{frames}{created}"


def describe_pileup(p: PileUp) -> str:
    """The group's header line as the dump prints it (count, state, wait) and its top frames,
    the logging frame marked: what shows a reviewer the goroutines are queueing in a logger."""
    age = f", {p.max_minutes} minutes" if p.max_minutes else ""
    frames = "\n".join(f"  {f}{'   <- logging frame' if f == p.frame else ''}" for f in p.functions[:12])
    created = f"\n  created by {p.created_by}" if p.created_by else ""
    return f"{p.count} x [{p.state}{age}]\n{frames}{created}"


class GoroutineParams(CheckParams):
    pprof_base: str = Field(description="The pprof root, e.g. http://svc:6060/debug/pprof")
    samples: int = Field(2, ge=1, le=10, description="debug=2 dumps to take")
    gap_s: float = Field(15.0, ge=0, description="Seconds between dumps")
    warn_group: int = Field(10, ge=1, description="warn when a blocked logging group has this many goroutines")
    fail_group: int = Field(50, ge=1, description="fail at this many, blocked at least min_minutes")
    min_minutes: int = Field(1, ge=0, description="Wait (minutes) that makes a group a pile-up")
    warn_min_minutes: int = Field(
        1, ge=0, description="warn only for groups waiting at least this long (a hot write path has none)"
    )
    growth: float = Field(
        0.2,
        gt=0,
        description="fail when total goroutines grow by this share between dumps "
        "and a logging group accounts for at least half of it",
    )
    frame_patterns: list[str] = Field(LOGGING_FRAMES, min_length=1, description="Substrings of logging frames")
    max_dump_bytes: int = Field(64 * 1024 * 1024, gt=0, description="Size cap for one dump")


@register_check
class GoroutinePileupLogging(Check[GoroutineParams]):
    name = "goroutine_pileup_logging"
    title = "Goroutine pile-up behind logging"
    description = (
        "Groups /debug/pprof/goroutine stacks like panicparse and flags blocked groups with a "
        "logging frame (zap, log writes): fail at >= 50 goroutines blocked >= 1 minute, or "
        "> 20% growth driven by that group; warn at >= 10 blocked >= 1 minute (goroutines passing "
        "through a hot write path without a wait are not a pile-up)."
    )
    rules = ("R10",)
    Params = GoroutineParams
    default_timeout_s = 40.0

    async def _dump(self, ctx: CheckContext, params: GoroutineParams, debug: int) -> GoroutineDump:
        url = f"{params.pprof_base.rstrip('/')}/goroutine?debug={debug}"
        reply = await fetch(ctx, "GET", url, max_bytes=params.max_dump_bytes, evidence=False)
        if reply.status != 200:
            ctx.record("response", f"HTTP {reply.status} from {reply.url}\n{reply.text()[:300]}")
            raise MeasureError(f"{reply.url} answered HTTP {reply.status} (is net/http/pprof mounted?)")
        try:
            return parse_dump(reply.text())
        except ParseError as exc:
            raise MeasureError(f"{reply.url} is not a goroutine dump: {exc}") from None

    async def run(self, params: GoroutineParams, ctx: CheckContext) -> Outcome:
        dumps: list[GoroutineDump] = []
        for i in range(params.samples):
            if i:
                await asyncio.sleep(min(params.gap_s, max(0.0, ctx.remaining() - 2)))
            dumps.append(await self._dump(ctx, params, 2))
            ctx.progress(
                (i + 1) / (params.samples + 1),
                f"goroutine dump {i + 1} of {params.samples}: {dumps[-1].total} goroutines",
            )
        agg = await self._dump(ctx, params, 1)
        last = dumps[-1]
        piles = logging_pileups(last, params.frame_patterns)
        agg_piles = logging_pileups(agg, params.frame_patterns)
        for g in last.groups[:5]:
            ctx.record("sample", describe_group(g))
        top = piles[0] if piles else None
        figures: dict[str, Figure] = {
            "goroutines": last.total,
            "groups": len(last.groups),
            "debug1_total": agg.total,
            "logging_blocked": sum(p.count for p in piles),
            "largest_logging_group": top.count if top else 0,
            "largest_logging_group_minutes": top.max_minutes if top else 0,
            "largest_logging_group_state": top.state if top else None,
            "logging_frame": top.frame if top else None,
            "debug1_logging_goroutines": sum(p.count for p in agg_piles),
        }
        thresholds = {
            "warn_group": params.warn_group,
            "fail_group": params.fail_group,
            "min_minutes": params.min_minutes,
            "warn_min_minutes": params.warn_min_minutes,
            "growth": params.growth,
        }
        reasons_fail, reasons_warn = [], []
        if top and top.count >= params.fail_group and top.max_minutes >= params.min_minutes:
            reasons_fail.append(top.describe())
        if len(dumps) > 1:
            first = dumps[0]
            delta = last.total - first.total
            figures["growth"] = round(delta / first.total, 3) if first.total else None
            if top and first.total and delta > params.growth * first.total:
                before = next(
                    (
                        p.count
                        for p in logging_pileups(first, params.frame_patterns)
                        if p.functions == top.functions and p.state == top.state
                    ),
                    0,
                )
                if top.count - before >= delta / 2:
                    reasons_fail.append(
                        f"goroutines grew {first.total}->{last.total} in {params.gap_s:g}s, "
                        f"{top.count - before} of them in {top.frame}"
                    )
        waiting = [p for p in piles if p.count >= params.warn_group and p.max_minutes >= params.warn_min_minutes]
        if not reasons_fail and waiting:
            reasons_warn.append(waiting[0].describe())
        decided = top if reasons_fail else waiting[0] if reasons_warn else None
        if decided is not None:
            ctx.record("group", describe_pileup(decided), deciding=True)
        elif last.groups:
            ctx.record("group", "largest group: " + describe_group(last.groups[0]), deciding=True)
        if reasons_fail:
            return Outcome(
                Verdict.FAIL, "goroutines piled up behind logging: " + "; ".join(reasons_fail), figures, thresholds
            )
        if reasons_warn:
            return Outcome(Verdict.WARN, "goroutines queueing behind logging: " + reasons_warn[0], figures, thresholds)
        biggest = last.groups[0] if last.groups else None
        tail = (
            f"; largest group {biggest.count} x [{biggest.state}] {biggest.functions[0] if biggest.functions else ''}"
            if biggest
            else ""
        )
        if top and top.count >= params.warn_group:
            tail += f"; {top.count} in {top.frame} without a reported wait (a busy write path, not a queue)"
        return Outcome(Verdict.OK, f"{last.total} goroutines, no pile-up in logging frames{tail}", figures, thresholds)
