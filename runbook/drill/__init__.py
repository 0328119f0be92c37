"""Training drills: scenarios with a known root cause, the fault lab that reproduces them, scoring.

A drill walks the real playbooks with the real checks, either live against the fault lab
(``runbook.drill.lab``) or in replay, where each check returns a recorded result.
"""
