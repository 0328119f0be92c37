"""Go goroutine dumps from ``/debug/pprof/goroutine`` (``?debug=2`` and ``?debug=1``).

A service stuck behind a blocked log writer shows thousands of goroutines with the same stack,
waiting for minutes. Reading that by eye is hopeless, so goroutines are grouped the way
panicparse does: the key is (state, function names), arguments ignored, so 5,000 copies of
one stuck call become one group with a count and the longest wait. The parser is line
oriented (``str`` methods only) because a pile-up dump is tens of megabytes. Malformed input
raises :class:`~runbook.errors.ParseError` with the line number.

``debug=2``: blocks separated by blank lines, each
``goroutine <id> [<state>[ (scan)][, <n> minutes][, locked to thread]]:`` followed by
``func(args)`` / ``\\tfile:line +0x..`` pairs and ``created by <func>[ in goroutine N]``.
``debug=1``: ``goroutine profile: total N`` then ``K @ 0x..`` groups of ``#\\t0xpc\\tfunc+0xoff\\tfile:line``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runbook.errors import ParseError


@dataclass
class GoroutineGroup:
    """Goroutines with the same state and the same function list."""

    state: str
    """Wait reason without the minutes, e.g. ``semacquire``, ``chan receive``; ``""`` in debug=1."""
    functions: tuple[str, ...]
    """Innermost first, e.g. ``("sync.runtime_SemacquireMutex", ...)``."""
    count: int = 0
    max_minutes: int = 0
    min_minutes: int | None = None
    """None in debug=1 dumps (no wait times there)."""
    created_by: str = ""
    locations: tuple[str, ...] = ()
    """``file:line`` of each frame of the first goroutine seen."""
    ids: list[int] = field(default_factory=list)
    """Goroutine IDs (first 20 kept)."""


@dataclass(frozen=True)
class GoroutineDump:
    total: int
    """Goroutines in the dump (the header's total for debug=1)."""
    groups: tuple[GoroutineGroup, ...]
    """Largest first."""
    debug: int
    """2 for full dumps, 1 for the aggregated profile."""


def parse_dump(text: str) -> GoroutineDump:
    """Parse either format (debug=1 is recognised by its ``goroutine profile:`` header)."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    stripped = text.lstrip()
    if stripped.startswith("goroutine profile:"):
        return _parse_debug1(text)
    return _parse_debug2(text)


def function_name(call: str) -> str:
    """``pkg.(*T).M(0xc0, {0x1, 0x2})`` -> ``pkg.(*T).M``: everything before the last '('."""
    head, paren, _ = call.rpartition("(")
    return head if paren and head else call


def parse_state(bracket: str) -> tuple[str, int]:
    """``semacquire, 2 minutes, locked to thread`` -> (``semacquire``, 2)."""
    parts = bracket.split(", ")
    state = parts[0]
    state = state.removesuffix(" (scan)")
    minutes = 0
    for p in parts[1:]:
        if p.endswith(" minutes"):
            n = p[:-8]
            if n.isdigit():
                minutes = int(n)
    return state, minutes


def _parse_debug2(text: str) -> GoroutineDump:
    groups: dict[tuple[str, tuple[str, ...]], GoroutineGroup] = {}
    total = 0
    lineno = 1
    for block in text.split("\n\n"):
        first_line = lineno
        lineno += block.count("\n") + 2
        if not block.strip():
            continue
        lines = block.strip("\n").split("\n")
        header = lines[0]
        if not header.startswith("goroutine ") or not header.endswith("]:"):
            raise ParseError(f"expected 'goroutine N [state]:', got {header[:80]!r}", line=first_line)
        open_at = header.find(" [")
        gid = header[10:open_at].split(" ", 1)[0] if open_at > 0 else ""
        if not gid.isdigit():
            raise ParseError(f"bad goroutine header {header[:80]!r}", line=first_line)
        state, minutes = parse_state(header[open_at + 2 : -2])
        functions: list[str] = []
        created_by = ""
        for line in lines[1:]:
            if not line or line[0] == "\t":
                continue  # file:line, read below only for a group's first goroutine
            if line[0] == "c" and line.startswith("created by "):
                created_by = line[11:].split(" in goroutine ", 1)[0]
            elif line[0] == "." and line.startswith("..."):
                continue  # "...additional frames elided..."
            else:
                cut = line.rfind("(")
                functions.append(line[:cut] if cut > 0 else line)
        if not functions and state not in ("running", "runnable", "dead", "idle"):
            raise ParseError(f"goroutine {gid} has no frames", line=first_line)
        key = (state, tuple(functions))
        group = groups.get(key)
        if group is None:
            locations = tuple(x[1:].rsplit(" +0x", 1)[0] for x in lines[1:] if x[:1] == "\t")
            group = groups[key] = GoroutineGroup(
                state, key[1], created_by=created_by, locations=locations, min_minutes=minutes
            )
        group.count += 1
        group.max_minutes = max(group.max_minutes, minutes)
        if group.min_minutes is not None and minutes < group.min_minutes:
            group.min_minutes = minutes
        if len(group.ids) < 20:
            group.ids.append(int(gid))
        total += 1
    ordered = sorted(groups.values(), key=lambda g: -g.count)
    return GoroutineDump(total, tuple(ordered), 2)


def _parse_debug1(text: str) -> GoroutineDump:
    lines = text.strip().split("\n")
    head = lines[0].strip()
    try:
        total = int(head.rsplit(" ", 1)[1])
    except (IndexError, ValueError):
        raise ParseError(f"bad profile header {head[:80]!r}", line=1) from None
    groups: dict[tuple[str, tuple[str, ...]], GoroutineGroup] = {}
    count: int | None = None
    functions: list[str] = []
    locations: list[str] = []

    def flush() -> None:
        if count is None:
            return
        key = ("", tuple(functions))
        group = groups.get(key)
        if group is None:
            group = groups[key] = GoroutineGroup("", key[1], locations=tuple(locations), min_minutes=None)
        group.count += count

    for i, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        if line[0] == "#":
            fields = line.split("\t")
            if len(fields) >= 3 and fields[1].startswith("0x"):
                fn, plus, _ = fields[2].rpartition("+0x")
                functions.append(fn if plus else fields[2])
                if len(fields) >= 4:
                    locations.append(fields[3].strip())
            elif not line.startswith("# labels:") and count is None:
                raise ParseError(f"frame line outside a group: {line[:80]!r}", line=i)
            continue
        k, at, _ = line.partition(" @ ")
        if not at or not k.isdigit():
            raise ParseError(f"expected 'N @ 0x...', got {line[:80]!r}", line=i)
        flush()
        count, functions, locations = int(k), [], []
    flush()
    ordered = sorted(groups.values(), key=lambda g: -g.count)
    return GoroutineDump(total, tuple(ordered), 1)
