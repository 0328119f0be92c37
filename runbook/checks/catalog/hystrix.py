"""hystrix_half_open (C6, R6): does the circuit breaker really wait out its sleep window?

hystrix-go closes an open breaker on *any* successful report, so a command that started
before the trip and succeeds afterwards closes the circuit without the single half-open probe
(the half-open race in the postmortem). From outside, that shows as an open→closed transition
sooner than the sleep window. The check listens to the hystrix-go SSE metrics stream
(``data:{json}`` per circuit per second), builds each circuit's open/close timeline from the
stream's own ``currentTime`` and flags premature closes, breakers stuck open, flapping, and
short-circuits counted while the breaker says it is closed.

Only a premature close is R6's failure mode. A breaker that stays open long past its sleep
window while requests arrive is the breaker doing its job against a dependency that is still
down: ``warn``, look at the dependency. A window with no open or close exercised nothing:
``unknown``. hystrix-go's stream reports a 5000 ms sleep window whatever the circuit's
configuration, so the real one comes in as ``sleep_window_ms``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from dataclasses import dataclass

from pydantic import Field

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.http import stream_lines
from runbook.checks.registry import register_check
from runbook.errors import ParseError
from runbook.parsers.sse import SseParser

#: hystrix-go's stream hard-codes this property (eventstream.go), whatever the circuit's config.
HYSTRIX_GO_SLEEP_WINDOW_MS = 5000


@dataclass(frozen=True)
class Tick:
    """One HystrixCommand event: the evidence timeline row."""

    t_ms: int
    open: bool
    requests: int
    error_pct: int
    short_circuited: int


@dataclass(frozen=True)
class CircuitVerdict:
    name: str
    verdict: Verdict
    reasons: tuple[str, ...]
    opens: int
    closes: int
    shortest_open_ms: int | None
    longest_open_ms: int | None
    ticks: int
    stuck_open: bool = False
    """Open longer than stuck_factor x sleep window under load at the end: a dependency to look at."""


def decode_command(data: str) -> tuple[str, Tick, int | None] | None:
    """(circuit name, tick, sleep-window property) from a HystrixCommand event; None for others."""
    try:
        obj = json.loads(data)
    except ValueError:
        raise ParseError(f"event data is not JSON: {data[:80]!r}") from None
    if not isinstance(obj, dict) or obj.get("type") != "HystrixCommand":
        return None
    try:
        tick = Tick(
            int(obj["currentTime"]),
            bool(obj["isCircuitBreakerOpen"]),
            int(obj.get("requestCount", 0)),
            int(obj.get("errorPercentage", 0)),
            int(obj.get("rollingCountShortCircuited", 0)),
        )
        name = str(obj["name"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"HystrixCommand event without {exc}: {data[:120]!r}") from None
    sleep = obj.get("propertyValue_circuitBreakerSleepWindowInMilliseconds")
    return name, tick, int(sleep) if isinstance(sleep, int) and sleep > 0 else None


def judge_circuit(
    name: str,
    ticks: list[Tick],
    *,
    sleep_window_ms: int,
    margin_ms: int = 1000,
    stuck_factor: float = 3.0,
    flap_cycles: int = 3,
) -> CircuitVerdict:
    """Apply the C6 rules to one circuit's timeline (ticks in stream order)."""
    ticks = sorted(ticks, key=lambda t: t.t_ms)
    fails: list[str] = []
    warns: list[str] = []
    opens = closes = 0
    durations: list[int] = []
    # a breaker already open when we start listening: its opening time is unknown, so its
    # close cannot be judged premature, but it can still be stuck
    opened_at: int | None = ticks[0].t_ms if ticks and ticks[0].open else None
    known = False
    prev: Tick | None = None
    for t in ticks:
        if prev is not None:
            if t.open and not prev.open:
                opens += 1
                opened_at, known = t.t_ms, True
            elif prev.open and not t.open:
                closes += 1
                if opened_at is not None and known:
                    held = t.t_ms - opened_at
                    durations.append(held)
                    if held < sleep_window_ms - margin_ms:
                        fails.append(
                            f"closed {held / 1000:g}s after opening at t={opened_at}, "
                            f"before the {sleep_window_ms / 1000:g}s sleep window"
                        )
                opened_at = None
            elif not t.open and not prev.open and t.short_circuited > prev.short_circuited:
                warns.append(
                    f"shortCircuited rose {prev.short_circuited}->{t.short_circuited} "
                    f"at t={t.t_ms} while the breaker reports closed"
                )
        prev = t
    stuck = False
    if prev is not None and prev.open and opened_at is not None:
        held = prev.t_ms - opened_at
        if held > stuck_factor * sleep_window_ms and prev.requests > 0:
            # hystrix-go lets one probe through per sleep window: staying open means the probes
            # fail, i.e. the dependency is still down. The breaker is right; not R6.
            stuck = True
            warns.append(
                f"open for {held / 1000:g}s (> {stuck_factor:g} x sleep window) while requests keep arriving: "
                "the breaker holds against a failing dependency; check the dependency's health"
            )
    if closes >= flap_cycles:
        warns.append(f"{closes} open/close cycles in the window (flapping)")
    verdict = Verdict.FAIL if fails else Verdict.WARN if warns else Verdict.OK
    if verdict is Verdict.OK and not durations:
        # no close after an open seen in the window: the half-open path was not exercised
        verdict = Verdict.UNKNOWN
    return CircuitVerdict(
        name,
        verdict,
        tuple(fails + warns),
        opens,
        closes,
        min(durations) if durations else None,
        max(durations) if durations else None,
        len(ticks),
        stuck,
    )


