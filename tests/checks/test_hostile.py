"""Hostile endpoints: every misbehaviour ends in verdict unknown, a clear reason, on time,
with bounded memory. Servers: tests/fixtures/hostile_servers.py."""

from __future__ import annotations

import asyncio
import contextlib
import time
import tracemalloc

import pytest
from pydantic import Field

from runbook.checks import registry
from runbook.checks.base import (
    Check,
    CheckContext,
    CheckParams,
    MeasureError,
    Outcome,
    Verdict,
)
from runbook.checks.http import fetch, stream_lines
from runbook.checks.runner import run_check
from tests.fixtures.proc import free_port

DEADLINE = 0.6
SLACK = 0.1  # the bound: verdict within deadline + 100 ms


class _FetchParams(CheckParams):
    url: str
    follow_redirects: bool = False


class FetchJson(Check):
    """Test-only check: one GET through the shared helper, the body parsed as JSON."""

    name = "test_fetch_json"
    title = "fetch JSON (test)"
    Params = _FetchParams

    async def run(self, params, ctx):
        reply = await fetch(ctx, "GET", params.url, follow_redirects=params.follow_redirects)
        return Outcome(Verdict.OK, f"got {reply.json()!r}")


class _StreamParams(CheckParams):
    url: str
    max_line_bytes: int = Field(default=4096)


class StreamAll(Check):
    name = "test_stream_lines"
    title = "read a line stream (test)"
    Params = _StreamParams

    async def run(self, params, ctx):
        n = 0
        async for _ in stream_lines(ctx, "GET", params.url, max_line_bytes=params.max_line_bytes):
            n += 1
        return Outcome(Verdict.OK, f"{n} lines")


class RawSocket(Check):
    """Bypasses the HTTP helper: only the runner's own deadline can stop it."""

    name = "test_raw_socket"
    title = "raw socket read (test)"
    Params = _FetchParams

    async def run(self, params, ctx):
        host, port = params.url.split("//")[1].split("/")[0].split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            await reader.read()  # waits forever on a silent peer
        finally:
            writer.close()
        return Outcome(Verdict.OK, "read to EOF")


@pytest.fixture(autouse=True, scope="module")
def _test_checks():
    registry.all_checks()  # load the catalog now: its one-time import is not a check's time
    for cls in (FetchJson, StreamAll, RawSocket):
        registry.register_check(cls)
    yield
    for cls in (FetchJson, StreamAll, RawSocket):
        registry._REGISTRY.pop(cls.name, None)


CASES = [
    ("no_synack", "http", "connecting: no answer to the TCP handshake"),
    ("silent", "http", "waiting for the response headers"),
    ("silent", "https", "TLS handshake not completed"),
    ("stall_body", "http", "body stalled after 5 bytes"),
    ("drip", "http", "waiting for the response headers"),
    ("huge", "http", "larger than the 1 MiB cap"),
    ("huge_declared", "http", "larger than the 1 MiB cap"),
    ("gzip_bomb", "http", "larger than the 1 MiB cap"),
    ("garbage", "http", "malformed HTTP from 127.0.0.1"),
    ("reset", "http", "127.0.0.1"),
    ("ok", "https", "peer is not speaking TLS"),
]


@pytest.mark.parametrize(("kind", "scheme", "reason"), CASES, ids=[f"{k}-{s}" for k, s, _ in CASES])
async def test_hostile_peer_gives_unknown_in_time(hostile, kind, scheme, reason):
    url = hostile.url(kind, "/vars?token=s3cr3t-value", scheme=scheme)
    t0 = time.monotonic()
    result = await run_check("test_fetch_json", {"url": url}, timeout_s=DEADLINE, max_bytes=1024 * 1024)
    elapsed = time.monotonic() - t0
    assert result.verdict is Verdict.UNKNOWN, result.summary
    assert reason in result.error, result.error
    assert elapsed < DEADLINE + SLACK, elapsed
    assert "s3cr3t-value" not in repr(result.to_dict())


async def test_refused_port_is_named(hostile):
    port = free_port()
    result = await run_check("test_fetch_json", {"url": f"http://127.0.0.1:{port}/"}, timeout_s=DEADLINE)
    assert result.verdict is Verdict.UNKNOWN
    assert result.error == f"connection refused by 127.0.0.1:{port}"
    assert result.duration_s < 0.2


async def test_redirect_loop_is_named(hostile):
    result = await run_check(
        "test_fetch_json", {"url": hostile.url("redirect_loop"), "follow_redirects": True}, timeout_s=2
    )
    assert result.verdict is Verdict.UNKNOWN
    assert result.error.startswith("redirect loop: http://127.0.0.1:")
    assert result.duration_s < 1.0


