-- The incident record as the first release (schema v1) wrote it on SQLite: no schema_version
-- table, no postmortem fields on incident, no uid on event, no conclusion / search tables.
CREATE TABLE incident (
    id INTEGER NOT NULL PRIMARY KEY,
    uid VARCHAR(36) NOT NULL,
    title VARCHAR NOT NULL,
    severity VARCHAR(2) NOT NULL,
    status VARCHAR(16) NOT NULL,
    service VARCHAR NOT NULL,
    started_at DATETIME NOT NULL,
    detected_at DATETIME,
    mitigated_at DATETIME,
    resolved_at DATETIME,
    variables JSON NOT NULL,
    is_drill BOOLEAN NOT NULL,
    created_by VARCHAR NOT NULL
);
CREATE UNIQUE INDEX ix_incident_uid ON incident (uid);
CREATE TABLE step (
    id INTEGER NOT NULL PRIMARY KEY,
    uid VARCHAR(36) NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incident (id),
    seq INTEGER NOT NULL,
    playbook_id VARCHAR NOT NULL,
    node_id VARCHAR NOT NULL,
    entered_at DATETIME NOT NULL,
    left_at DATETIME,
    choice VARCHAR,
    next_node_id VARCHAR,
    automatic BOOLEAN NOT NULL,
    author VARCHAR NOT NULL,
    undone BOOLEAN NOT NULL,
    undone_at DATETIME,
    CONSTRAINT uq_step_incident_seq UNIQUE (incident_id, seq)
);
CREATE UNIQUE INDEX ix_step_uid ON step (uid);
CREATE INDEX ix_step_incident_id ON step (incident_id);
CREATE TABLE event (
    id INTEGER NOT NULL PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incident (id),
    kind VARCHAR(32) NOT NULL,
    at DATETIME NOT NULL,
    author VARCHAR NOT NULL,
    summary TEXT NOT NULL,
    payload JSON NOT NULL,
    automatic BOOLEAN NOT NULL,
    step_id INTEGER REFERENCES step (id),
    undone BOOLEAN NOT NULL
);
CREATE INDEX ix_event_incident_id ON event (incident_id);
CREATE INDEX ix_event_step_id ON event (step_id);
CREATE TABLE check_result (
    id INTEGER NOT NULL PRIMARY KEY,
    uid VARCHAR(36) NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incident (id),
    step_id INTEGER REFERENCES step (id),
    playbook_id VARCHAR,
    node_id VARCHAR,
    check_type VARCHAR NOT NULL,
    verdict VARCHAR(16) NOT NULL,
    summary TEXT NOT NULL,
    figures JSON NOT NULL,
    thresholds JSON NOT NULL,
    evidence JSON NOT NULL,
    started_at DATETIME NOT NULL,
    duration_s FLOAT NOT NULL,
    params JSON NOT NULL,
    error TEXT
);
CREATE UNIQUE INDEX ix_check_result_uid ON check_result (uid);
CREATE TABLE finding (
    id INTEGER NOT NULL PRIMARY KEY,
    uid VARCHAR(36) NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incident (id),
    kind VARCHAR(16) NOT NULL,
    tags JSON NOT NULL,
    author VARCHAR NOT NULL,
    at DATETIME NOT NULL,
    text TEXT NOT NULL,
    step_id INTEGER REFERENCES step (id)
);
CREATE UNIQUE INDEX ix_finding_uid ON finding (uid);
CREATE TABLE action_item (
    id INTEGER NOT NULL PRIMARY KEY,
    uid VARCHAR(36) NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incident (id),
    text TEXT NOT NULL,
    type VARCHAR(16) NOT NULL,
    owner VARCHAR,
    due DATE,
    status VARCHAR(16) NOT NULL,
    rule VARCHAR,
    link VARCHAR,
    author VARCHAR NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX ix_action_item_uid ON action_item (uid);

INSERT INTO incident VALUES (1, 'a0000000-0000-4000-8000-000000000001', 'Registry collapse: instances vanish',
  'P0', 'resolved', 'orders', '2025-06-01 02:10:00.000000', '2025-06-01 02:14:00.000000', NULL,
  '2025-06-01 03:40:00.000000', '{"etcd": "127.0.0.1:2379"}', 0, 'alice');
INSERT INTO step VALUES (1, 'b0000000-0000-4000-8000-000000000001', 1, 1, 'registry', 'start',
  '2025-06-01 02:15:00.000000', '2025-06-01 02:16:00.000000', 'leases expiring', 'keepalive', 1, 'alice', 0, NULL);
INSERT INTO event VALUES (1, 1, 'opened', '2025-06-01 02:14:00.000000', 'alice', 'P0 opened', '{}', 0, NULL, 0);
INSERT INTO event VALUES (2, 1, 'node_entered', '2025-06-01 02:15:00.000000', 'alice', 'registry / start', '{}', 0, 1, 0);
INSERT INTO event VALUES (3, 1, 'finding', '2025-06-01 02:20:00.000000', 'bob', 'observation', '{}', 0, NULL, 0);
INSERT INTO check_result VALUES (1, 'c0000000-0000-4000-8000-000000000001', 1, 1, 'registry', 'start',
  'etcd_lease_keepalive', 'fail', 'lease TTL dropped to 2s while keepalive streams multiplied',
  '{"ttl_remaining_s": 2}', '{}', '[]', '2025-06-01 02:15:30.000000', 0.4, '{}', NULL);
INSERT INTO finding VALUES (1, 'd0000000-0000-4000-8000-000000000001', 1, 'observation', '["went_wrong"]', 'bob',
  '2025-06-01 02:20:00.000000', 'KeepAlive goroutines started by every watcher on the same lease', NULL);
INSERT INTO action_item VALUES (1, 'e0000000-0000-4000-8000-000000000001', 1, 'one lease manager per process',
  'prevent', 'carol', '2025-07-01', 'open', 'R1', NULL, 'alice', '2025-06-01 04:00:00.000000');
