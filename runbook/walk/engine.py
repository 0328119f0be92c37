"""The walk engine: one incident's path through the playbooks, recorded as it happens.

Every mutation (enter a node, start a check, store its result, take a choice, undo, reach a
conclusion) is written through ``runbook.record`` before the observer hears of it, and the
engine's state is then rebuilt from the record (``_reload``). So the state a live walk shows
and the state ``resume(incident_id)`` rebuilds after a crash are, by construction, the same.

The engine has no UI. Its faces (the TUI, ``runbook walk``, the drills) pass in an observer, a
check runner (``run_check``'s signature: a drill plugs in a replay runner) and a clock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from runbook.checks.base import CheckResult
from runbook.checks.redact import redact_mapping, secret_values, split_secrets
from runbook.checks.registry import get_check
from runbook.errors import NotFoundError, RunbookError
from runbook.playbook.library import Library
from runbook.playbook.model import CheckBlock, Node, NodeKind
from runbook.record import repo
from runbook.record.incidents import open_incident
from runbook.record.models import EventKind, utcnow
from runbook.record.similar import SimilarIncident, similar_incidents
from runbook.walk import snapshot
from runbook.walk.observer import NullWalkObserver, WalkObserver
from runbook.walk.relay import CheckRelay, not_run
from runbook.walk.state import (
    BlockResult,
    NeededVariable,
    ReachedConclusion,
    Suggestion,
    TakenChoice,
    WalkStep,
    split_ref,
)
from runbook.walk.suggest import suggest, verdict_target
from runbook.walk.variables import (
    missing_variables,
    prepare_params,
    present,
    runnable_blocks,
)

#: ``run_check``'s signature: (check_type, params, *, timeout_s, observer, key) -> CheckResult.
CheckRunner = Callable[..., Awaitable[CheckResult]]
Clock = Callable[[], datetime]

#: Namespace of the uids under which a check run's results are stored (uuid5 of run/block).
_RESULT_NS = uuid.UUID("6c0b0d1e-5a7b-4c55-9a51-2f3f0e7d9a10")


class WalkError(RunbookError):
    """A walk operation that cannot be done in the current state (no incident, not a choice...)."""

    title = "Walk"


class WalkEngine:
    """Holds and records one incident's walk. Not thread-safe: use it from one event loop."""

    def __init__(
        self,
        library: Library,
        session: Session,
        *,
        runner: CheckRunner | None = None,
        observer: WalkObserver | None = None,
        clock: Clock | None = None,
        author: str | None = None,
        knowledge: Any = None,
        triage: str = "triage",
    ) -> None:
        from runbook.checks.runner import run_check

        self.library = library
        self.session = session
        self.runner: CheckRunner = runner or run_check
        self.observer: WalkObserver = observer or NullWalkObserver()
        self.clock: Clock = clock or utcnow
        self.author = author
        self.knowledge = knowledge
        """The knowledge base (``Content.knowledge``), for similar-incident links."""
        self.triage = triage
        """Id of the playbook ``continue_from_triage`` goes back to."""
        self.incident_id: int | None = None
        self._variables: dict[str, Any] = {}
        self._secrets: dict[str, Any] = {}
        """Secret variables (tokens, URLs with credentials): used, never written to the record."""
        self._steps: list[WalkStep] = []
        self._current: WalkStep | None = None
        self._results: dict[int, BlockResult] = {}
        self._suggestion: Suggestion | None = None
        self._conclusions: list[ReachedConclusion] = []

    # -- opening ---------------------------------------------------------------------------

    def create_incident(
        self,
        title: str,
        *,
        variables: Mapping[str, Any] | None = None,
        severity: str = "P2",
        service: str = "",
        is_drill: bool = False,
    ) -> int:
        """Open a new incident (``record.incidents.open_incident``: secrets split off) and bind to it."""
        opened = open_incident(
            session=self.session,
            title=title,
            severity=severity,
            service=service,
            variables=variables,
            is_drill=is_drill,
            author=self.author,
        )
        return self.bind(opened.id, secrets=opened.secrets)

    def bind(self, incident_id: int, *, secrets: Mapping[str, Any] | None = None) -> int:
        """Bind to an incident just opened (or resumed) with the secrets this process holds for it."""
        self.resume(incident_id)
        self._secrets = dict(secrets or {})
        return incident_id

    def start(self, playbook_id: str) -> Node:
        """Enter ``playbook_id``'s start node (a jump when the walk is already somewhere)."""
        playbook = self.library.get(playbook_id)
        return self.enter(f"{playbook.id}#{playbook.start}")

    def resume(self, incident_id: int | str) -> Node | None:
        """Bind to an existing incident and rebuild its walk from the record (None: not started)."""
        iid = repo.get_incident(incident_id, session=self.session).id
        if iid != self.incident_id:
            self._secrets = {}  # another incident's secrets must not leak into this one
        self.incident_id = iid
        self._reload()
        return self.node

    def refresh(self) -> Node | None:
        """Re-read the walk from the record (another responder may have moved it)."""
        self._reload()
        return self.node

    # -- state -----------------------------------------------------------------------------

    @property
    def node(self) -> Node | None:
        """The node the walk is at (None before ``start``)."""
        return self.library.node(self._current.ref) if self._current else None

    @property
    def ref(self) -> str | None:
        return self._current.ref if self._current else None

    @property
    def current_step(self) -> WalkStep | None:
        return self._current

    @property
    def path(self) -> tuple[WalkStep, ...]:
        """Every step in order, undone ones included (flagged)."""
        return tuple(self._steps)

    @property
    def active_path(self) -> tuple[WalkStep, ...]:
        """The path as it stands: steps not undone."""
        return tuple(s for s in self._steps if not s.undone)

    @property
    def variables(self) -> dict[str, Any]:
        """The incident's variables (secret ones included while this engine holds them)."""
        return {**self._variables, **self._secrets}

    @property
    def results(self) -> tuple[BlockResult, ...]:
        """The latest result of each check block of the current node (blocks not run are absent)."""
        return tuple(self._results[i] for i in sorted(self._results))

    def node_at(self, ref: str) -> Node | None:
        """The library node for ``ref`` (None when the playbook no longer has it)."""
        return self._node_or_none(ref)

    def results_at(self, step: WalkStep) -> tuple[BlockResult, ...]:
        """The latest block results of any step (for printing the whole path)."""
        node = self._node_or_none(step.ref)
        if node is None:
            return ()
        found = snapshot.block_results(self.session, self._require_incident(), step.step_id, node)
        return tuple(r for _, r in sorted(found.items()))

    @property
    def suggestion(self) -> Suggestion | None:
        return self._suggestion

    @property
    def needs_checks(self) -> bool:
        """The current node has check blocks without a result yet."""
        node = self.node
        return bool(node and node.checks and len(self._results) < len(node.checks))

    @property
    def conclusions(self) -> tuple[ReachedConclusion, ...]:
        """Conclusions reached (undone ones excluded), in order."""
        return tuple(self._conclusions)

    @property
    def at_conclusion(self) -> bool:
        node = self.node
        return bool(node and node.kind == NodeKind.CONCLUSION)

    def missing_variables(self, node: Node | None = None) -> list[NeededVariable]:
        """Variables the node's checks need that the incident lacks (ask before running)."""
        node = node or self.node
        return missing_variables(self.library, node, self.variables) if node else []

    def set_variables(self, values: Mapping[str, Any]) -> None:
        """Merge variables into the incident. Secret ones (secret-looking names, URLs with
        credentials) are held in memory only: after a resume they are asked for again."""
        iid = self._require_incident()
        stored, secret = split_secrets({k: v for k, v in values.items() if present(values, k)})
        self._secrets.update(secret)
        for name in stored:
            self._secrets.pop(name, None)
        merged = {**{k: v for k, v in self._variables.items() if k not in secret}, **stored}
        if merged == self._variables:
            return
        repo.update_incident(iid, session=self.session, variables=merged)
        changed = sorted(k for k in merged if self._variables.get(k) != merged[k])
        repo.add_event(
            iid,
            EventKind.NOTE.value,
            session=self.session,
            author=self.author,
            summary=f"variables set: {', '.join(changed)}",
            at=self.clock(),
            payload={"variables": redact_mapping({k: merged[k] for k in changed})},
        )
        self._variables = merged

    # -- moving ----------------------------------------------------------------------------

    def enter(self, ref: str, *, automatic: bool = False, label: str | None = None) -> Node:
        """Go to any node ``playbook#node`` (a jump: recorded as the branch taken out of the current node)."""
        self._require_incident()
        node = self._node(ref)
        if self._current is not None:
            self._record_choice(label or f"jump to {node.ref}", node.ref, automatic)
        return self._enter(node, automatic)

    def choose(self, target: str, *, automatic: bool = False) -> Node:
        """Take one of the current node's choices: ``node``, ``playbook#node``, or 1-based index."""
        node = self._require_node()
        choice = node.choice_for(target)
        if choice is None and target.isdigit() and 1 <= int(target) <= len(node.choices):
            choice = node.choices[int(target) - 1]
        if choice is None:
            options = ", ".join(f"{i}={c.ref}" for i, c in enumerate(node.choices, 1)) or "none (a conclusion)"
            raise WalkError(f"{target!r} is not a choice of {node.ref}; choices: {options}")
        self._record_choice(choice.label, choice.ref, automatic)
        return self._enter(self._node(choice.ref), automatic)

    def undo(self) -> Node:
        """Step back: the current step stays in the record, flagged undone; the previous node is current."""
        self._require_incident()
        active = self.active_path
        if len(active) < 2:
            raise WalkError("nothing to undo: the walk is at its first node")
        undone = self._require_step()
        repo.mark_step_undone(undone.step_id, session=self.session, author=self.author, at=self.clock())
        self._reload()
        self.observer.step_undone(next(s for s in self._steps if s.step_id == undone.step_id))
        return self._require_node()

    def continue_from_triage(self) -> Node:
        """After a conclusion, go back to triage to look for a further root cause."""
        if not self.at_conclusion:
            raise WalkError("continue from triage is offered after a conclusion")
        playbook = self.library.get(self.triage)
        ref = f"{playbook.id}#{playbook.start}"
        self._record_choice("continue from triage", ref, False)
        return self._enter(self._node(ref), False)

    # -- checks ----------------------------------------------------------------------------

    async def run_checks(self, *, automatic: bool = False) -> tuple[BlockResult, ...]:
        """Run every check block of the current node concurrently; record each result as it lands.

        Variables are filled in and validated first: ``MissingVariables`` or ``InvalidParams``
        is raised before any network call. A block whose missing variables are all optional
        is not run: it is recorded as ``unknown`` ("not run: variable(s) not given: ...").
        """
        node = self._require_node()
        if not node.checks:
            raise WalkError(f"{node.ref} has no checks to run")
        variables = self.variables
        run_idx, skipped = runnable_blocks(self.library, node, variables)
        params = {i: prepare_params(node.checks[i], variables) for i in run_idx}
        iid = self._require_incident()
        step = self._require_step()
        run = uuid.uuid4().hex
        plan: list[tuple[int, CheckBlock, dict[str, Any], str, str]] = []
        for i, block in enumerate(node.checks):
            key = f"{node.ref}#{i}"
            result_uid = str(uuid.uuid5(_RESULT_NS, f"{run}/{i}"))
            p = params.get(i, {})
            secrets = secret_values(p, get_check(block.check_type).secret_params)
            repo.add_event(
                iid,
                EventKind.CHECK_STARTED.value,
                session=self.session,
                author=self.author,
                summary=f"{block.check_type} " + ("started" if i in params else "skipped"),
                automatic=automatic,
                step_id=step.step_id,
                at=self.clock(),
                payload={
                    "block": i,
                    "key": key,
                    "check_type": block.check_type,
                    "params": redact_mapping(p, secrets),
                    "timeout_s": block.timeout_s,
                    "result_uid": result_uid,
                    "run": run,
                    "skipped": skipped.get(i, []),
                },
            )
            if i in params:
                plan.append((i, block, p, key, result_uid))
            else:
                self._store_result(node, i, not_run(block, skipped[i], self.clock()), result_uid, automatic)
        relay = CheckRelay(self.observer)

        async def one(i: int, block: CheckBlock, p: dict[str, Any], key: str, result_uid: str) -> None:
            try:
                result = await self.runner(block.check_type, p, timeout_s=block.timeout_s, observer=relay, key=key)
            except asyncio.CancelledError:
                repo.add_event(
                    iid,
                    EventKind.NOTE.value,
                    session=self.session,
                    author=self.author,
                    summary=f"{block.check_type} cancelled before a verdict",
                    step_id=step.step_id,
                    payload={"block": i, "key": key, "run": run},
                )
                if key in relay.cancelled:
                    self.observer.check_finished(key, relay.cancelled[key])
                raise
            self._store_result(node, i, result, result_uid, automatic)

        try:
            async with asyncio.TaskGroup() as group:
                for item in plan:
                    group.create_task(one(*item))
        except* RunbookError as eg:
            raise eg.exceptions[0] from None
        finally:
            # Cancelled (the UI's stop button) or failed: the state is what the record holds,
            # results that landed included; blocks cut short have none and run again.
            self._reload()
        self.observer.choice_suggested(self._suggestion)
        return self.results

    def _store_result(self, node: Node, i: int, result: CheckResult, uid: str, automatic: bool) -> None:
        repo.add_check_result(
            self._require_incident(),
            result,
            session=self.session,
            step_id=self._require_step().step_id,
            playbook_id=node.playbook,
            node_id=node.id,
            automatic=automatic,
            author=self.author,
            uid=uid,
        )
        self._results[i] = BlockResult(node.ref, i, result, verdict_target(node, node.checks[i], result.verdict))
        self.observer.check_finished(f"{node.ref}#{i}", result)

    # -- similar incidents -------------------------------------------------------------------

    def similar(self, ref: str | None = None) -> list[SimilarIncident]:
        """Earlier incidents and knowledge-base records related to a node (default: the current one)."""
        ref = ref or self.ref
        if ref is None:
            return []
        node = self._node(ref)
        drill = self.incident_id is not None and repo.get_incident(self.incident_id, session=self.session).is_drill
        return similar_incidents(
            session=self.session,
            rules=node.conclusion.rules if node.conclusion else (),
            nodes=[(node.playbook, node.id)],
            knowledge=self.knowledge.incidents.values() if self.knowledge is not None else (),
            exclude=self.incident_id,
            drill=drill,
        )

    # -- internals -------------------------------------------------------------------------

    def _record_choice(self, label: str, target: str, automatic: bool) -> None:
        step = self._current
        if step is None:
            return
        repo.record_choice(
            step.step_id,
            label,
            session=self.session,
            next_node_id=target,
            automatic=automatic,
            author=self.author,
            at=self.clock(),
        )
        left = dataclasses.replace(step, choice=label, next_ref=target, automatic=step.automatic or automatic)
        taken = TakenChoice(step=left, label=label, target=target, automatic=automatic)
        self.observer.choice_taken(taken)

    def _enter(self, node: Node, automatic: bool) -> Node:
        step = repo.add_step(
            self._require_incident(),
            node.playbook,
            node.id,
            session=self.session,
            automatic=automatic,
            author=self.author,
            at=self.clock(),
            summary=f"{node.playbook} / {node.title}",
        )
        self._reload(recover=False)
        self.observer.node_entered(self._require_step(), node)
        if node.kind == NodeKind.CONCLUSION:
            assert step.id is not None  # a stored row has its id
            self._conclude(node, step.id, automatic)
        return node

    def _conclude(self, node: Node, step_id: int, automatic: bool) -> None:
        c = node.conclusion
        if c is None:
            raise WalkError(f"{node.ref} has no conclusion block")
        repo.add_conclusion(
            self._require_incident(),
            session=self.session,
            rule_ids=c.rules,
            title=node.title,
            step_id=step_id,
            playbook_id=node.playbook,
            node_id=node.id,
            automatic=automatic,
            author=self.author,
            uid=str(uuid.uuid5(_RESULT_NS, f"conclusion/{step_id}")),
        )
        self._reload(recover=False)
        reached = next((r for r in self._conclusions if r.step_id == step_id), None)
        if reached is not None:
            self.observer.conclusion_reached(reached)

    def _reload(self, *, recover: bool = True) -> None:
        """Rebuild the whole state from the record (what ``resume`` relies on)."""
        iid = self._require_incident()
        try:
            self._read_state(iid, recover)
        finally:
            # End the read transaction: a held snapshot would hide other writers' moves from
            # the next read (and keep SQLite from checkpointing its WAL).
            if self.session.in_transaction():
                self.session.commit()

    def _read_state(self, iid: int, recover: bool) -> None:
        if self.session.in_transaction():
            self.session.commit()
        self._variables = dict(repo.get_incident(iid, session=self.session).variables or {})
        rows = repo.steps(iid, session=self.session, include_undone=True)
        active = [r for r in rows if not r.undone]
        current = active[-1] if active else None
        move = snapshot.pending_move(rows, current) if recover else None
        if move is not None and current is not None and self._node_or_none(move) is not None:
            self._enter(self._node(move), current.automatic)  # killed between choice and entry: finish it
            return
        self._steps = [snapshot.step_view(r, current=(r is current)) for r in rows]
        self._current = next((s for s in self._steps if current is not None and s.step_id == current.id), None)
        self._results, self._suggestion = {}, None
        step = self._current
        node = self._node_or_none(step.ref) if step else None
        if step is not None and node is not None and node.checks:
            self._results = snapshot.block_results(self.session, iid, step.step_id, node)
            self._suggestion = suggest(node, self.results)
        self._conclusions = snapshot.reached_conclusions(self.session, self.library, iid, self._steps)
        if (
            recover
            and step is not None
            and node is not None
            and node.kind == NodeKind.CONCLUSION
            and not any(c.step_id == step.step_id for c in self._conclusions)
        ):
            self._conclude(node, step.step_id, step.automatic)  # killed before recording it

    def _node(self, ref: str) -> Node:
        if "#" not in ref and self._current is not None:
            ref = f"{self._current.playbook_id}#{ref}"
        return self.library.node(ref)

    def _node_or_none(self, ref: str) -> Node | None:
        try:
            return self._node(ref)
        except NotFoundError:
            return None

    def _require_incident(self) -> int:
        if self.incident_id is None:
            raise WalkError("no incident: call create_incident() or resume() first")
        return self.incident_id

    def _require_step(self) -> WalkStep:
        if self._current is None:
            raise WalkError("the walk has not started: call start(playbook_id)")
        return self._current

    def _require_node(self) -> Node:
        self._require_incident()
        step = self._require_step()
        node = self._node_or_none(step.ref)
        if node is None:
            raise NotFoundError(f"the walk is at {step.ref}, which no loaded playbook has any more")
        return node


__all__ = ["CheckRunner", "Clock", "WalkEngine", "WalkError", "split_ref"]
