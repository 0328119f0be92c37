"""Redaction of secrets from everything a check records, logs or exports.

Covers URL credentials (``user:pass@``), secret-looking query parameters (token, key,
password, ...), Authorization-like headers, and any explicit secret values a check declares.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"

_SECRET_NAME = re.compile(
    r"(pass(word|wd)?|secret|token|api[-_]?key|access[-_]?key|auth|credential|session|cookie|signature|sig)",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
_HEADER_LINE = re.compile(
    r"(?im)^(?P<name>(proxy-)?authorization|cookie|set-cookie|x-api-key|x-auth-token|x-vault-token|x-consul-token)"
    r"(?P<sep>\s*:\s*)(?P<value>.*)$"
)
_QUERY_PARAM = re.compile(
    r"(?P<name>[?&](?:[^=&\s]*?(?:pass(?:word|wd)?|secret|token|api[-_]?key|access[-_]?key|auth|signature|sig)[^=&\s]*))=(?P<value>[^&\s#\"']*)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")


def is_secret_name(name: str) -> bool:
    """True for parameter or header names that hold secrets."""
    return bool(_SECRET_NAME.search(name))


def redact_url(url: str) -> str:
    """Remove credentials and secret query parameters from a URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if is_secret_name(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Scrub known secret values and secret-shaped substrings from free text."""
    if not text:
        return text
    for value in secrets:
        if value and len(value) >= 3:
            text = text.replace(value, MASK)
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    text = _HEADER_LINE.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)
    text = _QUERY_PARAM.sub(lambda m: f"{m['name']}={MASK}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return text


def redact_mapping(data: Mapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, Any]:
    """Redact a params or headers mapping: secret names masked, URLs and strings scrubbed."""
    secrets = tuple(secrets)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if is_secret_name(str(key)) and value not in (None, ""):
            out[key] = MASK
        elif isinstance(value, str):
            out[key] = redact_url(value) if "://" in value else redact_text(value, secrets)
            out[key] = redact_text(out[key], secrets)
        elif isinstance(value, Mapping):
            out[key] = redact_mapping(value, secrets)
        elif isinstance(value, (list, tuple)):
            out[key] = [
                redact_mapping(v, secrets) if isinstance(v, Mapping)
                else redact_text(v, secrets) if isinstance(v, str) else v
                for v in value
            ]
        else:
            out[key] = value
    return out
