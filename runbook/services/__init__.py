"""The composition root and the use cases every face shares (see ``root.py``)."""

from runbook.services.root import SecretVault, Services, build_services

__all__ = ["SecretVault", "Services", "build_services"]
