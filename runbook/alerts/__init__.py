"""The alert receiver: Alertmanager's webhook in, a diagnosed incident out.

``runbook alerts serve`` receives Alertmanager's webhook notifications (``payload``: the
version-4 JSON, checked strictly), routes each alert group to a playbook by the playbooks'
``alerts:`` matchers (``intake``: incident opened or reused, the alert on its timeline), and
walks the playbook on autopilot in the background (``walks``: bounded concurrency, one walk per
group however many receivers hear of it). ``server`` is the HTTP face; it is a face like the
CLI and the UI, and goes through ``runbook.services`` like them.
"""
