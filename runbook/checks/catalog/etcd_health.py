"""etcd_health: is etcd itself healthy, before its clients are blamed?

Registration flaps, vanished keys and failed puts look like client bugs (R1, R4) when etcd
itself is the problem: no leader (every write and lease renewal stalls), a NOSPACE alarm (the
backend hit its quota: etcd refuses every write, lease grants included, until an operator
compacts, defragments and disarms) or a CORRUPT alarm. This check asks one member through the
JSON gateway: ``/v3/maintenance/status`` (leader, dbSize, dbSizeInUse, errors) and
``/v3/maintenance/alarm`` with action GET, and compares the database size with the backend
quota (``quota_bytes``; else etcd's own ``etcd_server_quota_backend_bytes`` gauge; else etcd's
default of 2 GiB).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.catalog._etcd_gateway import metrics_page, post_json
from runbook.checks.registry import register_check
from runbook.parsers.prom_select import select_sum

#: etcd's default backend quota (``--quota-backend-bytes`` 0 means this).
DEFAULT_QUOTA_BYTES = 2 * 1024**3


class EtcdHealthParams(CheckParams):
    etcd_url: str = Field(description="Client URL of one etcd member, e.g. http://127.0.0.1:2379")
    quota_bytes: int | None = Field(
        None, gt=0, description="The backend quota (--quota-backend-bytes); default: etcd's gauge, else 2 GiB"
    )
    warn_db_ratio: float = Field(0.8, gt=0, le=1, description="warn when dbSize reaches this share of the quota")
    fail_db_ratio: float = Field(0.95, gt=0, le=1, description="fail when dbSize reaches this share of the quota")


def _int(data: dict[str, Any], key: str) -> int | None:
    """int64 fields come as decimal strings from the gateway; absent means zero or unknown."""
    value = data.get(key)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        raise MeasureError(f"etcd status: {key} is not a number: {value!r}") from None


def _quota_gauge(page: str | None) -> int | None:
    value = select_sum(page, "etcd_server_quota_backend_bytes") if page else None
    return int(value) if value is not None and value > 0 else None


@register_check
class EtcdHealth(Check[EtcdHealthParams]):
    name = "etcd_health"
    title = "etcd's own health: leader, alarms, database size vs quota"
    description = (
        "Asks one etcd member for its status and alarms through the JSON gateway. fail: no leader, "
        "a NOSPACE or CORRUPT alarm, or dbSize >= 95% of the backend quota; warn: dbSize >= 80% of the "
        "quota or errors in the status; ok otherwise. Run it before blaming clients for lost leases."
    )
    rules = ()
    Params = EtcdHealthParams
    default_timeout_s = 10.0

    async def run(self, params: EtcdHealthParams, ctx: CheckContext) -> Outcome:
        base = params.etcd_url.rstrip("/")
        status = await post_json(ctx, base + "/v3/maintenance/status", {})
        alarms_reply = await post_json(ctx, base + "/v3/maintenance/alarm", {"action": "GET"})
        if not isinstance(status, dict) or not isinstance(alarms_reply, dict) or "header" not in status:
            raise MeasureError(f"{base} did not answer an etcd maintenance status: {str(status)[:160]}")
        quota, quota_source = params.quota_bytes, "param"
        if quota is None:
            quota, quota_source = _quota_gauge(await metrics_page(ctx, base)), "etcd_server_quota_backend_bytes"
        if quota is None:
            quota, quota_source = DEFAULT_QUOTA_BYTES, "etcd default (2 GiB)"
        outcome = judge(params, status, alarms_reply, quota, quota_source)
        ctx.record("status", _status_lines(status, alarms_reply, quota, quota_source), deciding=True)
        return outcome


def _status_lines(status: dict[str, Any], alarms_reply: dict[str, Any], quota: int, quota_source: str) -> str:
    """The fields of etcd's own answers the verdict reads: leader, sizes against the quota, alarms."""
    header = status.get("header") if isinstance(status.get("header"), dict) else {}
    keys = ("version", "leader", "raftTerm", "raftIndex", "dbSize", "dbSizeInUse")
    lines = [f"/v3/maintenance/status (member {(header or {}).get('member_id', '?')}):"]
    lines += [f"  {k}: {status.get(k, '(absent)')}" for k in keys]
    lines.append(f"  quota: {quota} ({quota_source})")
    errors = status.get("errors") or []
    if errors:
        lines.append(f"  errors: {errors}"[:300])
    lines.append(f"/v3/maintenance/alarm: {str(alarms_reply.get('alarms') or 'no alarms')[:300]}")
    return "\n".join(lines)


def judge(
    params: EtcdHealthParams, status: dict[str, Any], alarms_reply: dict[str, Any], quota: int, quota_source: str
) -> Outcome:
    header = status.get("header") if isinstance(status.get("header"), dict) else {}
    member = str((header or {}).get("member_id", "?"))
    leader = _int(status, "leader") or 0
    db_size = _int(status, "dbSize") or 0
    in_use = _int(status, "dbSizeInUse")
    raw_alarms = alarms_reply.get("alarms") or []
    if not isinstance(raw_alarms, list):
        raise MeasureError(f"etcd alarm list is not a list: {str(raw_alarms)[:120]}")
    # the gateway leaves the zero enum value (NONE) out of the JSON
    alarms = sorted(
        {f"{a.get('alarm', 'NONE')}@{a.get('memberID', '?')}" for a in raw_alarms if isinstance(a, dict)}
        - {f"NONE@{a.get('memberID', '?')}" for a in raw_alarms if isinstance(a, dict)}
    )
    errors = [str(e).strip() for e in status.get("errors") or []]
    ratio = db_size / quota
    figures: dict[str, Figure] = {
        "leader": f"{leader:x}" if leader else None,
        "member": member,
        "alarms": ", ".join(alarms),
        "nospace": any(a.startswith("NOSPACE@") for a in alarms),
        "corrupt": any(a.startswith("CORRUPT@") for a in alarms),
        "db_size_bytes": db_size,
        "db_size_in_use_bytes": in_use,
        "quota_bytes": quota,
        "quota_source": quota_source,
        "db_quota_ratio": round(ratio, 4),
        "version": str(status.get("version", "")),
        "raft_term": _int(status, "raftTerm"),
    }
    thresholds = {"warn_db_ratio": params.warn_db_ratio, "fail_db_ratio": params.fail_db_ratio}
    size = f"db {db_size / 1e6:.1f} MB of {quota / 1e6:.1f} MB quota ({ratio:.0%})"
    fail: list[str] = []
    warn: list[str] = []
    if not leader:
        fail.append("no leader: writes and lease renewals stall")
    if figures["nospace"]:
        fail.append("NOSPACE alarm: etcd refuses writes and lease grants until compacted, defragmented and disarmed")
    if figures["corrupt"]:
        fail.append("CORRUPT alarm: a member's data diverged")
    if ratio >= params.fail_db_ratio:
        fail.append(f"{size}: at the quota")
    elif ratio >= params.warn_db_ratio:
        warn.append(f"{size}: nearing the quota (compact and defragment)")
    if errors and not fail:
        warn.append("status errors: " + "; ".join(errors[:3]))
    if fail:
        return Outcome(Verdict.FAIL, "etcd unhealthy: " + "; ".join(fail + warn), figures, thresholds)
    if warn:
        return Outcome(Verdict.WARN, "etcd degraded: " + "; ".join(warn), figures, thresholds)
    return Outcome(
        Verdict.OK, f"etcd {figures['version']} has leader {leader:x}, no alarms, {size}", figures, thresholds
    )
