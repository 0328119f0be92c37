"""Goroutine dumps of a Go service whose logger blocks (R10), in the runtime's own formats.

The orders API logs through zap with a ``lockedWriteSyncer`` over a stderr pipe that nobody
drains: one goroutine sits in ``write(2)`` holding the lock, and every request goroutine that
logs queues behind it in ``semacquire``. The pile-up started before the responder arrived
(the dump reports minutes since it began) and grows while traffic continues.
``render_debug2`` gives ``?debug=2`` (one block per goroutine), ``render_debug1`` gives
``?debug=1`` (``K @ pcs`` groups with ``#`` frame lines).
"""

from __future__ import annotations

GO = "/usr/lib/go-1.19/src"
ZAP = "/root/go/pkg/mod/go.uber.org/zap@v1.23.0"

# (function with args, file:line +off, pc) per frame; the last entry is "created by".
BLOCKED = (
    ("sync.runtime_SemacquireMutex(0xc0001a4034?, 0x0?, 0x1?)", f"{GO}/runtime/sema.go:77 +0x25", 0x4662A5),
    ("sync.(*Mutex).lockSlow(0xc0001a4030)", f"{GO}/sync/mutex.go:171 +0x165", 0x477F05),
    ("sync.(*Mutex).Lock(...)", f"{GO}/sync/mutex.go:90", 0x477DA0),
    (
        "go.uber.org/zap/zapcore.(*lockedWriteSyncer).Write(0xc0001a4030, {0xc000d3e000, 0x9b, 0x400})",
        f"{ZAP}/zapcore/write_syncer.go:66 +0x5c",
        0x71A31C,
    ),
    (
        "go.uber.org/zap/zapcore.(*ioCore).Write(0xc0001b20c0, {0x0, {0xc0f1c2e0a6b1d2f8, 0x2c5b9a0e, 0xb3c9e0}, "
        "{0x8c4d2a, 0x7}, {0x8d1f0e, 0x12}, {0x0, 0x0, {0x0, 0x0}, 0x0, {0x0, 0x0}}, {0x0, 0x0}}, ...)",
        f"{ZAP}/zapcore/core.go:99 +0xb5",
        0x717E75,
    ),
    (
        "go.uber.org/zap/zapcore.(*CheckedEntry).Write(0xc000d44000, {0xc000d2c180, 0x3, 0x3})",
        f"{ZAP}/zapcore/entry.go:255 +0x1dc",
        0x718F5C,
    ),
    (
        "go.uber.org/zap.(*Logger).Info(0xc0001c2000, {0x8d1f0e?, 0x0?}, {0xc000d2c180, 0x3, 0x3})",
        f"{ZAP}/logger.go:220 +0x6a",
        0x72B8AA,
    ),
    (
        "main.(*orderHandler).ServeHTTP(0xc0001c6000, {0x9a3c28, 0xc000d38000}, 0xc000d36000)",
        "/src/orders-api/handler.go:48 +0x1c5",
        0x7C3E25,
    ),
    (
        "net/http.serverHandler.ServeHTTP({0xc000d2a0f0?}, {0x9a3c28, 0xc000d38000}, 0xc000d36000)",
        f"{GO}/net/http/server.go:2947 +0x30c",
        0x6B8A2C,
    ),
    (
        "net/http.(*conn).serve(0xc000d30000, {0x9a4080, 0xc0001e4000})",
        f"{GO}/net/http/server.go:1991 +0x607",
        0x6B3F47,
    ),
    ("net/http.(*Server).Serve", f"{GO}/net/http/server.go:3102 +0x4db", 0x6B9B9B),
)
WRITER = (
    ("syscall.Syscall(0x1, 0x2, 0xc000c00000, 0x9b)", f"{GO}/syscall/syscall_linux.go:68 +0x27", 0x4A9867),
    ("syscall.write(0x2?, {0xc000c00000?, 0x0?, 0x0?})", f"{GO}/syscall/zsyscall_linux_amd64.go:924 +0x45", 0x4A7E05),
    ("internal/poll.ignoringEINTRIO(...)", f"{GO}/internal/poll/fd_unix.go:794", 0x4C11A0),
    (
        "internal/poll.(*FD).Write(0xc0000a8120, {0xc000c00000, 0x9b, 0x400})",
        f"{GO}/internal/poll/fd_unix.go:383 +0x36e",
        0x4C150E,
    ),
    ("os.(*File).write(...)", f"{GO}/os/file_posix.go:48", 0x4CA2A0),
    ("os.(*File).Write(0xc0000ae010, {0xc000c00000?, 0x9b, 0xc000061d30?})", f"{GO}/os/file.go:176 +0x65", 0x4CA345),
    (
        "go.uber.org/zap/zapcore.(*lockedWriteSyncer).Write(0xc0001a4030, {0xc000c00000, 0x9b, 0x400})",
        f"{ZAP}/zapcore/write_syncer.go:67 +0x7e",
        0x71A33E,
    ),
    *BLOCKED[4:],
)
IDLE = (
    (
        "IO wait",
        (
            ("internal/poll.runtime_pollWait(0x7f3b2c5e8f08, 0x72)", f"{GO}/runtime/netpoll.go:305 +0x89", 0x4616E9),
            ("internal/poll.(*FD).Accept(0xc0001e2000)", f"{GO}/internal/poll/fd_unix.go:614 +0x234", 0x4C2634),
            ("net.(*TCPListener).Accept(0xc0001c8018)", f"{GO}/net/tcpsock.go:288 +0x3d", 0x58C7FD),
            (
                "net/http.(*Server).Serve(0xc0001e0000, {0x9a3a18, 0xc0001c8018})",
                f"{GO}/net/http/server.go:3070 +0x385",
                0x6B9A45,
            ),
            ("main.main", "/src/orders-api/main.go:61 +0x2e5", 0x7C4BA5),
        ),
    ),
    (
        "select",
        (
            (
                "go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor).processQueue(0xc0001f4000)",
                "/root/go/pkg/mod/go.opentelemetry.io/otel/sdk@v1.11.1/trace/batch_span_processor.go:302 +0x2c9",
                0x79A0E9,
            ),
            (
                "go.opentelemetry.io/otel/sdk/trace.NewBatchSpanProcessor",
                "/root/go/pkg/mod/go.opentelemetry.io/otel/sdk@v1.11.1/trace/batch_span_processor.go:126 +0x2e5",
                0x799B05,
            ),
        ),
    ),
    (
        "chan receive",
        (
            ("main.(*configWatcher).loop(0xc0001d6000)", "/src/orders-api/config.go:40 +0x65", 0x7C2825),
            ("main.startWatcher", "/src/orders-api/config.go:28 +0x8a", 0x7C270A),
        ),
    ),
)


