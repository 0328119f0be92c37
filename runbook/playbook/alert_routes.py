"""Alert routes: which playbook (and node) an Alertmanager alert starts, with which variables.

A playbook's front matter may say which alerts it diagnoses (``alerts:``, Alertmanager's own
matcher syntax and semantics, so a team copies matchers from its routing tree unchanged) and
how an alert's labels and annotations become its variables (``alert_variables:``, Jinja2
templates such as ``"http://{{ labels.instance }}/metrics"``).

The templates come from the playbook (reviewed like code); the values come from the alert
(anyone who can push an alert or a label). So templates are rendered in Jinja2's immutable
sandbox with ``StrictUndefined``, label values are data that is never rendered again, and a
rendered value that carries template markup, control characters or a URL whose host was
bent by a label is refused (:class:`AlertValueRefused`) before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from jinja2 import StrictUndefined, TemplateError, UndefinedError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: Alertmanager's operators, longest first so ``=~`` is not read as ``=``.
OPERATORS = ("=~", "!~", "!=", "=")
#: Names a variable template may use: the alert and its notification.
TEMPLATE_NAMES = frozenset(
    {"labels", "annotations", "generator_url", "generator_origin", "external_url", "group_labels", "status"}
)
#: A rendered variable longer than this is refused (no endpoint is that long).
MAX_VALUE_LEN = 2048

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_MATCHER = re.compile(
    r'^\s*(?P<name>[a-zA-Z_][a-zA-Z0-9_]*|"(?:[^"\\]|\\.)*")\s*(?P<op>=~|!~|!=|=)\s*(?P<value>.*?)\s*\Z',
    re.DOTALL,
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.?$"
)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


class MatcherError(ValueError):
    """A matcher that does not parse (the message says how to write it)."""


class AlertValueRefused(ValueError):
    """A label or annotation that would make a variable unsafe: the notification is refused."""


@dataclass(frozen=True)
class AlertMatcher:
    """One Alertmanager matcher: ``name op value``; a missing label matches as the empty string."""

    name: str
    op: str
    value: str

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        # Alertmanager anchors regexes on both ends (``^(?:value)$``).
        return re.compile(f"^(?:{self.value})$") if self.op in ("=~", "!~") else None

    def matches(self, labels: Mapping[str, str]) -> bool:
        have = labels.get(self.name, "")
        if self.op == "=":
            return have == self.value
        if self.op == "!=":
            return have != self.value
        assert self._regex is not None
        found = self._regex.fullmatch(have) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


@dataclass(frozen=True)
class AlertRoute:
    """Alerts whose labels satisfy every matcher start this playbook at ``start``."""

    matchers: tuple[AlertMatcher, ...]
    start: str = ""
    """Node id to start at (empty: the playbook's start node)."""
    line: int = 1

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)


def parse_matcher(text: str) -> AlertMatcher:
    """``alertname="X"``, ``severity=~"crit|page"``, ``env!=prod`` (quotes optional, as in Alertmanager)."""
    m = _MATCHER.match(text)
    if m is None:
        raise MatcherError(
            f"matcher {text!r} does not parse; write name, operator (=, !=, =~, !~) and value, "
            'e.g. alertname="EtcdLeaseExpired"'
        )
    name, op, value = m["name"], m["op"], m["value"]
    if name.startswith('"'):
        name = _unquote(name)
        if not _LABEL_NAME.fullmatch(name):
            raise MatcherError(f"matcher {text!r}: {name!r} is not a label name")
    if value.startswith('"'):
        if len(value) < 2 or not value.endswith('"'):
            raise MatcherError(f"matcher {text!r}: the value's closing quote is missing")
        value = _unquote(value)
    elif '"' in value:
        raise MatcherError(f"matcher {text!r}: quote the whole value or none of it")
    matcher = AlertMatcher(name, op, value)
    if op in ("=~", "!~"):
        try:
            matcher._regex  # noqa: B018 - compile now, so a bad regex is a load-time error
        except re.error as exc:
            raise MatcherError(f"matcher {text!r}: the regex does not compile ({exc})") from None
    return matcher


