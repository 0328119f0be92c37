"""Just enough of Go's lexical structure for line-oriented anti-pattern searches.

A Go file is not Markdown and not a regex target as-is: a pattern inside a comment or a
string literal is not code. :func:`load` gives two views of a file with the same line and
column positions: ``code`` (comments and string contents blanked) and ``text`` (comments
blanked, strings kept, for patterns that need the literal, such as header keys or ``%w``).
It also tracks braces to know, for any position, the enclosing top-level function and
whether it sits inside a ``for`` loop or a ``go func`` literal. No type information: the
scan is a list of places to look at, not a proof.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_TOKENS = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|`[^`]*`|\'(?:[^\'\\\n]|\\.)*\'', re.S)
_FUNC = re.compile(r"^func\s*(?:\(([^)]*)\)\s*)?([A-Za-z_]\w*)")
_VAR = re.compile(r"^var\s+([A-Za-z_]\w*)")
_VAR_BLOCK_NAME = re.compile(r"^\s*([A-Za-z_]\w*)\b")


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def strip(src: str) -> tuple[str, str]:
    """(code, text): comments blanked in both; string contents blanked in ``code`` only."""

    def code_sub(m: re.Match[str]) -> str:
        tok: str = m.group(0)
        if tok.startswith("/"):
            return _blank(tok)
        return tok[0] + _blank(tok[1:-1]) + tok[-1] if len(tok) >= 2 else tok

    def text_sub(m: re.Match[str]) -> str:
        tok: str = m.group(0)
        return _blank(tok) if tok.startswith("/") else tok

    return _TOKENS.sub(code_sub, src), _TOKENS.sub(text_sub, src)


@dataclass(frozen=True)
class Func:
    name: str
    receiver: str
    start: int
    """1-based line of the ``func`` keyword."""
    end: int


@dataclass
class GoFile:
    path: Path
    rel: str
    code: list[str]
    text: list[str]
    funcs: list[Func] = field(default_factory=list)
    package_vars: set[str] = field(default_factory=set)
    _blocks: list[tuple[str, int, int]] = field(default_factory=list)
    """(kind, start_line, end_line) for ``for`` and ``go`` blocks."""

    def func_at(self, line: int) -> Func | None:
        for f in self.funcs:
            if f.start <= line <= f.end:
                return f
        return None

    def inside(self, line: int, kind: str) -> bool:
        return any(k == kind and s <= line <= e for k, s, e in self._blocks)

    def innermost(self, line: int, kind: str) -> tuple[int, int] | None:
        """(start, end) of the innermost ``kind`` block holding ``line``, None outside any."""
        spans = [(s, e) for k, s, e in self._blocks if k == kind and s <= line <= e]
        return max(spans, default=None)

    def body(self, func: Func | None, upto: int | None = None) -> str:
        """Code of a function (up to line ``upto`` inclusive), strings blanked."""
        if func is None:
            return ""
        return "\n".join(self.code[func.start - 1 : (upto or func.end)])

    def span(self, start: int) -> int:
        """Line where the brace opened on line ``start`` closes (``start`` if none opens)."""
        depth, opened = 0, False
        for i in range(start - 1, len(self.code)):
            for ch in self.code[i]:
                if ch == "{":
                    depth, opened = depth + 1, True
                elif ch == "}":
                    depth -= 1
                    if opened and depth == 0:
                        return i + 1
        return start


def load(path: Path, rel: str, src: str) -> GoFile:
    code, text = strip(src)
    gf = GoFile(path, rel, code.split("\n"), text.split("\n"))
    stack: list[tuple[str, int, str, str]] = []  # (kind, line, name, receiver)
    in_var_block = False
    for n, line in enumerate(gf.code, start=1):
        depth0 = not stack
        if depth0:
            if in_var_block:
                if line.strip().startswith(")"):
                    in_var_block = False
                elif m := _VAR_BLOCK_NAME.match(line):
                    gf.package_vars.add(m.group(1))
            elif re.match(r"^var\s*\(", line):
                in_var_block = True
            elif m := _VAR.match(line):
                gf.package_vars.add(m.group(1))
        start = 0
        for i, ch in enumerate(line):
            if ch == "{":
                head = line[start:i]
                if not stack and (m := _FUNC.match(line)):
                    stack.append(("func", n, m.group(2), m.group(1) or ""))
                elif re.search(r"\bgo\s+func\b", head):
                    stack.append(("go", n, "", ""))
                elif re.search(r"\bfor\b", head):
                    stack.append(("for", n, "", ""))
                else:
                    stack.append(("block", n, "", ""))
                start = i + 1
            elif ch == "}":
                if stack:
                    kind, s, name, recv = stack.pop()
                    if kind == "func":
                        gf.funcs.append(Func(name, recv, s, n))
                    elif kind in ("for", "go"):
                        gf._blocks.append((kind, s, n))
                start = i + 1
            elif ch == ";":
                start = i + 1
    return gf
