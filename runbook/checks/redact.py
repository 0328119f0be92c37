"""Redaction of secrets from everything a check records, logs or exports.

Covers URL credentials (``user:pass@``), secret-looking query parameters (token, key,
password, ...), Authorization-like headers, ``"password": "..."`` pairs in JSON excerpts, and
any explicit secret values (declared secret params, passwords found in URLs). The runner applies
it to every field of a result and ``CheckContext.record`` to every evidence excerpt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"

# "auth" but not "author"; "pass" but not "bypass"/"passive"; "sig" but not "design".
_SECRET_WORDS = (
    r"password|passwd|passphrase|(?<![a-z])pass(?![a-z])|secret|token|api[-_]?key|access[-_]?key"
    r"|private[-_]?key|auth(?:orization|entication|(?![a-z]))|credential|session|cookie"
    r"|signature|(?<![a-z])sig(?![a-z])"
)
_SECRET_NAME = re.compile(_SECRET_WORDS, re.IGNORECASE)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
# A header line ("Authorization: ...", "X-Vault-Token: ...") anywhere in a text excerpt.
_HEADER_LINE = re.compile(
    r"(?im)^(?P<name>[A-Za-z0-9_-]*(?:authorization|cookie|token|api[-_]?key|secret|passw(?:or)?d|session)"
    r"[A-Za-z0-9_-]*)(?P<sep>[ \t]*:[ \t]*)(?P<value>[^\r\n]*)$"
)
_QUERY_PARAM = re.compile(r"(?P<name>[?&;][^=&\s#\"']+)=(?P<value>[^&\s#\"']*)")
# "password": "x" in a JSON body; 'token=x' in a form or log line.
_JSON_PAIR = re.compile(r'(?P<name>"[^"\\]{1,80}")(?P<sep>\s*:\s*)(?P<value>"(?:[^"\\]|\\.)*")')
# Case-sensitive on purpose: "Basic dXNlcjpw..." is a credential, "basic checks" is prose.
_BEARER = re.compile(r"\b(Bearer|bearer|BEARER|Basic|Digest)\s+[A-Za-z0-9._~+/=-]{6,}")

# Fast path: each pattern above needs some literal text to match, so a cheap ``in`` test skips
# the regex when that text is absent (most evidence holds no secret at all). Every word the
# case-insensitive patterns need (_SECRET_WORDS, _HEADER_LINE's names) contains one of these.
# Under IGNORECASE these non-ASCII characters also match an ASCII letter (re's case folding);
# _fold maps them so the word tests see what the regexes see. tests/checks/test_redact_fast.py
# checks the table against every code point and the fast path against the plain one.
_REGEX_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _fold(text: str) -> str:
    return text.lower() if text.isascii() else text.translate(_REGEX_FOLDS).lower()


def _has_secret_word(folded: str) -> bool:
    """False when ``folded`` (from _fold) cannot match _SECRET_NAME or _HEADER_LINE's names."""
    return (
        "pass" in folded
        or "secret" in folded
        or "token" in folded
        or "key" in folded
        or "auth" in folded
        or "credential" in folded
        or "session" in folded
        or "cookie" in folded
        or "sig" in folded
    )


def is_secret_name(name: str) -> bool:
    """True for parameter or header names that hold secrets."""
    return _has_secret_word(_fold(name)) and bool(_SECRET_NAME.search(name))


def is_secret_value(value: object) -> bool:
    """True for values that carry credentials whatever their name: ``user:pass@`` in a URL,
    ``Bearer``/``Basic`` credentials, a secret-named query parameter with a value."""
    if not isinstance(value, str) or not value:
        return False
    if _URL_USERINFO.search(value) or _BEARER.search(value):
        return True
    return any(is_secret_name(m["name"][1:]) and m["value"] for m in _QUERY_PARAM.finditer(value))


def split_secrets(variables: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(variables safe to record, secret ones).

    A variable is secret when its name says so (token, password, key, credential, auth...) or its
    value carries credentials. Secrets are for the running process only: the record, the
    timeline, evidence and exports never hold them.
    """
    stored: dict[str, Any] = {}
    secret: dict[str, Any] = {}
    for name, value in variables.items():
        is_secret = (is_secret_name(str(name)) and value not in (None, "")) or is_secret_value(value)
        (secret if is_secret else stored)[name] = value
    return stored, secret


def mask_secrets(secrets: Mapping[str, Any]) -> dict[str, str]:
    """How a secret variable is shown: its name, never a byte of its value."""
    return dict.fromkeys(secrets, MASK)


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
    # The five substitutions in order, each skipped when text it needs is absent, so the result
    # is what running all five gives. The word test is made once: when it fails, the header,
    # query and JSON substitutions would all leave the text as it is, so it still holds for each.
    if "@" in text and "://" in text:
        text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    if _has_secret_word(_fold(text)):
        if ":" in text:
            text = _HEADER_LINE.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)
        if "=" in text and ("?" in text or "&" in text or ";" in text):
            text = _QUERY_PARAM.sub(lambda m: f"{m['name']}={MASK}" if is_secret_name(m["name"][1:]) else m[0], text)
        if '"' in text and ":" in text:
            text = _JSON_PAIR.sub(
                lambda m: f'{m["name"]}{m["sep"]}"{MASK}"' if is_secret_name(m["name"]) else m[0], text
            )
    if "Bearer" in text or "bearer" in text or "BEARER" in text or "Basic" in text or "Digest" in text:
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
            out[key] = [_redact_item(v, secrets) for v in value]
        else:
            out[key] = value
    return out


def _redact_item(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, Mapping):
        return redact_mapping(value, secrets)
    if isinstance(value, str):
        return redact_text(redact_url(value) if "://" in value else value, secrets)
    if isinstance(value, (list, tuple)):
        # a header given as a (name, value) pair
        if len(value) == 2 and isinstance(value[0], str) and is_secret_name(value[0]) and value[1]:
            return [value[0], MASK]
        return [_redact_item(v, secrets) for v in value]
    return value


def secret_values(params: Mapping[str, Any], declared: Iterable[str] = ()) -> tuple[str, ...]:
    """Secret values found in raw params: declared secret params, secret-named params and
    headers, and passwords embedded in URLs. Used to scrub them from any free text later."""
    found: list[str] = []
    declared = set(declared)

    def visit(name: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                visit(str(k), v)
        elif isinstance(value, (list, tuple)):
            if len(value) == 2 and isinstance(value[0], str) and is_secret_name(value[0]):
                visit(value[0], value[1])
            else:
                for v in value:
                    visit(name, v)
        elif isinstance(value, str) and value:
            if name in declared or is_secret_name(name):
                found.append(value)
                # "Bearer abc": the token alone may show up elsewhere too
                found.extend(p for p in value.split()[1:] if len(p) >= 6)
            if "://" in value and "@" in value:  # no "@", no userinfo: urlsplit would find no password
                try:
                    parts = urlsplit(value)
                    if parts.password:
                        found.append(parts.password)
                except ValueError:
                    pass
        elif value is not None and name in declared:
            found.append(str(value))

    for key, value in params.items():
        visit(str(key), value)
    return tuple(sorted({v for v in found if len(v) >= 3}, key=len, reverse=True))
