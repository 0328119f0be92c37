from runbook.playbook.model import Variable
from runbook.playbook.variables import variable_problem


def test_required_and_optional():
    assert variable_problem(Variable("service_name"), "") == "service_name is required"
    assert variable_problem(Variable("service_name", required=False), "  ") is None


def test_urls_and_ports():
    url = Variable("etcd_url", example="http://127.0.0.1:2379")
    assert (
        variable_problem(url, "127.0.0.1:2379")
        == "etcd_url must be an http:// or https:// URL (e.g. http://127.0.0.1:2379)"
    )
    assert variable_problem(url, "http://127.0.0.1:2379") is None
    assert variable_problem(Variable("dns_port"), "70000") == "dns_port must be a port number (1-65535)"
    assert variable_problem(Variable("dns_port"), "53") is None


def test_single_line():
    assert variable_problem(Variable("name"), "a\nb") == "name must be a single line"
