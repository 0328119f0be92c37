"""The postmortem's Go anti-patterns as searches over a :class:`GoFile` (see ``_go_source``).

Each rule yields :class:`PatternMatch` (file, line, pattern id, message). ``PATTERNS`` lists the ids
with the rule they come from. Heuristics, deliberately narrow: a finding names a place a
reviewer should open, in the words of the postmortem's fix, never a proof (no type
information), which is why the check's verdict for a finding is ``warn``.

A ``KeepAlive`` inside a loop is not a finding by itself: R1's own fix re-grants in a loop
that calls ``KeepAlive`` again only after draining the previous channel to its close, so one
stream is alive at a time. The loop is flagged when it starts streams in goroutines or does
not drain each channel to its close before the next iteration.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from runbook.checks.catalog._go_source import GoFile

PATTERNS = {
    "keepalive_per_watcher": ("R1", "several KeepAlive streams per lease / one per watcher"),
    "keepalive_undrained": ("R1", "KeepAlive response channel never drained"),
    "hardcoded_probe_timeout": ("R2", "hard-coded timeout in health/probe code"),
    "sync_pool_conn": ("R5", "sync.Pool holding connections"),
    "errors_is_grpc_code": ("R7", "errors.Is against a gRPC code"),
    "wrapped_grpc_status": ("R7", "gRPC status wrapped with %w"),
    "raw_header_lookup": ("R11", "raw Header map key that is not canonical"),
    "default_http_client": ("R7", "http.DefaultClient bypassing the SDK client"),
    "unlocked_config_unmarshal": ("R4", "config unmarshalled into a global without a lock"),
    "blocking_syscall_read": ("R10", "blocking syscall.Read without a deadline"),
}


@dataclass(frozen=True)
class PatternMatch:
    file: str
    line: int
    pattern: str
    message: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


_KEEPALIVE = re.compile(r"\.KeepAlive\(\s*([^,()]+(?:\([^()]*\))?)\s*,\s*([^()]+?)\s*\)")
_KA_ASSIGN = re.compile(r"(\w+|_)\s*(?:,\s*(\w+|_))?\s*:?=\s*[\w.]*\.KeepAlive\(")
_WITH_TIMEOUT = re.compile(
    r"context\.WithTimeout\(\s*[^,]+,\s*(?:[0-9][0-9_.]*\s*\*\s*)?time\.(?:Nanosecond|Microsecond|Millisecond|Second|Minute)\s*\)"
)
_PROBE_NAME = re.compile(r"(?i)health|probe|ready|readiness|live|liveness|alive")
_POOL = re.compile(r"\bsync\.Pool\s*\{")
_CONN = re.compile(r"\bnet\.Dial|\bDialContext\(|\bDialTimeout\(|\bgrpc\.Dial|\btls\.Dial|\bnet\.Conn\b|\bsql\.Open\(")
_ERRORS_IS = re.compile(r"\berrors\.Is\([^,]+,\s*(?:(codes\.\w+)|(status\.\w+)\()")
_ERRORF_W = re.compile(r'\bfmt\.Errorf\(\s*"[^"]*%w')
_GRPC_HINT = re.compile(r"\bstatus\.\w+\(|\bcodes\.\w+|\.Invoke\(|\bgrpc\.")
_HEADER = re.compile(r'\.Header\[\s*"([^"]*)"\s*\]')
_DEFAULT_CLIENT = re.compile(r"\bhttp\.DefaultClient\b|\bhttp\.(?:Get|Post|PostForm|Head)\(")
_UNMARSHAL = re.compile(r"\b(?:json|yaml|xml|toml)\.Unmarshal\([^,]+,\s*&?([A-Za-z_]\w*)")
_SYSREAD = re.compile(r"\b(?:syscall|unix)\.Read\(")
_WATCHER_NAME = re.compile(r"(?i)watch|resolv|build|subscrib")


def canonical_header_key(key: str) -> str:
    """Go's textproto.CanonicalMIMEHeaderKey: keys with spaces or invalid bytes stay as they are."""
    if not key or any(not (c.isascii() and (c.isalnum() or c in "!#$%&'*+-.^_`|~")) for c in key):
        return key
    out, upper = [], True
    for c in key:
        out.append(c.upper() if upper else c.lower())
        upper = c == "-"
    return "".join(out)


