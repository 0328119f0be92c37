"""Goroutine dump parser: both pprof formats, panicparse-style grouping, property tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook.errors import ParseError
from runbook.parsers.pprof_goroutine import function_name, parse_dump, parse_state

DEBUG2 = """goroutine 1 [IO wait, 5 minutes]:
internal/poll.runtime_pollWait(0x7f0c2c1c8f08, 0x72)
\t/usr/lib/go-1.19/src/runtime/netpoll.go:305 +0x89
main.main()
\t/src/main.go:80 +0x1f8

goroutine 20 [semacquire, 3 minutes]:
sync.runtime_SemacquireMutex(0xc0001a2104?, 0x0?, 0xc000226c00?)
\t/usr/lib/go-1.19/src/runtime/sema.go:71 +0x25
sync.(*Mutex).Lock(...)
\t/usr/lib/go-1.19/src/sync/mutex.go:90
go.uber.org/zap/zapcore.(*lockedWriteSyncer).Write(0xc0001a2100, {0xc000290400, 0x5e, 0x400})
\t/zap/zapcore/write_syncer.go:65 +0x65
created by net/http.(*Server).Serve in goroutine 1
\t/usr/lib/go-1.19/src/net/http/server.go:3102 +0x4db

goroutine 21 [semacquire, 1 minutes, locked to thread]:
sync.runtime_SemacquireMutex(0xc0001a2104?, 0x1?, 0x2?)
\t/usr/lib/go-1.19/src/runtime/sema.go:71 +0x25
sync.(*Mutex).Lock(...)
\t/usr/lib/go-1.19/src/sync/mutex.go:90
go.uber.org/zap/zapcore.(*lockedWriteSyncer).Write(0xc0001a2100, {0xc000290999, 0x5e, 0x400})
\t/zap/zapcore/write_syncer.go:65 +0x65
...additional frames elided...
created by net/http.(*Server).Serve
\t/usr/lib/go-1.19/src/net/http/server.go:3102 +0x4db

goroutine 22 [running (scan)]:
runtime/pprof.writeGoroutineStacks({0x8c7a20, 0xc0002c20e0})
\t/usr/lib/go-1.19/src/runtime/pprof/pprof.go:692 +0x70
"""

DEBUG1 = """goroutine profile: total 4
2 @ 0x43c4d6 0x44d9ee 0x5f3c65
#\t0x46a1a4\tsync.runtime_SemacquireMutex+0x24\t/usr/lib/go-1.19/src/runtime/sema.go:71
#\t0x47a2e4\tsync.(*Mutex).Lock+0x164\t/usr/lib/go-1.19/src/sync/mutex.go:90
#\t0x5f3c64\tgo.uber.org/zap/zapcore.(*lockedWriteSyncer).Write+0x64\t/zap/zapcore/write_syncer.go:65

1 @ 0x43c4d6 0x4358b7
# labels: {"handler":"pprof"}
#\t0x4358b6\truntime/pprof.writeGoroutineStacks+0x70\t/usr/lib/go-1.19/src/runtime/pprof/pprof.go:692

1 @ 0x43c4d6 0x4358b7
#\t0x4358b6\tinternal/poll.runtime_pollWait+0x88\t/usr/lib/go-1.19/src/runtime/netpoll.go:305
"""


def test_debug2_groups_by_state_and_functions_ignoring_args():
    dump = parse_dump(DEBUG2)
    assert dump.debug == 2 and dump.total == 4 and len(dump.groups) == 3
    zap = dump.groups[0]
    assert zap.count == 2 and zap.state == "semacquire"
    assert zap.functions == (
        "sync.runtime_SemacquireMutex",
        "sync.(*Mutex).Lock",
        "go.uber.org/zap/zapcore.(*lockedWriteSyncer).Write",
    )
    assert (zap.min_minutes, zap.max_minutes) == (1, 3)
    assert zap.created_by == "net/http.(*Server).Serve" and zap.ids == [20, 21]
    assert zap.locations[0] == "/usr/lib/go-1.19/src/runtime/sema.go:71"
    assert zap.locations[1] == "/usr/lib/go-1.19/src/sync/mutex.go:90"
    running = [g for g in dump.groups if g.state == "running"]
    assert running and running[0].functions == ("runtime/pprof.writeGoroutineStacks",)


def test_debug1_counts_and_functions():
    dump = parse_dump(DEBUG1)
    assert dump.debug == 1 and dump.total == 4
    assert [g.count for g in dump.groups] == [2, 1, 1]
    assert dump.groups[0].functions[2] == "go.uber.org/zap/zapcore.(*lockedWriteSyncer).Write"
    assert dump.groups[0].max_minutes == 0 and dump.groups[0].min_minutes is None


@pytest.mark.parametrize(
    ("call", "name"),
    [
        ("main.main()", "main.main"),
        ("go.uber.org/zap.(*Logger).Info(0xc0001b80f0?, {0x7a3b8e?, 0x0?})", "go.uber.org/zap.(*Logger).Info"),
        ("sync.(*Mutex).Lock(...)", "sync.(*Mutex).Lock"),
        ("example.com/x.Map[...](0x1)", "example.com/x.Map[...]"),
    ],
)
def test_function_name(call, name):
    assert function_name(call) == name


def test_state_parsing():
    assert parse_state("chan receive (scan), 12 minutes") == ("chan receive", 12)
    assert parse_state("sync.Mutex.Lock, 1 minutes, locked to thread") == ("sync.Mutex.Lock", 1)
    assert parse_state("select") == ("select", 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "line 1: expected 'goroutine N [state]:', got 'hello'"),
        ("goroutine x [running]:", "line 1: bad goroutine header 'goroutine x [running]:'"),
        ("goroutine 1 [running]:\nf()\n\tf.go:1\n\ngoroutine 2 [select]:", "line 5: goroutine 2 has no frames"),
        ("goroutine profile: total x", "line 1: bad profile header 'goroutine profile: total x'"),
        ("goroutine profile: total 1\nnonsense", "line 2: expected 'N @ 0x...', got 'nonsense'"),
    ],
)
def test_errors_name_the_line(text, message):
    with pytest.raises(ParseError) as err:
        parse_dump(text)
    assert str(err.value) == message


pieces = st.sampled_from(
    [
        "goroutine ",
        "1",
        " [",
        "running",
        "semacquire, 2 minutes",
        "]:",
        "\n",
        "\n\n",
        "\t",
        "f.go:1 +0x1",
        "main.f(0x1)",
        "created by main.g",
        "goroutine profile: total 3",
        " @ 0x1",
        "#\t0x1\tmain.f+0x1\tf.go:1",
        "(",
        ")",
        "...",
    ]
)


@given(st.one_of(st.text(max_size=300), st.lists(pieces, max_size=40).map("".join)))
@settings(max_examples=500, deadline=None)
def test_arbitrary_input_parses_or_raises_parse_error(text):
    try:
        dump = parse_dump(text)
    except ParseError:
        return
    assert dump.total >= 0 and all(g.count >= 0 for g in dump.groups)
