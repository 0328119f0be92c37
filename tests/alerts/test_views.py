"""What a responder sees of an alert incident outside the receiver: ``incident list``."""

from __future__ import annotations

import json

from runbook.cli import main
from tests.alerts.conftest import notification, post


def test_incident_list_json_shows_the_group_key_and_labels(receiver, tmp_path, capsys):
    rec = receiver(walks=None)
    labels = {"instance": "127.0.0.1:1", "severity": "critical"}
    assert post(rec.url, notification('{}:{alertname="SeriesExplosion"}', labels=labels))[0] == 200
    db = f"sqlite:///{tmp_path / 'record.db'}"
    assert main(["--db", db, "incident", "new", "--title", "by hand"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "incident", "list", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    alert = rows[1]["alert"]
    assert alert["group_key"] == '{}:{alertname="SeriesExplosion"}'
    assert alert["labels"] == {"alertname": "SeriesExplosion", **labels}
    assert alert["playbook"] == "p0-3-observability#cardinality" and alert["walk"] == "pending"
    assert "alert" not in rows[2]
    assert main(["--db", db, "incident", "list"]) == 0
    text = capsys.readouterr().out
    assert "[alert]" in text.splitlines()[-1] or "[alert]" in text
    assert sum("[alert]" in line for line in text.splitlines()) == 1
