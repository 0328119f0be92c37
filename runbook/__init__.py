"""runbook: an incident postmortem knowledge base and runbook engine for Go microservices."""

__version__ = "0.1.0"
