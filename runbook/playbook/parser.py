"""Markdown -> Playbook, from markdown-it-py's token stream.

Parsing is forgiving where it can be and exact about where things are: it collects every
problem it meets as a :class:`PlaybookError` with the line, and still returns the playbook
when the front matter is usable, so one bad node does not hide the rest of the file and the
validator can report everything at once. Anything that goes wrong inside becomes a
PlaybookError; no other exception escapes ``parse_playbook``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it.token import Token

from runbook.errors import PlaybookError
from runbook.playbook.alert_routes import parse_alert_variables, parse_routes
from runbook.playbook.markdown import parser
from runbook.playbook.model import (
    CONCLUSION_KINDS,
    VERDICTS,
    ActionTemplate,
    CheckBlock,
    Choice,
    Node,
    NodeConclusion,
    NodeKind,
    Playbook,
    Variable,
)
from runbook.playbook.yaml_blocks import load_yaml_mapping

ACTION_TYPES = ("mitigate", "prevent")


def is_valid_id(ident: str) -> bool:
    """Lowercase letters, digits and '-', starting with a letter or digit."""
    return bool(ident) and ident[0].isalnum() and all(c.islower() or c.isdigit() or c == "-" for c in ident)


@dataclass
class _NodeDraft:
    id: str
    title: str
    line: int
    start_idx: int  # first source line (0-based) after the heading
    end_idx: int = 0
    choices: list[Choice] = field(default_factory=list)
    checks: list[CheckBlock] = field(default_factory=list)
    conclusion: NodeConclusion | None = None
    excluded: list[tuple[int, int]] = field(default_factory=list)


class _Parse:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = text.splitlines()
        self.errors: list[PlaybookError] = []
        self.playbook_id = ""

    def error(self, line: int, problem: str) -> None:
        self.errors.append(PlaybookError(str(self.path), line, problem))

    # -- front matter -------------------------------------------------------------------------

    def front_matter(self, tokens: list[Token]) -> dict[str, Any] | None:
        if not tokens or tokens[0].type != "front_matter":
            self.error(1, "no front matter; start the file with a '---' YAML block holding id, title and start")
            return None
        data = load_yaml_mapping(tokens[0].content, 2, "front matter", self.error)
        if data is None:
            return None
        for key in ("id", "title", "start"):
            if not data.get(key):
                self.error(self._fm_line(key), f"front matter: '{key}' is missing; add '{key}: ...'")
        ident = str(data.get("id") or "")
        if ident and not is_valid_id(ident):
            self.error(
                self._fm_line("id"), f"front matter: id {ident!r} is not valid; use lowercase letters, digits and '-'"
            )
        return data

    def _fm_line(self, key: str) -> int:
        """Line of ``key:`` in the front matter (for messages), else 1."""
        for i, line in enumerate(self.lines[:200]):
            if line.startswith(f"{key}:"):
                return i + 1
            if i > 0 and line.strip() == "---":
                break
        return 1

    def variables(self, raw: Any) -> tuple[Variable, ...]:
        line = self._fm_line("variables")
        if raw in (None, []):
            return ()
        if not isinstance(raw, list):
            self.error(line, "front matter: 'variables' must be a list of {name, description, example}")
            return ()
        out: list[Variable] = []
        for item in raw:
            if isinstance(item, str):
                item = {"name": item}
            if not isinstance(item, dict) or not item.get("name"):
                self.error(line, f"front matter: variable {item!r} needs a 'name'")
                continue
            name = str(item["name"])
            if not name.isidentifier():
                self.error(
                    line, f"front matter: variable name {name!r} is not an identifier; use letters, digits and '_'"
                )
            example = item.get("example")
            out.append(
                Variable(
                    name=name,
                    description=str(item.get("description") or ""),
                    example=None if example is None else str(example),
                    required=bool(item.get("required", True)),
                    line=line,
                )
            )
        return tuple(out)

    # -- body ---------------------------------------------------------------------------------

    def nodes(self, tokens: list[Token]) -> list[_NodeDraft]:
        drafts: list[_NodeDraft] = []
        current: _NodeDraft | None = None
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            line = tok.map[0] + 1 if tok.map else 0
            if tok.type == "heading_open" and tok.tag == "h2":
                if current is not None:
                    current.end_idx = tok.map[0] if tok.map else current.start_idx
                title = tokens[i + 1].content.strip()
                ident = str(tok.attrs.get("id") or "")
                if not ident:
                    self.error(line, f"heading '{title}' has no node id; end it with {{#some-id}}")
                elif not is_valid_id(ident):
                    self.error(line, f"node id {ident!r} is not valid; use lowercase letters, digits and '-'")
                current = _NodeDraft(id=ident, title=title, line=line, start_idx=tok.map[1] if tok.map else 0)
                drafts.append(current)
                i += 3
                continue
            if current is None:
                i += 1
                continue
            if tok.type == "fence" and tok.info.strip() in ("check", "conclusion"):
                kind = tok.info.strip()
                if kind == "check":
                    block = self.check_block(tok.content, line)
                    if block is not None:
                        current.checks.append(block)
                else:
                    if current.conclusion is not None:
                        self.error(line, f"node '{current.id}' has two conclusion blocks; merge them into one")
                    current.conclusion = self.conclusion_block(tok.content, line)
                if tok.map is not None:
                    current.excluded.append((tok.map[0], tok.map[1]))
            elif tok.type == "bullet_list_open" and tok.level == 0:
                i = self.choice_list(tokens, i, current)
                continue
            i += 1
        if current is not None:
            current.end_idx = len(self.lines)
        return drafts

    def choice_list(self, tokens: list[Token], i: int, node: _NodeDraft) -> int:
        """Read a top-level bullet list; items starting with a node link become choices."""
        depth = 0
        item_start: Token | None = None
        first_inline: Token | None = None
        while i < len(tokens):
            tok = tokens[i]
            if tok.type == "bullet_list_open":
                depth += 1
            elif tok.type == "bullet_list_close":
                depth -= 1
                if depth == 0:
                    return i + 1
            elif tok.type == "list_item_open" and depth == 1:
                item_start, first_inline = tok, None
            elif tok.type == "inline" and first_inline is None and item_start is not None:
                first_inline = tok
            elif tok.type == "list_item_close" and depth == 1 and item_start is not None:
                choice = self.choice(first_inline, item_start.map[0] + 1 if item_start.map else 0)
                if choice is not None:
                    node.choices.append(choice)
                    if item_start.map is not None:
                        node.excluded.append((item_start.map[0], item_start.map[1]))
                item_start = None
            i += 1
        return i

    def choice(self, inline: Token | None, line: int) -> Choice | None:
        if inline is None or not inline.children:
            return None
        children = inline.children
        # allow leading whitespace text before the link
        k = 0
        while k < len(children) and children[k].type == "text" and not children[k].content.strip():
            k += 1
        if k >= len(children) or children[k].type != "link_open":
            return None
        href = str(children[k].attrs.get("href") or "")
        if "://" in href or href.startswith("mailto:") or "#" not in href:
            return None
        title = str(children[k].attrs.get("title") or "")
        label_parts = []
        for child in children[k + 1 :]:
            if child.type == "link_close":
                break
            label_parts.append(child.content)
        label = "".join(label_parts).strip() or href
        playbook_part, _, node_part = href.partition("#")
        if playbook_part.endswith(".md"):
            playbook_part = playbook_part[:-3]
        playbook_part = playbook_part.rsplit("/", 1)[-1]
        return Choice(
            label=label,
            playbook=playbook_part or self.playbook_id,
            node=node_part,
            loop=title.strip().lower() == "loop",
            line=line,
            local=not playbook_part,
        )

    def check_block(self, content: str, line: int) -> CheckBlock | None:
        data = load_yaml_mapping(content, line + 1, "check block", self.error)
        if data is None:
            return None
        unknown = set(data) - {"type", "params", "timeout", "verdicts"}
        if unknown:
            self.error(
                line,
                f"check block: unknown key(s) {', '.join(sorted(map(str, unknown)))}; allowed: type, params, timeout, verdicts",
            )
        check_type = data.get("type")
        if not check_type or not isinstance(check_type, str):
            self.error(line, "check block: 'type' is missing; name a check type from 'runbook checks'")
            return None
        params = data.get("params") or {}
        if not isinstance(params, dict):
            self.error(line, "check block: 'params' must be a mapping of parameter names to values")
            params = {}
        timeout = data.get("timeout")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
            self.error(line, f"check block: timeout {timeout!r} must be a positive number of seconds")
            timeout = None
        verdicts = data.get("verdicts") or {}
        if not isinstance(verdicts, dict):
            self.error(line, "check block: 'verdicts' must map ok/warn/fail/unknown to choice targets")
            verdicts = {}
        clean: dict[str, str] = {}
        for verdict, target in verdicts.items():
            if str(verdict) not in VERDICTS:
                self.error(line, f"check block: {verdict!r} is not a verdict; use ok, warn, fail or unknown")
                continue
            clean[str(verdict)] = str(target).lstrip("#")
        return CheckBlock(
            check_type=check_type,
            params={str(k): v for k, v in params.items()},
            timeout_s=None if timeout is None else float(timeout),
            verdicts=clean,
            line=line,
        )

    def conclusion_block(self, content: str, line: int) -> NodeConclusion | None:
        data = load_yaml_mapping(content, line + 1, "conclusion block", self.error)
        if data is None:
            return None
        kind = str(data.get("kind") or "cause")
        if kind not in CONCLUSION_KINDS:
            self.error(line, f"conclusion block: kind {kind!r} must be one of: {', '.join(CONCLUSION_KINDS)}")
            kind = "cause"
        rules = data.get("rules")
        if isinstance(rules, str):
            rules = [rules]
        escalate = str(data.get("escalate") or "")
        if kind == "unexplained":
            # The exit for what is none of the rules: naming one here would conclude it after all.
            if rules:
                self.error(
                    line,
                    "conclusion block: an unexplained conclusion names no rule; write rules: [] "
                    "(or use kind: cause to conclude a rule)",
                )
                rules = []
            if not escalate:
                self.error(
                    line,
                    "conclusion block: an unexplained conclusion needs 'escalate'; "
                    "name the role that takes the incident next, e.g. escalate: service owner",
                )
        elif not rules or not isinstance(rules, list):
            self.error(line, "conclusion block: 'rules' is missing; name at least one rule id, e.g. rules: [R1]")
            rules = []
        fix = data.get("fix")
        if not fix:
            self.error(line, "conclusion block: 'fix' is missing; say in one paragraph how to fix the cause")
        actions: list[ActionTemplate] = []
        for item in data.get("actions") or []:
            if isinstance(item, str):
                item = {"text": item}
            if not isinstance(item, dict) or not item.get("text"):
                self.error(line, f"conclusion block: action {item!r} needs a 'text'")
                continue
            action_type = str(item.get("type") or "prevent")
            if action_type not in ACTION_TYPES:
                self.error(line, f"conclusion block: action type {action_type!r} must be mitigate or prevent")
            action_rule = str(item.get("rule") or "")
            if action_rule and isinstance(rules, list) and action_rule not in [str(r) for r in rules]:
                self.error(
                    line,
                    f"conclusion block: action rule {action_rule!r} is not one of this conclusion's rules "
                    f"({', '.join(str(r) for r in rules) or 'none'})",
                )
            actions.append(
                ActionTemplate(
                    text=str(item["text"]), type=action_type, owner=str(item.get("owner") or ""), rule=action_rule
                )
            )
        return NodeConclusion(
            rules=tuple(str(r) for r in rules) if isinstance(rules, list) else (),
            fix=str(fix or ""),
            actions=tuple(actions),
            line=line,
            kind=kind,
            escalate=escalate,
        )

    def body(self, draft: _NodeDraft) -> str:
        excluded: set[int] = set()
        for a, b in draft.excluded:
            excluded.update(range(a, b))
        kept = [self.lines[j] for j in range(draft.start_idx, min(draft.end_idx, len(self.lines))) if j not in excluded]
        # an attrs-block line "{#next-id}" right before the next heading belongs to that heading
        while kept and (not kept[-1].strip() or (kept[-1].startswith("{#") and kept[-1].rstrip().endswith("}"))):
            kept.pop()
        while kept and not kept[0].strip():
            kept.pop(0)
        return "\n".join(kept)


def parse_playbook(path: Path | str, text: str | None = None) -> tuple[Playbook | None, list[PlaybookError]]:
    """Parse one playbook file. Returns the playbook (None if unusable) and every problem found."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return None, [PlaybookError(str(path), 1, f"cannot read file: {exc}")]
    state = _Parse(path, text)
    try:
        return _build(state), state.errors
    except Exception as exc:
        state.error(1, f"could not parse this file ({exc.__class__.__name__}: {exc}); please report it")
        return None, state.errors


