"""A sweep's results as a responder reads them: the same four groups as ``runbook diagnose``.

Triage's sweep runs many checks at once; a finding there says where to look, not what the
incident is. The UI shows its results as implicated (tied to the incident's recorded symptoms),
latent, unlikely and not examined, so a latent finding is never read as the cause.
"""

from __future__ import annotations

from runbook.walk.diagnose_view import weighing_dict, weighing_lines
from runbook.walk.engine import WalkEngine
from runbook.walk.symptom_tie import incident_tie, is_survey
from runbook.walk.weighing import sweep_weighing


def sweep_lines(engine: WalkEngine, *, top: int = 3) -> list[str]:
    """The current node's results in the four groups, or nothing when it is not a sweep or has
    no results yet. Reads the record (the recorded symptoms): call it where the engine lives."""
    node = engine.node
    if node is None or not is_survey(node) or not engine.results:
        return []
    symptoms, tied = incident_tie(engine.knowledge, engine.incident_id, session=engine.session)
    weighing = sweep_weighing(
        engine.library, node, engine.results, tied=tied, symptoms=symptoms, variables=engine.variables
    )
    return weighing_lines(weighing_dict(weighing), top=top)