def _unquote(quoted: str) -> str:
    body = quoted[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i + 1 == len(body):
                raise MatcherError(f"{quoted!r}: the value's closing quote is escaped")
            nxt = body[i + 1]
            out.append("\n" if nxt == "n" else nxt)
            i += 2
            continue
        if c == '"':
            raise MatcherError(f"{quoted!r}: an unescaped quote inside the value")
        out.append(c)
        i += 1
    return "".join(out)


# -- templates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertVariables:
    """``alert_variables``: variable name -> template over the alert."""

    templates: Mapping[str, str] = field(default_factory=dict)
    line: int = 1


def sandbox() -> ImmutableSandboxedEnvironment:
    """The one environment variable templates are compiled and rendered in."""
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


_ENV = sandbox()


def template_problem(template: str) -> str | None:
    """Why ``template`` cannot be used (syntax, names outside :data:`TEMPLATE_NAMES`), else None."""
    try:
        names = meta.find_undeclared_variables(_ENV.parse(template))
    except TemplateError as exc:
        return f"does not parse ({exc})"
    unknown = sorted(names - TEMPLATE_NAMES)
    if unknown:
        return f"uses {', '.join(unknown)}; a template may use only {', '.join(sorted(TEMPLATE_NAMES))}"
    return None


@dataclass(frozen=True)
class RenderedVariables:
    """What an alert gave: the values, and the variables it could not fill (a label missing)."""

    values: dict[str, str]
    missing: dict[str, str]
    """Variable -> why it is not set (e.g. ``'dict object' has no attribute 'instance'``)."""


def render_variables(templates: Mapping[str, str], context: Mapping[str, Any]) -> RenderedVariables:
    """Render each template with the alert; a label or annotation that is absent leaves its
    variable unset (the walk asks for it); an unsafe value raises :class:`AlertValueRefused`."""
    values: dict[str, str] = {}
    missing: dict[str, str] = {}
    for name, template in templates.items():
        try:
            rendered = _ENV.from_string(template).render(**context)
        except UndefinedError as exc:
            missing[name] = str(exc)
            continue
        except TemplateError as exc:  # the sandbox's SecurityError included
            raise AlertValueRefused(f"variable {name}: the template {template!r} failed ({exc})") from None
        problem = value_problem(template, rendered)
        if problem:
            raise AlertValueRefused(f"variable {name} from {template!r}: {problem}")
        if rendered:
            values[name] = rendered
        else:
            missing[name] = "rendered empty"
    return RenderedVariables(values, missing)


def value_problem(template: str, value: str) -> str | None:
    """Why a rendered value is unsafe to use as a variable, or None."""
    if len(value) > MAX_VALUE_LEN:
        return f"the value is {len(value)} characters long (at most {MAX_VALUE_LEN})"
    if _CONTROL.search(value):
        return "the value holds control characters (a newline or similar)"
    if any(mark in value for mark in ("{{", "{%", "{#", "}}", "%}")):
        return "the value holds template markup (a label value must be data, never a template)"
    if _SCHEME.match(template):
        return _url_problem(template, value)
    return None


def _url_problem(template: str, value: str) -> str | None:
    if any(c.isspace() for c in value):
        return "the URL holds whitespace"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return f"not a URL ({exc})"
    del port
    if "@" in parts.netloc and "@" not in urlsplit(template).netloc:
        return "a label put credentials or another host (user@host) into the URL"
    host = parts.hostname or ""
    if not host:
        return "the URL has no host"
    if not (_HOST.fullmatch(host) or _is_ip6(host)):
        return f"the URL's host {host!r} is not a host name or address"
    return None


def _is_ip6(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


# -- front matter -----------------------------------------------------------------------------


def parse_routes(raw: Any, line: int, report: Callable[[int, str], None]) -> tuple[AlertRoute, ...]:
    """The ``alerts:`` front matter key, every problem passed to ``report(line, message)``."""
    if raw in (None, []):
        return ()
    if not isinstance(raw, list):
        report(line, "front matter: 'alerts' must be a list of {matchers: [...], start: node-id}")
        return ()
    routes: list[AlertRoute] = []
    for item in raw:
        if not isinstance(item, dict):
            report(line, f"front matter: alert route {item!r} must be a mapping with 'matchers' (and 'start')")
            continue
        unknown = set(item) - {"matchers", "start"}
        if unknown:
            report(
                line,
                f"front matter: alert route has unknown key(s) {', '.join(sorted(map(str, unknown)))}; allowed: matchers, start",
            )
        texts = item.get("matchers")
        if isinstance(texts, str):
            texts = [texts]
        if not texts or not isinstance(texts, list):
            report(
                line, "front matter: alert route needs 'matchers', e.g. matchers: ['alertname=\"EtcdLeaseExpired\"']"
            )
            continue
        matchers: list[AlertMatcher] = []
        for text in texts:
            try:
                matchers.append(parse_matcher(str(text)))
            except MatcherError as exc:
                report(line, f"front matter: alerts: {exc}")
        if len(matchers) == len(texts):
            routes.append(AlertRoute(tuple(matchers), start=str(item.get("start") or ""), line=line))
    return tuple(routes)


def parse_alert_variables(
    raw: Any, line: int, declared: set[str], report: Callable[[int, str], None]
) -> AlertVariables:
    """The ``alert_variables:`` key: declared variable -> template over the alert."""
    if raw in (None, {}):
        return AlertVariables(line=line)
    if not isinstance(raw, dict):
        report(
            line,
            "front matter: 'alert_variables' must map variable names to templates, e.g. metrics_url: \"http://{{ labels.instance }}/metrics\"",
        )
        return AlertVariables(line=line)
    templates: dict[str, str] = {}
    for name, template in raw.items():
        name = str(name)
        if name not in declared:
            report(
                line, f"front matter: alert_variables: {name!r} is not a declared variable; add it under 'variables'"
            )
            continue
        if not isinstance(template, str):
            report(line, f"front matter: alert_variables: {name}: the template must be a string")
            continue
        problem = template_problem(template)
        if problem:
            report(line, f"front matter: alert_variables: {name}: the template {template!r} {problem}")
            continue
        templates[name] = template
    return AlertVariables(templates, line)
