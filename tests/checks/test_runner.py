"""The runner's contract: never raises, deadline, observer, concurrency, redaction, helpers."""

from __future__ import annotations

import asyncio
import time

import pytest

from runbook.checks import registry
from runbook.checks.base import (
    Check,
    CheckContext,
    CheckParams,
    MeasureError,
    Outcome,
    Verdict,
)
from runbook.checks.retry import in_thread, poll_until, retry, sleep
from runbook.checks.runner import CheckSpec, run_check, run_many


class _SleepParams(CheckParams):
    seconds: float = 0.1
    fail_with: str = ""
    api_token: str = ""
    url: str = ""


class SleepCheck(Check):
    """Test-only: sleeps, then reports (or raises) what it was told, echoing its params."""

    name = "test_sleep"
    title = "sleep (test)"
    Params = _SleepParams
    secret_params = ("api_token",)

    async def run(self, params, ctx):
        ctx.progress(0.5, "half way")
        ctx.record("request", f"GET {params.url} with token {params.api_token}")
        await asyncio.sleep(params.seconds)
        if params.fail_with == "measure":
            raise MeasureError("connection refused by 127.0.0.1:9")
        if params.fail_with:
            raise ValueError(params.fail_with)
        return Outcome(
            Verdict.WARN,
            f"slept; token was {params.api_token} at {params.url}",
            figures={"slept_s": params.seconds, "where": params.url},
            thresholds={"warn_s": 0.0},
        )


@pytest.fixture(autouse=True, scope="module")
def _test_checks():
    registry.register_check(SleepCheck)
    yield
    registry._REGISTRY.pop(SleepCheck.name, None)


class Recorder:
    def __init__(self):
        self.events = []

    def check_started(self, key, check_type):
        self.events.append(("started", key))

    def check_progress(self, key, fraction, message):
        self.events.append(("progress", key, fraction, message))

    def check_finished(self, key, result):
        self.events.append(("finished", key, result.verdict.value))


async def test_result_shape_and_observer():
    rec = Recorder()
    result = await run_check("test_sleep", {"seconds": 0.01}, observer=rec, key="n1#0")
    assert result.verdict is Verdict.WARN
    assert result.figures == {"slept_s": 0.01, "where": ""}
    assert result.thresholds == {"warn_s": 0.0}
    assert 0.01 <= result.duration_s < 0.5
    assert rec.events == [("started", "n1#0"), ("progress", "n1#0", 0.5, "half way"), ("finished", "n1#0", "warn")]


async def test_unknown_type_and_bad_params_are_unknown_not_raised():
    r = await run_check("no_such_check", {})
    assert r.verdict is Verdict.UNKNOWN
    assert r.error.startswith("unknown check type 'no_such_check'; known types: ")
    r = await run_check("test_sleep", {"seconds": "soon", "bogus": 1})
    assert r.verdict is Verdict.UNKNOWN
    assert r.error == (
        "test_sleep: parameter 'seconds': Input should be a valid number, unable to parse "
        "string as a number; unknown parameter 'bogus'"
    )
    r = await run_check("test_sleep", {}, timeout_s=0)
    assert r.error == "timeout must be a positive number of seconds, not 0"


async def test_exceptions_become_unknown_with_reason():
    r = await run_check("test_sleep", {"seconds": 0, "fail_with": "boom"})
    assert (r.verdict, r.error, r.summary) == (
        Verdict.UNKNOWN,
        "ValueError: boom",
        "could not measure: ValueError: boom",
    )
    r = await run_check("test_sleep", {"seconds": 0, "fail_with": "measure"})
    assert r.error == "connection refused by 127.0.0.1:9"


async def test_deadline_is_hard_and_says_what_was_last_seen():
    t0 = time.monotonic()
    r = await run_check("test_sleep", {"seconds": 5, "url": "http://h/x"}, timeout_s=0.3)
    assert time.monotonic() - t0 < 0.35
    assert r.verdict is Verdict.UNKNOWN
    assert r.summary == "no verdict within the 0.3s deadline; last seen: request GET http://h/x with token "


