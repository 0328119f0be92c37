"""The fault lab: local services that misbehave over the wire like the three P0 incidents.

``runbook lab up`` starts, on 127.0.0.1 and on free ports, one background process per service
(a real etcd and NSD where installed, small Python services otherwise), records them in a
state file and prints the variables the playbooks need. ``runbook lab down`` stops every
recorded process group and checks that none is left. The checks do not know they talk to a
lab: every fault is visible only through the same protocols a production service speaks.
"""

from runbook.drill.lab.manager import LabError, lab_down, lab_status, lab_up
from runbook.drill.lab.plan import LAB_SCENARIOS

__all__ = ["LAB_SCENARIOS", "LabError", "lab_down", "lab_status", "lab_up"]