def _build(state: _Parse) -> Playbook | None:
    tokens = parser().parse(state.text)
    fm = state.front_matter(tokens)
    if fm is None:
        return None
    state.playbook_id = str(fm.get("id") or state.path.stem)
    drafts = state.nodes(tokens)
    nodes: dict[str, Node] = {}
    for d in drafts:
        if not d.id:
            continue
        if d.id in nodes:
            state.error(
                d.line, f"duplicate node id '{d.id}' (first at line {nodes[d.id].line}); give each node its own id"
            )
            continue
        kind = NodeKind.CONCLUSION if d.conclusion else NodeKind.CHECK if d.checks else NodeKind.QUESTION
        nodes[d.id] = Node(
            playbook=state.playbook_id,
            id=d.id,
            title=d.title,
            kind=kind,
            body=state.body(d),
            choices=tuple(d.choices),
            checks=tuple(d.checks),
            conclusion=d.conclusion,
            line=d.line,
        )
    if not drafts:
        state.error(len(state.lines) or 1, "no nodes; add '## Title {#node-id}' headings")
    variables = state.variables(fm.get("variables"))
    routes = parse_routes(fm.get("alerts"), state._fm_line("alerts"), state.error)
    for route in routes:
        if route.start and route.start not in nodes:
            state.error(route.line, f"front matter: alert route starts at '{route.start}', which is not a node here")
    return Playbook(
        id=state.playbook_id,
        title=str(fm.get("title") or state.playbook_id),
        path=state.path,
        start=str(fm.get("start") or ""),
        nodes=nodes,
        summary=str(fm.get("summary") or "").strip(),
        symptoms=_str_tuple(fm.get("symptoms")),
        rules=_str_tuple(fm.get("rules")),
        variables=variables,
        line=1,
        alerts=routes,
        alert_variables=parse_alert_variables(
            fm.get("alert_variables"), state._fm_line("alert_variables"), {v.name for v in variables}, state.error
        ),
    )


def _str_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)
