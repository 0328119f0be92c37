"""Secrets never survive into results: URL credentials, token query params, auth headers,
JSON secret fields, declared secret params; ordinary words are left alone."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from runbook.checks.redact import (
    MASK,
    is_secret_name,
    redact_mapping,
    redact_text,
    redact_url,
    secret_values,
)

TOKEN = st.text(alphabet=string.ascii_letters + string.digits + "-._~", min_size=8, max_size=40)


def test_url_credentials_and_token_params():
    assert redact_url("https://bob:hunter22@api.test:8443/v1?access_token=abc&limit=5#top") == (
        "https://***@api.test:8443/v1?access_token=***&limit=5#top"
    )


def test_header_lines_in_text():
    text = "GET /x\nAuthorization: Bearer abcdef123\nX-Vault-Token: s.1234\nCookie: sid=1\nAccept: */*"
    assert redact_text(text) == "GET /x\nAuthorization: ***\nX-Vault-Token: ***\nCookie: ***\nAccept: */*"


def test_json_secret_fields_and_bearer_in_prose():
    text = '{"user": "ann", "password": "pw-123", "client_secret": "x\\"y"} sent Bearer eyJhbGciOi'
    assert redact_text(text) == '{"user": "ann", "password": "***", "client_secret": "***"} sent Bearer ***'


def test_ordinary_words_are_not_secrets():
    for name in ("author", "design", "bypass", "passive", "url", "n", "interval_s", "key_param"):
        assert not is_secret_name(name), name
    for name in ("password", "db_pass", "api_key", "X-Auth-Token", "Authorization", "auth", "sig"):
        assert is_secret_name(name), name
    assert redact_text("basic checks passed; author=ann") == "basic checks passed; author=ann"


def test_mapping_masks_secret_names_nested_and_header_pairs():
    params = {
        "url": "http://u:p4ss@h/x?token=t0k",
        "headers": {"Authorization": "Bearer zzz123", "Accept": "json"},
        "header_list": [["X-Api-Key", "k3y"], ["X-Trace-ID", "abc"]],
        "api_key": "k3y",
        "n": 5,
    }
    out = redact_mapping(params)
    assert out == {
        "url": "http://***@h/x?token=***",
        "headers": {"Authorization": MASK, "Accept": "json"},
        "header_list": [["X-Api-Key", MASK], ["X-Trace-ID", "abc"]],
        "api_key": MASK,
        "n": 5,
    }


def test_secret_values_collects_declared_named_and_url_passwords():
    found = secret_values(
        {"url": "http://u:pw-in-url@h/", "headers": {"Authorization": "Bearer abcdefg"}, "pin": "4321"},
        declared=("pin",),
    )
    assert set(found) == {"pw-in-url", "Bearer abcdefg", "abcdefg", "4321"}


@given(TOKEN)
def test_property_token_never_survives_in_urls_headers_or_json(token):
    text = f'GET https://user:{token}@h/p?api_key={token}&x=1\nAuthorization: Bearer {token}\n{{"password": "{token}"}}'
    out = redact_text(text)
    assert token not in out
    assert "x=1" in out


@given(TOKEN, st.text(alphabet=" ,;:!?()[]", max_size=50))
def test_property_declared_secret_is_scrubbed_from_any_text(token, noise):
    out = redact_text(noise + token + noise + token, (token,))
    assert token not in out
    assert out == noise + MASK + noise + MASK