class HystrixParams(CheckParams):
    stream_url: str = Field(description="The hystrix-go stream handler URL (text/event-stream)")
    duration_s: float = Field(15.0, gt=0, le=3600, description="How long to listen (>= 2 x sleep window + 5 s)")
    sleep_window_ms: int | None = Field(
        None, gt=0, description="The circuits' real sleep window (hystrix-go's stream always reports 5000)"
    )
    circuit: str | None = Field(None, description="Only this circuit (default: all)")
    margin_ms: int = Field(1000, ge=0, description="Tolerance for 1 s event spacing")
    flap_cycles: int = Field(3, ge=1, description="warn at this many open/close cycles")
    stuck_factor: float = Field(3.0, gt=1, description="fail when open longer than this x sleep window")


def _transitions(name: str, ticks: list[Tick], sleep_window_ms: int) -> str:
    """The circuit's opens and closes with the tick that showed each, and how long each open
    lasted against the sleep window: a premature close or a stuck breaker reads off it."""
    lines = [f"{name}: state changes (sleep window {sleep_window_ms} ms)"]
    opened_at: int | None = None
    for prev, tick in itertools.pairwise(ticks):
        if prev.open == tick.open:
            continue
        if tick.open:
            opened_at = tick.t_ms
            what = "opened"
        else:
            held = f" after {tick.t_ms - opened_at} ms open" if opened_at is not None else ""
            what = f"closed{held}"
        lines.append(
            f"  t={tick.t_ms} {what} (requests={tick.requests}, errors={tick.error_pct}%, "
            f"shortCircuited={tick.short_circuited})"
        )
    if len(lines) == 1:
        last = ticks[-1]
        lines.append(f"  no change in {len(ticks)} ticks; {'open' if last.open else 'closed'} at t={last.t_ms}")
    elif ticks[-1].open and opened_at is not None:
        lines.append(f"  still open at t={ticks[-1].t_ms}, {ticks[-1].t_ms - opened_at} ms after it opened")
    return "\n".join(lines[:41])


