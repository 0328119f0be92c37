"""redact_text's fast path (literal pre-checks before each regex) redacts exactly what running
every pattern on every text does: the plain implementation is kept here as the reference and
compared on generated text full of secrets, near-secrets and the characters the checks look for."""

from __future__ import annotations

import re
import sys
from unittest.mock import patch

from hypothesis import example, given, settings
from hypothesis import strategies as st

from runbook.checks import redact
from runbook.checks.redact import MASK, is_secret_name, redact_mapping, redact_text, redact_url


def reference_is_secret_name(name: str) -> bool:
    return bool(redact._SECRET_NAME.search(name))


def reference_redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """redact_text as it was before the fast path: every substitution on every text."""
    if not text:
        return text
    for value in secrets:
        if value and len(value) >= 3:
            text = text.replace(value, MASK)
    text = redact._URL_USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    text = redact._HEADER_LINE.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)
    text = redact._QUERY_PARAM.sub(
        lambda m: f"{m['name']}={MASK}" if reference_is_secret_name(m["name"][1:]) else m[0], text
    )
    text = redact._JSON_PAIR.sub(
        lambda m: f'{m["name"]}{m["sep"]}"{MASK}"' if reference_is_secret_name(m["name"]) else m[0], text
    )
    return redact._BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


# Pieces of secrets and of things that look like them, the characters the pre-checks test for,
# and the non-ASCII letters that IGNORECASE matches to ASCII ones ("ſecret", "KEY" with a Kelvin sign).
FRAGMENTS = (
    "http://",
    "https://",
    "postgres://",
    "://",
    "user:pass@",
    "bob:hunter22@",
    "@",
    ":",
    "/",
    "?",
    "&",
    ";",
    "=",
    "#",
    '"',
    "'",
    "\\",
    " ",
    "\t",
    "\n",
    "\r\n",
    "Bearer ",
    "bearer ",
    "BEARER ",
    "Basic ",
    "Digest ",
    "basic ",
    "eyJhbGciOi",
    "dXNlcjpwYXNz",
    "abcdef123",
    "?token=",
    "&access_token=",
    "?api_key=",
    "&password=",
    ";sig=",
    "&signature=",
    "?session=",
    "password=",
    "token=",
    "Authorization: ",
    "authorization:",
    "X-Vault-Token: ",
    "Cookie: ",
    "Set-Cookie:",
    "X-Api-Key:",
    "Proxy-Authorization:\t",
    "X-Session-ID: ",
    '"password": "',
    '"client_secret":"',
    '"token" : "',
    '"user": "ann"',
    '"author": "',
    "password",
    "passwd",
    "passphrase",
    "pass",
    "secret",
    "token",
    "api-key",
    "API_KEY",
    "apikey",
    "access_key",
    "private-key",
    "auth",
    "author",
    "authentication",
    "credential",
    "session",
    "cookie",
    "signature",
    "sig",
    "design",
    "bypass",
    "passive",
    "key",
    "ſecret",
    "\u212aey",
    "\u0130",
    "\u0131",
    "ſig",
    "PASS",
    "Token",
    "é",
    "ü",
    "GET /health HTTP/1.1",
    "Host: 127.0.0.1:8080",
    "Accept: */*",
    "HTTP 200 from",
    "ok",
)

TEXT = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=30).map("".join)
SECRETS = st.lists(
    st.one_of(st.sampled_from(("hunter22", "abcdef123", "pw", "s.1234")), st.text(max_size=8)), max_size=3
)


@settings(max_examples=1000)
@given(TEXT, SECRETS)
@example('GET https://user:tok3n@h/p?api_key=tok3n&x=1\nAuthorization: Bearer tok3n\n{"password": "tok3n"}', [])
@example("a ſecret: x\n?ſig=1 \u212aey: v", [])
@example("basic checks passed; author=ann", [])
def test_fast_path_redacts_exactly_what_the_plain_one_does(text, secrets):
    assert redact_text(text, tuple(secrets)) == reference_redact_text(text, tuple(secrets))


@settings(max_examples=500)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=6).map("".join))
def test_is_secret_name_fast_path_agrees(name):
    assert is_secret_name(name) == reference_is_secret_name(name)


@settings(max_examples=300)
@given(TEXT, SECRETS)
def test_urls_and_mappings_come_out_as_with_the_plain_path(text, secrets):
    # redact_url and redact_mapping reach the patterns only through redact_text and is_secret_name
    data = {"q": text, "url": f"https://u:p@h/x?{text}", text[:12] or "k": [text, ("X-Api-Key", text)]}
    fast = (redact_url(data["url"]), redact_mapping(data, secrets))
    with (
        patch.object(redact, "redact_text", reference_redact_text),
        patch.object(redact, "is_secret_name", reference_is_secret_name),
    ):
        plain = (redact.redact_url(data["url"]), redact.redact_mapping(data, secrets))
    assert fast == plain


def test_fold_table_is_every_non_ascii_character_that_ignorecase_matches_to_ascii():
    letter = re.compile(r"(?i)[a-z]")
    found = {chr(c) for c in range(128, sys.maxunicode + 1) if letter.fullmatch(chr(c))}
    assert found == {chr(c) for c in redact._REGEX_FOLDS}
    for c in found:
        assert re.fullmatch("(?i)" + redact._fold(c), c), c