async def test_secrets_redacted_from_every_field():
    r = await run_check(
        "test_sleep", {"seconds": 0, "api_token": "tok-SECRET-1", "url": "http://ann:pw-SECRET-2@h/x?sig=SECRET3"}
    )
    dumped = repr(r.to_dict())
    for secret in ("tok-SECRET-1", "pw-SECRET-2", "SECRET3"):
        assert secret not in dumped
    assert r.params == {"seconds": 0, "api_token": "***", "url": "http://***@h/x?sig=***"}
    assert r.summary == "slept; token was *** at http://***@h/x?sig=***"
    assert r.figures["where"] == "http://***@h/x?sig=***"


async def test_run_many_is_concurrent_and_ordered():
    specs = [CheckSpec("test_sleep", {"seconds": 0.3 if i % 2 else 0.2}) for i in range(100)]
    t0 = time.monotonic()
    results = await run_many(specs)
    wall = time.monotonic() - t0
    assert wall < 0.6, wall
    assert [r.figures["slept_s"] for r in results] == [s.params["seconds"] for s in specs]
    t0 = time.monotonic()
    await run_many(specs[:6], concurrency=2)
    assert time.monotonic() - t0 >= 0.7  # three waves


async def test_cancelling_run_many_cancels_every_check_and_leaves_no_task():
    before = set(asyncio.all_tasks())
    rec = Recorder()
    task = asyncio.create_task(run_many([CheckSpec("test_sleep", {"seconds": 10})] * 5, observer=rec))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert set(asyncio.all_tasks()) - before == set()
    assert sorted(e for e in rec.events if e[0] == "finished") == [
        ("finished", f"test_sleep#{i}", "unknown") for i in range(5)
    ]


def _ctx(seconds: float) -> CheckContext:
    return CheckContext(deadline=time.monotonic() + seconds, max_bytes=1024)


async def test_retry_backs_off_and_succeeds():
    calls = []

    async def flaky():
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise MeasureError(f"try {len(calls)}")
        return "ok"

    ctx = _ctx(5)
    assert await retry(ctx, flaky, attempts=4, base_delay_s=0.05) == "ok"
    assert len(calls) == 3
    assert calls[2] - calls[1] > calls[1] - calls[0] * 1 - 1  # waited between tries
    assert [e.text.split(" (")[0] for e in ctx.evidence] == ["attempt 1/4 failed", "attempt 2/4 failed"]


async def test_retry_gives_up_with_last_error_and_respects_deadline():
    async def always():
        raise MeasureError("still down")

    t0 = time.monotonic()
    with pytest.raises(MeasureError, match="still down"):
        await retry(_ctx(0.3), always, attempts=50, base_delay_s=0.1)
    assert time.monotonic() - t0 < 0.35


async def test_poll_until_holds_or_runs_out():
    values = iter(range(100))

    async def sample():
        return next(values)

    polled = await poll_until(_ctx(2), sample, lambda v: v >= 3, interval_s=0.01)
    assert (polled.held, polled.samples, polled.last) == (True, (0, 1, 2, 3), 3)
    t0 = time.monotonic()
    polled = await poll_until(_ctx(0.3), sample, lambda v: False, interval_s=0.05)
    assert not polled.held and 3 <= len(polled.samples) <= 7
    assert time.monotonic() - t0 < 0.3


async def test_in_thread_and_sleep_stop_at_the_deadline():
    t0 = time.monotonic()
    with pytest.raises(MeasureError, match="sleep gave no answer within"):
        await in_thread(_ctx(0.2), time.sleep, 1)
    assert time.monotonic() - t0 < 0.3
    assert await in_thread(_ctx(1), sum, [1, 2]) == 3
    assert await sleep(_ctx(0.1), 5) is False