@register_check
class HystrixHalfOpen(Check[HystrixParams]):
    name = "hystrix_half_open"
    title = "Circuit breaker half-open behaviour"
    description = (
        "Listens to a hystrix-go event stream and builds each circuit's open/close timeline: "
        "fail on a close sooner than sleepWindow - 1 s (R6); warn on a breaker open > 3 x sleep "
        "window under load (the dependency is down: check it), >= 3 cycles or shortCircuited rising "
        "while closed; unknown when no circuit opened or closed in the window (nothing exercised). "
        "Pass the real sleep_window_ms: hystrix-go's stream always reports 5000."
    )
    rules = ("R6",)
    Params = HystrixParams
    default_timeout_s = 25.0

    async def run(self, params: HystrixParams, ctx: CheckContext) -> Outcome:
        parser = SseParser()
        timelines: dict[str, list[Tick]] = {}
        sleep_prop: int | None = None
        events = 0
        listen = max(0.1, min(params.duration_s, ctx.remaining() - 0.5))
        async with contextlib.aclosing(
            stream_lines(ctx, "GET", params.stream_url, duration_s=listen, headers={"Accept": "text/event-stream"})
        ) as lines:
            async for line in lines:
                try:
                    event = parser.feed(line)
                    decoded = decode_command(event.data) if event is not None else None
                except ParseError as exc:
                    raise MeasureError(f"{params.stream_url} is not a hystrix stream: {exc}") from None
                if event is not None:
                    events += 1
                if decoded is None:
                    continue
                name, tick, sleep = decoded
                if params.circuit and name != params.circuit:
                    continue
                sleep_prop = sleep_prop or sleep
                rows = timelines.setdefault(name, [])
                if rows and rows[-1].open != tick.open:
                    ctx.record(
                        "event",
                        f"{name}: {'opened' if tick.open else 'closed'} at t={tick.t_ms} "
                        f"(requests={tick.requests}, errors={tick.error_pct}%, shortCircuited={tick.short_circuited})",
                    )
                rows.append(tick)
        sleep_window = params.sleep_window_ms or sleep_prop or HYSTRIX_GO_SLEEP_WINDOW_MS
        thresholds = {
            "sleep_window_ms": sleep_window,
            "premature_below_ms": sleep_window - params.margin_ms,
            "stuck_open_ms": int(params.stuck_factor * sleep_window),
            "warn_cycles": params.flap_cycles,
        }
        if not timelines:
            why = f"no HystrixCommand events in {listen:g}s ({events} events)"
            return Outcome(Verdict.UNKNOWN, f"could not judge: {why}", {"events": events}, thresholds, error=why)
        verdicts = [
            judge_circuit(
                n,
                ts,
                sleep_window_ms=sleep_window,
                margin_ms=params.margin_ms,
                stuck_factor=params.stuck_factor,
                flap_cycles=params.flap_cycles,
            )
            for n, ts in timelines.items()
        ]
        for name, ts in timelines.items():
            ctx.record(
                "sample",
                f"{name} timeline (t_ms, open, requests, error%, shortCircuited):\n"
                + "\n".join(f"{t.t_ms} {int(t.open)} {t.requests} {t.error_pct} {t.short_circuited}" for t in ts[-40:]),
            )
        worst = max(verdicts, key=lambda v: v.verdict.weight)
        ctx.record("transitions", _transitions(worst.name, timelines[worst.name], sleep_window), deciding=True)
        if worst.verdict is Verdict.UNKNOWN:  # weight 0: every circuit unexercised
            why = (
                f"no circuit both opened and closed in {listen:g}s ({sum(v.opens for v in verdicts)} open(s), "
                f"{sum(v.closes for v in verdicts)} close(s)): the half-open path was not exercised"
            )
        figures: dict[str, Figure] = {
            "circuits": len(verdicts),
            "events": events,
            "listened_s": round(listen, 3),
            "opens": sum(v.opens for v in verdicts),
            "closes": sum(v.closes for v in verdicts),
            "worst_circuit": worst.name,
            "stuck_open_circuits": sum(v.stuck_open for v in verdicts),
            "sleep_window_source": "param" if params.sleep_window_ms else "stream (hystrix-go always reports 5000)",
        }
        shortest = min((v.shortest_open_ms for v in verdicts if v.shortest_open_ms is not None), default=None)
        figures["shortest_open_s"] = shortest / 1000 if shortest is not None else None
        if worst.verdict is Verdict.UNKNOWN:
            return Outcome(Verdict.UNKNOWN, f"could not judge: {why}", figures, thresholds, error=why)
        if worst.verdict is Verdict.OK:
            summary = (
                f"{len(verdicts)} circuit(s), {figures['opens']} open(s): every close waited the "
                f"{sleep_window / 1000:g}s sleep window"
            )
        else:
            summary = f"{worst.name}: {worst.reasons[0]}"
        if not params.sleep_window_ms:
            summary += " (sleep window from the stream, which always says 5000 ms: pass sleep_window_ms)"
        return Outcome(worst.verdict, summary, figures, thresholds)
