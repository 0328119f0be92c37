"""The incident walk: one responder's path through the playbooks, with live checks, recorded.

``engine.WalkEngine`` holds and records the walk; ``observer`` is how faces hear about it;
``autopilot`` walks on by the verdicts; ``diagnose`` runs every check at once and ranks the
rules; ``similar`` links a node to earlier incidents. No UI code lives here.
"""
