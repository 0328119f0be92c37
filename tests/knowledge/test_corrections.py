"""The knowledge, corrected (issue #13): each correction is in its record's Corrections section,
with its evidence, and the records no longer state what was wrong."""

from __future__ import annotations

import pytest

from runbook.config import shipped_incidents_dir
from runbook.knowledge import load_knowledge

KB, _ = load_knowledge([shipped_incidents_dir()])

#: record id -> phrases its corrections section must hold (the claim and its evidence).
CORRECTIONS = {
    "P0-1": [
        "A leader change does not expire leases",
        "lessor.Promote(extend)",
        "lease/revoke",
        "per-member counters",
        "process_open_fds",
        "HeapReleased",
        "10 s",
    ],
    "P0-2": [
        "toggleForceOpen",
        "flag checked before `hystrix.Do`",
        "Go timers fire on time",
        "5000",
        "Labelled invention",
    ],
    "P0-3": [
        "SetWriteDeadline",
        "zap's `lockedWriteSyncer`",
        "sync.Mutex.Lock",
        "semacquire",
        "duplicate sample for",
        "sample_limit",
        "Labelled invention",
    ],
    "C1": ["`/dev/zero` does not block", "FIFO", "fires on time", "pinning an OS thread"],
    "R1": ["lessor.Promote(extend)", "`prev_kv.lease` is not expiry", "per-member counters", "LeaseManager.Run"],
    "R2": ["10 s hold-down", "3 consecutive successes"],
    "R3": ["net/nss.go", "does not rotate", "RFC 3484/6724", "rule 9"],
    "R5": ["node_exporter's own process", "node_filefd_"],
    "R6": ["synchronized before", "n < m", "check and an act", "5000", "toggleForceOpen"],
    "R7": ["does not compile", 'status.Error(codes.Unavailable, "")', "compares the code and the message"],
    "R8": ["±420", "±827", "at most 100 ms", "`[0, 0.0173, 0.0346, ..., 0.173]`"],
    "R10": ["go tool pprof -goroutine", "sync.Mutex.Lock", "SetWriteDeadline"],
    "R12": ["5 pieces", "splits on `,` into labels", "duplicate sample for", "sample_limit", "30 * time.Second"],
    "G2": ["provincial", "invention"],
}

#: What the records used to say and must not say any more (outside their Corrections).
GONE = {
    "P0-2": ["Force the breaker open", "forced open"],
    "P0-3": ["deadlines did not help", "drop the new labels by relabelling"],
    "R6": ["gives no ordering between two separate critical sections"],
    "R10": ["cannot be pre-empted by context cancellation (see C1)"],
}


def corrections(rid: str) -> str:
    rec = KB.get(rid)
    text = rec.section("Corrections to the source") or rec.section("Corrections")
    assert text, f"{rid} has no Corrections section"
    return text


@pytest.mark.parametrize("rid", sorted(CORRECTIONS))
def test_each_correction_is_in_its_record_with_evidence(rid):
    text = corrections(rid)
    missing = [p for p in CORRECTIONS[rid] if p not in text]
    assert missing == [], f"{rid}: {missing}"


@pytest.mark.parametrize("rid", sorted(GONE))
def test_the_wrong_claims_are_gone_from_the_body(rid):
    rec = KB.get(rid)
    body = "\n".join(s.markdown for s in rec.sections if not s.title.startswith("Corrections"))
    assert [p for p in GONE[rid] if p in body] == []


def test_r10_has_the_seeds_diagnostics_table_without_the_fake_flag():
    table = KB.get("R10").section("Diagnostics")
    assert table and "debug/pprof/goroutine?debug=2" in table and "Sync()" in table
    assert "`-goroutine` flag" in table


def test_inventions_are_labelled_where_they_are_told():
    assert "Invented by this record" in KB.get("P0-3").section("Trigger")
    assert "Invented by this record" in KB.get("P0-2").section("Detection")
