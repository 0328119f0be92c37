"""Alert routes in playbook front matter: Alertmanager's matchers, the variable templates, and
the refusal of label values that would bend a variable."""

from __future__ import annotations

import re
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbook.playbook.alert_routes import (
    AlertMatcher,
    AlertValueRefused,
    MatcherError,
    parse_matcher,
    render_variables,
)
from runbook.playbook.parser import parse_playbook


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('alertname="EtcdLeaseExpired"', {"alertname": "EtcdLeaseExpired"}, True),
        ('alertname="EtcdLeaseExpired"', {"alertname": "EtcdLeaseExpiredSoon"}, False),
        ("env!=prod", {"env": "staging"}, True),
        ("env!=prod", {}, True),  # a missing label is the empty string
        ('env=""', {}, True),
        ('severity=~"crit|page"', {"severity": "page"}, True),
        ('severity=~"crit|page"', {"severity": "critical"}, False),  # anchored on both ends
        ('severity=~"crit"', {"severity": "xcrit"}, False),
        ('severity!~"info|none"', {"severity": "warning"}, True),
        ('severity!~"info|none"', {"severity": "info"}, False),
        ('severity!~".+"', {}, True),
        ('job =~ "api-.*"', {"job": "api-orders"}, True),
        (r'summary="say \"hi\""', {"summary": 'say "hi"'}, True),
    ],
)
def test_matchers_follow_alertmanager(text, labels, expected):
    assert parse_matcher(text).matches(labels) is expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("alertname", "does not parse"),
        ("=x", "does not parse"),
        ('severity=~"(unclosed"', "the regex does not compile"),
        ('alertname="open', "closing quote is missing"),
        ('alertname=a"b', "quote the whole value or none of it"),
        ('alertname="a"b"', "an unescaped quote"),
    ],
)
def test_bad_matchers_say_why(text, problem):
    with pytest.raises(MatcherError, match=re.escape(problem)):
        parse_matcher(text)


_values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@given(value=_values, have=_values)
def test_equality_matchers_round_trip_any_value(value, have):
    # str() writes the matcher back in Alertmanager's syntax; parsing it gives the same matcher
    for op in ("=", "!="):
        m = AlertMatcher("label", op, value)
        again = parse_matcher(str(m))
        assert again == m
        assert again.matches({"label": have}) is ((have == value) == (op == "="))


@given(value=st.text(max_size=20))
def test_regex_matchers_are_anchored(value):
    m = parse_matcher(f'x=~"{re.escape(value).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"')
    assert m.matches({"x": value})
    assert not m.matches({"x": value + "tail"})


def _playbook(tmp_path, front: str):
    text = textwrap.dedent(
        """\
        ---
        id: demo
        title: Demo
        start: look
        variables:
          - name: metrics_url
            example: http://127.0.0.1:9100/metrics
        {front}
        ---

        ## Look {{#look}}

        - [Done](#done)

        ## Done {{#done}}

        ```conclusion
        rules: [R1]
        fix: fix it
        ```
        """
    ).format(front=textwrap.dedent(front).strip())
    path = tmp_path / "demo.md"
    path.write_text(text)
    return parse_playbook(path)


def test_front_matter_routes_and_variables(tmp_path):
    pb, errors = _playbook(
        tmp_path,
        """\
alerts:
  - matchers: ['alertname="HighSeriesCount"', 'severity!="info"']
    start: done
alert_variables:
  metrics_url: "http://{{ labels.instance }}/metrics"
""",
    )
    assert errors == []
    assert pb.alerts[0].start == "done"
    assert pb.alerts[0].matches({"alertname": "HighSeriesCount", "severity": "critical"})
    assert pb.alert_variables.templates == {"metrics_url": "http://{{ labels.instance }}/metrics"}


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("alerts: yes", "'alerts' must be a list"),
        ("alerts:\n  - start: look", "alert route needs 'matchers'"),
        ("alerts:\n  - matchers: ['x=~\"(\"']", "the regex does not compile"),
        ("alerts:\n  - matchers: ['a=\"b\"']\n    start: nowhere", "starts at 'nowhere', which is not a node here"),
        ("alerts:\n  - matchers: ['a=\"b\"']\n    when: now", "unknown key(s) when"),
        ('alert_variables:\n  token: "{{ labels.x }}"', "'token' is not a declared variable"),
        ('alert_variables:\n  metrics_url: "{{ labels.x"', "does not parse"),
        ('alert_variables:\n  metrics_url: "{{ config }}"', "uses config; a template may use only"),
    ],
)
def test_front_matter_problems_point_at_their_line(tmp_path, front, message):
    _pb, errors = _playbook(tmp_path, front)
    assert errors, "expected an error"
    assert message in errors[0].problem
    key = front.split(":", 1)[0]
    assert errors[0].line == 8  # the key's own line in the front matter
    assert str(errors[0]).startswith(f"{tmp_path / 'demo.md'}:8: ")
    assert key in ("alerts", "alert_variables")


CTX = {"labels": {"instance": "10.0.3.17:8080"}, "annotations": {}, "generator_url": ""}


def test_render_fills_from_labels_and_leaves_missing_ones_unset():
    out = render_variables(
        {"metrics_url": "http://{{ labels.instance }}/metrics", "pprof_url": "http://{{ labels.pprof }}/debug"}, CTX
    )
    assert out.values == {"metrics_url": "http://10.0.3.17:8080/metrics"}
    assert "pprof" in out.missing["pprof_url"]


@pytest.mark.parametrize(
    ("instance", "problem"),
    [
        ("{{ 7*7 }}", "template markup"),
        ("x\"}}{{ cycler.__init__.__globals__.os.popen('id').read() }}", "template markup"),
        ("evil.example@10.0.0.1", "credentials or another host"),
        ("10.0.0.1/../../admin x", "whitespace"),
        ("10.0.0.1\nHost: evil", "control characters"),
        ("a" * 3000, "characters long"),
        ("under_score!host", "is not a host name or address"),
    ],
)
def test_label_values_built_to_break_a_variable_are_refused(instance, problem):
    with pytest.raises(AlertValueRefused, match=re.escape(problem)):
        render_variables(
            {"metrics_url": "http://{{ labels.instance }}/metrics"}, {**CTX, "labels": {"instance": instance}}
        )


def test_a_label_value_is_data_never_evaluated():
    # Not a URL template: the braces survive as text and are refused; nothing computed 49.
    with pytest.raises(AlertValueRefused) as info:
        render_variables(
            {"service_prefix": "/services/{{ labels.service }}/"}, {**CTX, "labels": {"service": "{{ 7*7 }}"}}
        )
    assert "49" not in str(info.value)
    plain = render_variables(
        {"service_prefix": "/services/{{ labels.service }}/"}, {**CTX, "labels": {"service": "7*7"}}
    )
    assert plain.values == {"service_prefix": "/services/7*7/"}
