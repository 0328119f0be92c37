"""Start lab processes detached from the CLI, wait until they answer, and stop them for sure.

Each process gets its own session (so its whole group can be signalled and a Ctrl-C in the
terminal that ran ``lab up`` does not reach it) and a log file in the lab directory. Stopping
is SIGTERM to the group, then SIGKILL after a grace period; a pid is only signalled while its
start time still matches the record, so a recycled pid is never hit.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil

from runbook.drill.lab.state import LabError, ProcessRecord

#: Lab ports are drawn from below Linux's default ephemeral range (32768-60999). A port the
#: kernel hands out for an outgoing connection or a bind to port 0 (any test server) comes from
#: that range, so a lab port picked there could be taken between the pick and the lab process's
#: own bind (seen: the consul stub's "Address already in use").
LAB_PORTS = range(20000, 32768)
_handed_out: set[int] = set()


def free_port() -> int:
    """A port free for TCP and UDP on 127.0.0.1 right now (DNS needs both), outside the
    kernel's ephemeral range and not handed out before by this process."""
    rng = random.Random()
    for _ in range(200):
        port = rng.choice(LAB_PORTS)
        if port in _handed_out:
            continue
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
        except OSError:
            continue
        _handed_out.add(port)
        return port
    raise LabError("no free port on 127.0.0.1")


def tcp_ready(port: int) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    return ready


def file_ready(path: Path) -> Callable[[], bool]:
    return path.exists


def spawn(
    name: str, argv: Sequence[str], *, directory: Path, ports: dict[str, int], env: dict[str, str] | None = None
) -> ProcessRecord:
    log = directory / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=directory,
            env={**os.environ, **(env or {})},
            start_new_session=True,
            close_fds=True,
        )
    try:
        created = psutil.Process(proc.pid).create_time()
    except psutil.Error:
        created = 0.0
    return ProcessRecord(
        name=name, pid=proc.pid, create_time=created, argv=tuple(argv), ports=dict(ports), log=str(log)
    )


def wait_ready(record: ProcessRecord, ready: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_alive(record):
            raise LabError(f"lab service {record.name} exited during start-up: {tail(record.log)}")
        try:
            if ready():
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise LabError(f"lab service {record.name} not ready within {timeout_s:g}s: {tail(record.log)}")


def tail(log: str, n: int = 600) -> str:
    try:
        text = Path(log).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return text[-n:].strip() or "(empty log)"


def _process(record: ProcessRecord) -> psutil.Process | None:
    try:
        proc = psutil.Process(record.pid)
        if record.create_time and abs(proc.create_time() - record.create_time) > 0.5:
            return None  # the pid was recycled: not ours
        if proc.status() == psutil.STATUS_ZOMBIE:
            _reap(record.pid)
            return None
        return proc
    except psutil.Error:
        return None


def is_alive(record: ProcessRecord) -> bool:
    return _process(record) is not None


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # not our child: init reaps it
        os.waitpid(pid, os.WNOHANG)


def stop(records: Sequence[ProcessRecord], grace_s: float = 5.0) -> list[str]:
    """Stop every process (and its group); return the names of any that survived SIGKILL."""
    live = [(r, p) for r in records if (p := _process(r)) is not None]
    for record, _ in live:
        _signal_group(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(is_alive(r) for r, _ in live):
        time.sleep(0.05)
    for record, _ in live:
        if is_alive(record):
            _signal_group(record.pid, signal.SIGKILL)
    time.sleep(0.05)
    survivors = []
    for record, _ in live:
        for _ in range(40):
            if not is_alive(record):
                break
            time.sleep(0.05)
        else:
            survivors.append(record.name)
    return survivors


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # the process leads its own session, so its pgid is its pid
    except ProcessLookupError:
        pass
    except PermissionError:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)
