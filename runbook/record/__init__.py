"""The incident record: every step, check result, finding and decision, durable the moment it is shown.

- ``models``: every SQLModel table (incident, event, step, check_result, finding, action_item,
  conclusion, search_doc, schema_version) and the string enums of their fields.
- ``db``: ``make_engine(url)``, ``init_db(engine)``, ``connect(url)``, ``open_session(engine)``.
- ``repo`` (with ``steps`` and ``notes``): the repository functions, keyword-only ``session``,
  each write committed at once and idempotent by ``uid``.
- ``views``: ``load_record`` (one incident with everything in it) and JSON-ready exports.
- ``search``: full-text search (FTS5 / PostgreSQL) and ``index_documents`` for rules and nodes.
- ``similar``: ``similar_incidents``, the one lookup behind the walk's links and the postmortem's
  "Similar past incidents" (one ``SimilarIncident`` type, one wording).
- ``store``: the read-only queries a walk rebuilds its check results from (``results_run``:
  which stored results come from checks that really ran).
- ``schema``: schema versions and migrations.

Importing this package creates nothing; see ``docs/record.md``.
"""
