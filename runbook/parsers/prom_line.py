"""The careful, line-by-line half of the exposition parser.

``prom_text`` takes the common sample line with one regex over the whole page; whatever that
regex leaves (comments, label values with escapes, blanks inside label sets, exemplars,
garbage) comes here one line at a time, so the slow path costs only where it is needed and
every malformed line gets a ``line N:`` error.
"""

from __future__ import annotations

import re

from runbook.errors import ParseError
from runbook.parsers.prom_family import Exemplar, MetricFamily, Row, parse_float

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_TYPES = {"counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset", "unknown", "untyped"}
_UNESCAPE = {"\\": "\\", '"': '"', "n": "\n"}


def parse_comment(line: str, lineno: int, om: bool, families: dict[str, MetricFamily]) -> MetricFamily | None:
    """Apply a ``# HELP/TYPE/UNIT`` line; returns the family it names (None for a comment)."""
    parts = line.split(None, 3)
    if len(parts) < 3 or parts[1] not in ("HELP", "TYPE", "UNIT"):
        if om and len(parts) >= 2 and parts[1] == "EOF":
            raise ParseError("content after '# EOF'", line=lineno)
        return None
    kind, name = parts[1], parts[2]
    if not _METRIC_NAME.match(name):
        raise ParseError(f"invalid metric name {name[:60]!r} in {kind}", line=lineno)
    arg = parts[3] if len(parts) > 3 else ""
    fam = families.get(name)
    if fam is None:
        fam = families[name] = MetricFamily(name)
    if kind == "TYPE":
        typ = arg.strip()
        if typ not in _TYPES:
            raise ParseError(f"unknown metric type {typ[:30]!r}", line=lineno)
        typ = "unknown" if typ == "untyped" else typ
        if len(fam) and fam.type != typ:
            raise ParseError(f"TYPE for {name} after its samples", line=lineno)
        fam.type = typ
    elif kind == "HELP":
        fam.help = unescape(arg) if "\\" in arg else arg
    else:
        fam.unit = arg.strip()
    return fam


def parse_sample_line(line: str, lineno: int, om: bool) -> Row:
    """A sample line the fast regex did not take -> (name, labels dict, value text, ts, exemplar)."""
    line = line.strip(" \t")
    labels: dict[str, str] = {}
    end = len(line)
    for stop in "{ \t":
        at = line.find(stop)
        if 0 <= at < end:
            end = at
    # the label set opens where the name ends (possibly after blanks), not in an exemplar
    brace = end + len(line[end:]) - len(line[end:].lstrip(" \t"))
    if brace >= len(line) or line[brace] != "{":
        name, tail = line[:end], line[end:]
    else:
        name = line[:brace].strip()
        labels, close = scan_labels(line, brace + 1, lineno)
        tail = line[close + 1 :]
        if tail and tail[0] not in " \t":
            raise ParseError("expected a blank after the label set", line=lineno)
    if not _METRIC_NAME.match(name):
        raise ParseError(f"invalid metric name {name[:60]!r}", line=lineno)
    exemplar = None
    if "#" in tail:
        if not om:
            raise ParseError("unexpected '#' in sample line", line=lineno)
        tail, exemplar = _exemplar(tail, lineno)
    rest = tail.split()
    if len(rest) not in (1, 2):
        raise ParseError("expected 'name[{labels}] value [timestamp]'", line=lineno)
    parse_float(rest[0], lineno)
    ts = None
    if len(rest) == 2:
        if om:
            ts = parse_float(rest[1], lineno)
        else:
            try:
                ts = int(rest[1]) / 1000.0
            except ValueError:
                raise ParseError(f"invalid timestamp {rest[1][:40]!r} (integer ms)", line=lineno) from None
    return (name, labels, rest[0], ts, exemplar)


def _exemplar(tail: str, lineno: int) -> tuple[str, Exemplar]:
    head, _, ex = tail.partition("#")
    ex = ex.strip()
    if not ex.startswith("{"):
        raise ParseError("exemplar must start with '{'", line=lineno)
    labels, close = scan_labels(ex, 1, lineno)
    rest = ex[close + 1 :].split()
    if len(rest) not in (1, 2):
        raise ParseError("exemplar needs a value and an optional timestamp", line=lineno)
    ts = parse_float(rest[1], lineno) if len(rest) == 2 else None
    return head, Exemplar(labels, parse_float(rest[0], lineno), ts)


def scan_labels(line: str, pos: int, lineno: int) -> tuple[dict[str, str], int]:
    """Scan a label set with escapes from ``pos``; returns the labels and the index of '}'."""
    labels: dict[str, str] = {}
    n = len(line)
    while True:
        while pos < n and line[pos] in " \t":
            pos += 1
        if pos < n and line[pos] == "}":
            return labels, pos
        eq = line.find("=", pos)
        if eq < 0:
            raise ParseError("unterminated label set", line=lineno)
        name = line[pos:eq].strip()
        if not _LABEL_NAME.match(name):
            raise ParseError(f"invalid label name {name[:40]!r}", line=lineno)
        pos = eq + 1
        while pos < n and line[pos] in " \t":
            pos += 1
        if pos >= n or line[pos] != '"':
            raise ParseError(f"label {name} value must be quoted", line=lineno)
        pos += 1
        chunks = []
        while True:
            q = line.find('"', pos)
            b = line.find("\\", pos)
            if q < 0:
                raise ParseError("unterminated label value", line=lineno)
            if 0 <= b < q:
                chunks.append(line[pos:b])
                esc = line[b + 1 : b + 2]
                if esc not in _UNESCAPE:
                    raise ParseError(f"invalid escape '\\{esc}' in label value", line=lineno)
                chunks.append(_UNESCAPE[esc])
                pos = b + 2
                continue
            chunks.append(line[pos:q])
            pos = q + 1
            break
        if name in labels:
            raise ParseError(f"duplicate label name {name!r}", line=lineno)
        labels[name] = "".join(chunks)
        while pos < n and line[pos] in " \t":
            pos += 1
        if pos < n and line[pos] == ",":
            pos += 1
        elif pos >= n or line[pos] != "}":
            raise ParseError("expected ',' or '}' after label value", line=lineno)


def unescape(text: str) -> str:
    """HELP text escapes (``\\\\``, ``\\n``; OpenMetrics adds ``\\"``); others stay verbatim."""
    out = []
    pos = 0
    while True:
        b = text.find("\\", pos)
        if b < 0:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:b])
        esc = text[b + 1 : b + 2]
        out.append(_UNESCAPE.get(esc, "\\" + esc))
        pos = b + 2
