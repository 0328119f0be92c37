"""A team's own content: ``runbook init`` (a team directory), ``runbook learn`` (a closed
incident becomes knowledge), both writing files the team reviews, edits and commits."""
