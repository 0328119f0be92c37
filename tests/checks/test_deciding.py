"""The deciding excerpt (#18) as data: redacted like every excerpt, kept by the evidence cap,
stored and read back with its flag; results recorded before it read back unchanged."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from runbook.checks.base import MAX_EVIDENCE, CheckContext, CheckResult, Evidence, Verdict


def _ctx(secrets: tuple[str, ...] = ()) -> CheckContext:
    return CheckContext(deadline=time.monotonic() + 5, max_bytes=1024, secrets=secrets)


def test_a_deciding_excerpt_is_redacted_like_any_other():
    ctx = _ctx(secrets=("hunter2",))
    ctx.record("series", "GET http://u:pw@10.0.0.1/metrics?token=abc hunter2\nle=0.1 3", deciding=True)
    (e,) = ctx.evidence
    assert e.deciding and "hunter2" not in e.text and "pw@" not in e.text and "token=abc" not in e.text
    assert "le=0.1 3" in e.text


def test_the_cap_drops_raw_excerpts_never_the_deciding_one():
    ctx = _ctx()
    ctx.record("request", "GET /first")
    ctx.record("series", "the lines that decided", deciding=True)
    for i in range(MAX_EVIDENCE * 2):
        ctx.record("response", f"raw {i}")
    assert len(ctx.evidence) == MAX_EVIDENCE
    assert ctx.evidence[0].text == "GET /first"
    assert [e.text for e in ctx.evidence if e.deciding] == ["the lines that decided"]
    assert ctx.evidence[-1].text == f"raw {MAX_EVIDENCE * 2 - 1}"


def test_the_flag_is_stored_only_when_set_and_read_back():
    at = datetime(2026, 3, 14, tzinfo=UTC)
    plain, deciding = Evidence(at, "request", "GET /"), Evidence(at, "keys", "k vanished", deciding=True)
    assert "deciding" not in plain.to_dict()  # results stored before #18 read back unchanged
    assert Evidence.from_dict(plain.to_dict()) == plain
    assert Evidence.from_dict(deciding.to_dict()) == deciding
    result = CheckResult("etcd_lease_keepalive", Verdict.FAIL, "s", {}, {}, (plain, deciding), at, 1.0, {})
    again = CheckResult.from_dict(result.to_dict())
    assert again.deciding == (deciding,) and again.evidence == (plain, deciding)


def test_every_check_type_has_a_test_of_its_deciding_excerpt():
    """A new check type comes with a test, against its real server, of what its verdict rests on:
    a ``.deciding`` read after a ``run_check("type", ...)`` in the same test function."""
    import re
    from pathlib import Path

    from runbook.checks.registry import all_checks

    tested: set[str] = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        for func in re.split(r"\n(?=(?:async )?def test_)", path.read_text(encoding="utf-8")):
            if ".deciding" in func:
                tested |= set(re.findall(r'run_check\(\s*"([a-z_]+)"', func))
    assert sorted(set(all_checks()) - tested) == []
