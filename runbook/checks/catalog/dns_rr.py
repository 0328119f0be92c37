"""DNS round-robin effectiveness (R3): does the server's answer order ever rotate?

Go's pure-Go resolver keeps no answer cache, but for IPv4 it keeps the server's order
(RFC 6724 rule 9 applies only to IPv6) and the dialer tries the first address. A server that
always answers in the same order (NSD serves zone order) therefore sends every Go client to
the same instance, whatever "round robin" the team believes in. This check asks the server
``n`` times and measures the record set, the TTL, the distinct orderings and how often each
address comes first.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import dns.asyncresolver
import dns.exception
import dns.resolver
from pydantic import Field, field_validator

from runbook.checks.base import Check, CheckContext, CheckParams, Figure, MeasureError, Outcome, Verdict
from runbook.checks.registry import register_check


@register_check
class DnsRoundRobin(Check["DnsRoundRobin.Params"]):
    name = "dns_rr_effectiveness"
    title = "DNS round-robin effectiveness"
    description = (
        "Resolves a fully qualified name n times against one nameserver and measures the "
        "record set, TTL, distinct orderings and first-position share per address. fail: >= 2 "
        "addresses and the same one first in every one of >= 10 answers; warn: one address only, "
        "a first-position share > 1.5/k, or TTL > 60 s; ok: the order rotates."
    )
    rules = ("R3",)
    default_timeout_s = 20.0

    class Params(CheckParams):
        name: str
        """Fully qualified name (no search-list expansion), e.g. ``orders.ns.svc.cluster.local``."""
        nameserver: str
        """IP address of the DNS server to ask."""
        port: int = Field(53, ge=1, le=65535)
        n: int = Field(20, ge=1, le=1000)
        interval_s: float = Field(0.05, ge=0)
        rdtype: str = "A"
        query_timeout_s: float = Field(2.0, gt=0)
        min_answers_for_fail: int = Field(10, ge=1)
        max_ttl_s: int = Field(60, ge=0)

        @field_validator("rdtype")
        @classmethod
        def _rdtype(cls, v: str) -> str:
            if v.upper() not in ("A", "AAAA"):
                raise ValueError("rdtype must be A or AAAA")
            return v.upper()

    async def run(self, params: Params, ctx: CheckContext) -> Outcome:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [params.nameserver]
        resolver.port = params.port
        resolver.cache = None  # every query must reach the server: we measure its order
        name = params.name if params.name.endswith(".") else params.name + "."
        answers: list[tuple[str, ...]] = []
        ttls: list[int] = []
        errors: Counter[str] = Counter()
        ctx.record("request", f"{params.n} x {params.rdtype} {name} @{params.nameserver}:{params.port}")
        for i in range(params.n):
            if i and params.interval_s:
                await asyncio.sleep(min(params.interval_s, ctx.remaining()))
            lifetime = min(params.query_timeout_s, ctx.remaining() - 0.05)
            if lifetime <= 0:
                ctx.record("note", f"deadline reached after {i} queries")
                break
            try:
                ans = await resolver.resolve(name, params.rdtype, lifetime=lifetime, search=False)
            except dns.resolver.NXDOMAIN:
                raise MeasureError(f"{name} does not exist (NXDOMAIN from {params.nameserver})") from None
            except dns.resolver.NoAnswer:
                raise MeasureError(f"{name} has no {params.rdtype} records at {params.nameserver}") from None
            except dns.resolver.NoNameservers as exc:
                # the server answered, with REFUSED or SERVFAIL: asking again changes nothing
                raise MeasureError(
                    f"{params.nameserver}:{params.port} would not answer for {name}: {str(exc).rsplit(': ', 1)[-1]}"
                ) from None
            except (dns.exception.DNSException, OSError) as exc:
                errors[exc.__class__.__name__] += 1
                if len(errors) == 1 and sum(errors.values()) == 1:
                    ctx.record("error", f"query {i + 1}: {exc}")
                continue
            order = tuple(r.address for r in ans)
            answers.append(order)
            ttl = ans.rrset.ttl if ans.rrset is not None else 0  # an Answer always holds its rrset
            ttls.append(ttl)
            if i < 3 or order != answers[0]:
                ctx.record("response", f"query {i + 1}: {', '.join(order)} (TTL {ttl})")
        if not answers:
            reason = ", ".join(f"{k} x{v}" for k, v in errors.items()) or "no query completed"
            raise MeasureError(f"no answer from {params.nameserver}:{params.port} for {name}: {reason}")
        ctx.record("answers", _answers_in_order(name, params, answers, ttls), deciding=True)
        return _decide(params, answers, ttls, errors)


def _answers_in_order(name: str, params: DnsRoundRobin.Params, answers: list[tuple[str, ...]], ttls: list[int]) -> str:
    """Every answer in the order the server gave it (the first 30), then who came first how often:
    a reviewer sees the rotation, or its absence, without trusting a share."""
    lines = [f"{len(answers)} answers for {params.rdtype} {name} @{params.nameserver}:{params.port}, in order:"]
    lines += [f"  {i + 1}: {', '.join(a)} (TTL {t})" for i, (a, t) in enumerate(zip(answers, ttls, strict=True))][:30]
    if len(answers) > 30:
        lines.append(f"  ... {len(answers) - 30} more")
    firsts = Counter(a[0] for a in answers if a)
    lines.append("first: " + ", ".join(f"{ip} x{n}" for ip, n in firsts.most_common()))
    return "\n".join(lines)


def _decide(
    params: DnsRoundRobin.Params, answers: list[tuple[str, ...]], ttls: list[int], errors: Counter[str]
) -> Outcome:
    ips = sorted({ip for a in answers for ip in a})
    k = len(ips)
    firsts = Counter(a[0] for a in answers if a)
    top_ip, top = firsts.most_common(1)[0]
    share = top / len(answers)
    orderings = len(set(answers))
    ttl = max(ttls)
    figures: dict[str, Figure] = {
        "answers": len(answers),
        "addresses": k,
        "distinct_orderings": orderings,
        "top_first_ip": top_ip,
        "top_first_share": round(share, 3),
        "ttl_s": ttl,
        "failed_queries": sum(errors.values()),
        **{f"first_share_{ip}": round(firsts.get(ip, 0) / len(answers), 3) for ip in ips[:10]},
    }
    share_limit = 1.5 / k if k else 1.0
    thresholds = {
        "min_answers_for_fail": params.min_answers_for_fail,
        "warn_first_share": round(share_limit, 3),
        "max_ttl_s": params.max_ttl_s,
    }
    head = f"{k} address(es), {orderings} ordering(s) in {len(answers)} answers"
    if k >= 2 and share == 1.0 and len(answers) >= params.min_answers_for_fail:
        return Outcome(
            Verdict.FAIL,
            f"{head}: {top_ip} first every time; the server never rotates, so every Go client dials the same instance",
            figures,
            thresholds,
        )
    warn = []
    if k == 1:
        warn.append(
            "a single address: balancing depends on connections (check keep-alive and client-side load balancing)"
        )
    elif share > share_limit:
        warn.append(f"{top_ip} first in {share:.0%} of answers (> {share_limit:.0%})")
    if ttl > params.max_ttl_s:
        warn.append(f"TTL {ttl}s > {params.max_ttl_s}s")
    if warn:
        return Outcome(Verdict.WARN, f"{head}: " + "; ".join(warn), figures, thresholds)
    return Outcome(
        Verdict.OK, f"{head}: the order rotates (top first share {share:.0%}, TTL {ttl}s)", figures, thresholds
    )