def _block(gid: int, state: str, frames: tuple[tuple[str, str, int], ...], *, created: bool = True) -> str:
    """One goroutine; the last frame is its "created by" unless it is the main goroutine."""
    lines = [f"goroutine {gid} [{state}]:"]
    for func, where, _pc in frames[:-1] if created else frames:
        lines += [func, f"\t{where}"]
    if created:
        func, where, _pc = frames[-1]
        lines += [f"created by {func}", f"\t{where}"]
    return "\n".join(lines)


def render_debug2(blocked: int, minutes: int) -> str:
    when = f", {minutes} minutes" if minutes >= 1 else ""
    blocks = [_block(1, "IO wait" + when, IDLE[0][1], created=False)]
    blocks.append(_block(87, f"syscall{when}", WRITER))
    blocks += [_block(gid, state + when, frames) for gid, (state, frames) in enumerate(IDLE[1:], start=20)]
    blocks += [_block(1000 + i * 7, f"semacquire{when}", BLOCKED) for i in range(blocked)]
    return "\n\n".join(blocks) + "\n"


def _group(count: int, frames: tuple[tuple[str, str, int], ...]) -> str:
    body = [f"{count} @ " + " ".join(hex(pc + 1) for _f, _w, pc in frames[:-1])]
    for func, where, pc in frames[:-1]:
        name = func.rsplit("(", 1)[0] if func.endswith(")") else func
        body.append(f"#\t{hex(pc)}\t{name}+0x{pc % 0x400:x}\t{where.split(' ')[0]}")
    return "\n".join(body)


def render_debug1(blocked: int) -> str:
    total = blocked + 1 + len(IDLE)
    groups = [(blocked, BLOCKED), (1, WRITER)] + [
        (1, (*frames, ("", "", 0))) if s == "IO wait" else (1, frames) for s, frames in IDLE
    ]
    groups.sort(key=lambda g: -g[0])
    return f"goroutine profile: total {total}\n" + "\n\n".join(_group(c, f) for c, f in groups) + "\n"


def total_goroutines(blocked: int) -> int:
    return blocked + 1 + len(IDLE)
