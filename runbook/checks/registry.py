"""The registry of check types.

Check families live in ``runbook/checks/catalog/``, one module per family; each decorates its
classes with :func:`register_check`. The catalog is imported on first use, so a new family
needs no edit here, and start-up pays nothing until a check is wanted.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from runbook.checks.base import Check, CheckParams
from runbook.errors import CheckError

#: Any registered check type; its parameter model is known only at run time.
AnyCheck = Check[Any]
_C = TypeVar("_C", bound=type[AnyCheck])

_REGISTRY: dict[str, type[AnyCheck]] = {}
_loaded = False


def register_check(cls: _C) -> _C:
    """Class decorator: make a check type available by its ``name``."""
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise CheckError(f"check type {cls.name!r} registered twice ({existing.__module__}, {cls.__module__})")
    _REGISTRY[cls.name] = cls
    return cls


def _load_catalog() -> None:
    global _loaded
    if _loaded:
        return
    import runbook.checks.catalog as catalog

    for info in sorted(pkgutil.iter_modules(catalog.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"runbook.checks.catalog.{info.name}")
    _loaded = True


def all_checks() -> dict[str, type[AnyCheck]]:
    """Every registered check type, by name (sorted)."""
    _load_catalog()
    return dict(sorted(_REGISTRY.items()))


def get_check(name: str) -> type[AnyCheck]:
    """The check type called ``name`` (a lookup, not a copy of the registry: a sweep asks twice a check)."""
    _load_catalog()
    cls = _REGISTRY.get(name)
    if cls is None:
        known = ", ".join(sorted(_REGISTRY)) or "none registered"
        raise CheckError(f"unknown check type {name!r}; known types: {known}")
    return cls


def parse_params(name: str, params: Mapping[str, Any]) -> CheckParams:
    """Validate raw parameters against the check's schema; raise CheckError with every problem."""
    cls = get_check(name)
    try:
        return cls.Params.model_validate(dict(params))
    except ValidationError as exc:
        raise CheckError(f"{name}: " + "; ".join(format_validation_errors(exc))) from None


def validate_params(name: str, params: Mapping[str, Any]) -> list[str]:
    """Problems with ``params`` for check ``name`` as readable lines (empty when valid)."""
    try:
        parse_params(name, params)
    except CheckError as exc:
        return [exc.message]
    return []


def format_validation_errors(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "params"
        if err["type"] == "extra_forbidden":
            out.append(f"unknown parameter {where!r}")
        elif err["type"] == "missing":
            out.append(f"missing required parameter {where!r}")
        else:
            out.append(f"parameter {where!r}: {err['msg']}")
    return out