async def test_garbage_json_body_is_unknown_with_excerpt(hostile):
    result = await run_check("test_fetch_json", {"url": hostile.url("ok")}, timeout_s=DEADLINE)
    assert result.verdict is Verdict.OK  # the contrast: a sane peer passes
    assert result.summary == "got {'status': 'ok'}"


@pytest.mark.parametrize("kind", ["silent", "no_synack", "drip"])
async def test_runner_deadline_alone_stops_a_raw_read(hostile, kind):
    t0 = time.monotonic()
    result = await run_check("test_raw_socket", {"url": hostile.url(kind)}, timeout_s=0.4)
    assert time.monotonic() - t0 < 0.4 + SLACK
    assert result.verdict is Verdict.UNKNOWN
    assert result.error == "deadline of 0.4s exceeded"
    assert result.summary.startswith("no verdict within the 0.4s deadline")


async def test_ten_gigabyte_body_stays_bounded_in_memory(hostile):
    cap = 1024 * 1024
    tracemalloc.start()
    try:
        ctx = CheckContext(deadline=time.monotonic() + 5, max_bytes=cap)
        reply = await fetch(ctx, "GET", hostile.url("huge"), truncate=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reply.truncated and len(reply.body) == cap
    # the server would send 10 GiB; we held the cap, a copy, and a few read buffers
    assert peak < 8 * cap, peak


async def test_compression_bomb_is_decoded_only_up_to_the_cap(hostile):
    cap = 1024 * 1024
    tracemalloc.start()
    try:
        ctx = CheckContext(deadline=time.monotonic() + 5, max_bytes=cap)
        reply = await fetch(ctx, "GET", hostile.url("gzip_bomb"), truncate=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reply.truncated and reply.body == b"\0" * cap
    assert peak < 8 * cap, peak  # the 64 MiB it would inflate to never exists


async def test_endless_stream_line_is_cut(hostile):
    t0 = time.monotonic()
    result = await run_check("test_stream_lines", {"url": hostile.url("endless_line")}, timeout_s=2)
    assert result.verdict is Verdict.UNKNOWN
    assert result.error.endswith("sent a line longer than 4 KiB")
    assert time.monotonic() - t0 < 1.0


async def test_silent_stream_is_unknown_in_time(hostile):
    t0 = time.monotonic()
    result = await run_check("test_stream_lines", {"url": hostile.url("silent")}, timeout_s=DEADLINE)
    assert time.monotonic() - t0 < DEADLINE + SLACK
    assert result.verdict is Verdict.UNKNOWN
    assert "waiting for the response headers" in result.error


async def test_stream_duration_ends_quietly_on_a_stalled_stream(hostile):
    ctx = CheckContext(deadline=time.monotonic() + 3, max_bytes=1 << 20)
    lines = []
    t0 = time.monotonic()
    # stall_body sends headers + 5 bytes, then nothing: the window ends the stream normally
    async with contextlib.aclosing(stream_lines(ctx, "GET", hostile.url("stall_body"), duration_s=0.3)) as it:
        async for line in it:
            lines.append(line)
    assert 0.28 <= time.monotonic() - t0 < 0.5  # httpx's own read timeout ends it 5 ms early
    assert lines == []


async def test_cancelling_a_hanging_check_is_prompt_and_leaves_no_task(hostile):
    before = {t for t in asyncio.all_tasks()}
    task = asyncio.create_task(run_check("test_fetch_json", {"url": hostile.url("silent")}, timeout_s=30))
    await asyncio.sleep(0.2)
    t0 = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - t0 < 0.1
    await asyncio.sleep(0)
    assert {t for t in asyncio.all_tasks()} - before == set()


async def test_measure_error_is_a_runbook_error():
    from runbook.errors import RunbookError

    assert issubclass(MeasureError, RunbookError)


@pytest.mark.parametrize("kind", ["silent", "stall_body", "huge", "garbage", "no_synack"])
async def test_real_check_against_hostile_peer(hostile, kind):
    url = hostile.url(kind)
    t0 = time.monotonic()
    result = await run_check(
        "health_vs_memory",
        {"health_url": url, "vars_url": url, "memory_limit_bytes": 10**9},
        timeout_s=DEADLINE,
        max_bytes=1024 * 1024,
    )
    assert time.monotonic() - t0 < DEADLINE + SLACK
    assert result.verdict is Verdict.UNKNOWN
    assert result.summary.startswith("could not measure: ")


async def test_cut_tls_handshake_leaves_no_socket_for_the_gc(hostile):
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(3):
            ctx = CheckContext(deadline=time.monotonic() + 0.2, max_bytes=1024)
            with pytest.raises(MeasureError, match="TLS handshake not completed"):
                await fetch(ctx, "GET", hostile.url("silent", scheme="https"))
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