def scan_file(gf: GoFile) -> Iterator[PatternMatch]:
    for n, (code, text) in enumerate(zip(gf.code, gf.text, strict=False), start=1):
        if ".KeepAlive(" in code:
            yield from _keepalive(gf, n, code)
        if "WithTimeout" in code and _WITH_TIMEOUT.search(code):
            func = gf.func_at(n)
            if _PROBE_NAME.search(func.name if func else "") or _PROBE_NAME.search(gf.rel.rsplit("/", 1)[-1]):
                yield PatternMatch(
                    gf.rel,
                    n,
                    "hardcoded_probe_timeout",
                    f"constant timeout in {func.name if func else 'probe code'}: make it configurable "
                    "(>= 2 x p99.9) and decide on several failures, not one",
                )
        if "sync.Pool" in code and _POOL.search(code):
            end = gf.span(n)
            if _CONN.search("\n".join(gf.code[n - 1 : end])):
                yield PatternMatch(
                    gf.rel,
                    n,
                    "sync_pool_conn",
                    "sync.Pool caches connections: the GC drops them without Close (fd/CLOSE_WAIT leak); "
                    "use a real pool with Close",
                )
        if "errors.Is" in code and (m := _ERRORS_IS.search(code)):
            if m.group(1):
                message = (
                    f"errors.Is(err, {m.group(1)}) does not compile (codes.Code is not an error): "
                    "use status.Code(err) == codes.X"
                )
            else:
                message = (
                    f"errors.Is(err, {m.group(2)}(...)) matches only a status with the same code AND message "
                    "(*status.Error.Is): use status.Code(err) == codes.X"
                )
            yield PatternMatch(gf.rel, n, "errors_is_grpc_code", message)
        if "Errorf" in text and _ERRORF_W.search(text) and _GRPC_HINT.search(gf.body(gf.func_at(n))):
            yield PatternMatch(
                gf.rel,
                n,
                "wrapped_grpc_status",
                "gRPC error wrapped with %w: code checks upstream may miss codes.Unavailable; "
                "check status.Code before wrapping",
            )
        if ".Header[" in text:
            for m in _HEADER.finditer(text):
                key = m.group(1)
                if canonical_header_key(key) != key:
                    yield PatternMatch(
                        gf.rel,
                        n,
                        "raw_header_lookup",
                        f'Header["{key}"] is not canonical (Go stores "{canonical_header_key(key)}"): '
                        "use Header.Get/Set",
                    )
        if "http." in code and _DEFAULT_CLIENT.search(code):
            yield PatternMatch(
                gf.rel,
                n,
                "default_http_client",
                "http.DefaultClient (no timeout, no breaker/retry): call through the service SDK client",
            )
        if "Unmarshal(" in code and (m := _UNMARSHAL.search(code)) and m.group(1) in gf.package_vars:
            func = gf.func_at(n)
            if ".Lock()" not in gf.body(func, upto=n):
                yield PatternMatch(
                    gf.rel,
                    n,
                    "unlocked_config_unmarshal",
                    f"Unmarshal into package variable {m.group(1)} without holding a lock: "
                    "readers can see half-updated config",
                )
        if ".Read(" in code and _SYSREAD.search(code) and "SetNonblock" not in gf.body(gf.func_at(n)):
            yield PatternMatch(
                gf.rel,
                n,
                "blocking_syscall_read",
                "blocking syscall.Read: context cancellation cannot interrupt it; "
                "use a net.Conn/os.File with SetReadDeadline",
            )


def _keepalive(gf: GoFile, n: int, code: str) -> Iterator[PatternMatch]:
    m = _KEEPALIVE.search(code)
    if not m:
        return
    func = gf.func_at(n)
    where = (func.receiver + " " + func.name) if func else ""
    assign = _KA_ASSIGN.search(code)
    channel = assign.group(1) if assign else None
    loop = gf.innermost(n, "for")
    go = gf.innermost(n, "go")
    if loop is not None and go is not None and go[0] >= loop[0]:
        yield PatternMatch(
            gf.rel,
            n,
            "keepalive_per_watcher",
            "KeepAlive in a goroutine started per loop iteration: several streams on the same lease; "
            "keep one KeepAlive per lease (a LeaseManager)",
        )
    elif loop is not None and not _drained_to_close(gf, n, loop[1], channel):
        yield PatternMatch(
            gf.rel,
            n,
            "keepalive_per_watcher",
            "KeepAlive in a loop whose channel is not drained to its close before the next iteration: "
            "a new stream every iteration; call KeepAlive again only after the channel closed",
        )
    elif _WATCHER_NAME.search(where):
        yield PatternMatch(
            gf.rel,
            n,
            "keepalive_per_watcher",
            f"KeepAlive started per watcher/resolver ({func.name if func else where}): share one lease and one stream",
        )
    if channel is None or channel == "_":
        yield PatternMatch(
            gf.rel,
            n,
            "keepalive_undrained",
            "KeepAlive channel discarded: responses are never drained ('lease keepalive response queue is full')",
        )
    elif func is not None:
        # any later mention counts as a read (it may be passed on), except the `_ = ch` discard
        used = re.compile(rf"\b{re.escape(channel)}\b")
        discard = re.compile(rf"^\s*_\s*=\s*{re.escape(channel)}\s*$")
        if not any(used.search(ln) and not discard.match(ln) for ln in gf.code[n : func.end]):
            yield PatternMatch(
                gf.rel, n, "keepalive_undrained", f"KeepAlive channel {channel} is never read in {func.name}"
            )


def _drained_to_close(gf: GoFile, line: int, loop_end: int, channel: str | None) -> bool:
    """Whether the loop body after ``line`` reads ``channel`` until it closes.

    ``for range ch`` ends only when the channel closes; so does a receive whose ``ok`` result
    is tested. Either way the loop can reach its next KeepAlive only once the stream died.
    """
    if channel is None or channel == "_":
        return False
    ch = re.escape(channel)
    ranged = re.compile(rf"\bfor\b[^{{]*\brange\s+{ch}\b")
    received = re.compile(rf",\s*(\w+)\s*:?=\s*<-\s*{ch}\b")
    body = gf.code[line:loop_end]
    for i, ln in enumerate(body):
        if ranged.search(ln):
            return True
        if (m := received.search(ln)) and re.search(rf"!\s*{m.group(1)}\b", "\n".join(body[i:])):
            return True
    return False


def lease_key(gf: GoFile, line: int) -> str | None:
    """Normalised lease argument of a KeepAlive call (for "several calls per lease")."""
    m = _KEEPALIVE.search(gf.code[line - 1])
    return re.sub(r"\s+", "", m.group(2)) if m else None
