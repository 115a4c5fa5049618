"""The shared role's tls entry point, run for real against the controller itself.

Two inventory hosts with a local connection stand for a CA host and a
server; every path (the CA's directory included) is under pytest's tmp_path.
What the molecule scenarios show with real services (MariaDB replicas,
MongoDB members, the GateKeeper API), this shows for the flow itself in
seconds: first run, rerun, check mode, renewal, changed names, a CA given
by the inventory, refused inputs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

ROOT = Path(__file__).resolve().parents[3]
PLAY = """
- hosts: mariadb
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: rainbow.edge.shared
        tasks_from: tls
      vars:
        _shared_tls_name: Test
        _shared_tls_common_name: "{{ inventory_hostname }}.lab"
        _shared_tls_subject_alt_names: ["DNS:{{ inventory_hostname }}.lab", "IP:{{ san_ip | default('10.20.0.1') }}"]
        _shared_tls_extended_key_usage: [serverAuth, clientAuth]
        _shared_tls_private_key: "{{ out }}/{{ inventory_hostname }}.key"
        _shared_tls_certificate: "{{ out }}/{{ inventory_hostname }}.crt"
        _shared_tls_ca_certificate: "{{ out }}/{{ inventory_hostname }}-ca.crt"
        _shared_tls_notify: [Reload]
  handlers:
    - name: Reload
      ansible.builtin.debug: {msg: "RELOADED {{ inventory_hostname }}"}
"""


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    base = tmp_path_factory.mktemp("tls")
    (base / "out").mkdir()
    (base / "play.yml").write_text(PLAY)
    (base / "inventory.json").write_text(json.dumps({"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "out": str(base / "out")},
        "children": {"mariadb": {"hosts": {"db1": {}, "db2": {}}}}}}))
    return base


def run(edge, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    result = subprocess.run(
        ["ansible-playbook", "-i", str(edge / "inventory.json"), str(edge / "play.yml"),
         "-e", "__shared_tls_ca_dir=%s" % (edge / "out" / "ca"), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)
    recap = result.stdout.rsplit("PLAY RECAP", 1)[-1]
    changed = {line.split()[0]: int(line.split("changed=")[1].split()[0]) for line in recap.splitlines() if "changed=" in line}
    return result, changed


def certificate(edge, host):
    return x509.load_pem_x509_certificate((edge / "out" / ("%s.crt" % host)).read_bytes())


def test_1_first_run_signs_each_host_with_the_ca_kept_on_the_first(edge):
    result, changed = run(edge)
    assert result.returncode == 0, result.stdout
    ca = x509.load_pem_x509_certificate((edge / "out" / "ca" / "ca.crt").read_bytes())
    for host in ("db1", "db2"):
        issued = certificate(edge, host)
        assert issued.issuer == ca.subject and issued.subject.rfc4514_string() == "CN=%s.lab" % host
        issued.verify_directly_issued_by(ca)
        assert (edge / "out" / ("%s-ca.crt" % host)).read_bytes() == (edge / "out" / "ca" / "ca.crt").read_bytes()
        assert oct((edge / "out" / ("%s.key" % host)).stat().st_mode & 0o777) == "0o600"
        assert "RELOADED %s" % host in result.stdout
    assert oct((edge / "out" / "ca" / "ca.key").stat().st_mode & 0o777) == "0o600"


def test_2_a_rerun_and_a_check_run_change_nothing(edge):
    before = certificate(edge, "db1").serial_number
    for args in ((), ("--check",)):
        result, changed = run(edge, *args)
        assert result.returncode == 0 and changed == {"db1": 0, "db2": 0}, result.stdout
    assert certificate(edge, "db1").serial_number == before


def test_3_a_certificate_within_the_renewal_window_is_signed_anew(edge):
    before = certificate(edge, "db1")
    # 397-day certificates are within a 397-day window once lifetimes are 500 days.
    result, changed = run(edge, "-e", "edge_tls_certificate_days=500", "-e", "edge_tls_renewal_days=397")
    assert result.returncode == 0 and changed["db1"] > 0 and "RELOADED db1" in result.stdout, result.stdout
    after = certificate(edge, "db1")
    assert after.serial_number != before.serial_number and after.not_valid_after_utc > before.not_valid_after_utc


def test_4_a_changed_address_is_signed_anew_even_with_the_ca_host_outside_the_run(edge):
    result, _changed = run(edge, "-e", "san_ip=10.20.0.2", "--limit", "db2")
    assert result.returncode == 0, result.stdout
    names = certificate(edge, "db2").extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["10.20.0.2"]


def test_5_wrong_inputs_are_listed_together(edge):
    result, _changed = run(edge, "-e", "edge_tls_renewal_days=soon", "-e", "edge_tls_ca_host=ghost")
    assert result.returncode != 0
    assert 'edge_tls_renewal_days: expected a whole number; got "soon"' in result.stdout, result.stdout
    assert "edge_tls_ca_host: ghost is not a host of this inventory" in result.stdout, result.stdout


def test_6_a_ca_given_by_the_inventory_replaces_the_own_one_and_stays(edge, tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(tmp_path / "ca.key"), "-out", str(tmp_path / "ca.crt"), "-days", "1000",
                    "-subj", "/CN=Customer CA", "-addext", "basicConstraints=critical,CA:TRUE"],
                   check=True, capture_output=True)
    given = tmp_path / "given.json"
    given.write_text(json.dumps({"edge_tls_ca_certificate": (tmp_path / "ca.crt").read_text(),
                                 "edge_tls_ca_private_key": (tmp_path / "ca.key").read_text()}))
    result, changed = run(edge, "-e", "@%s" % given, "-v")
    assert result.returncode == 0 and changed["db1"] > 0, result.stdout
    assert "PRIVATE KEY" not in result.stdout + result.stderr
    assert certificate(edge, "db2").issuer.rfc4514_string() == "CN=Customer CA"
    result, changed = run(edge, "-e", "@%s" % given)
    assert changed == {"db1": 0, "db2": 0}, result.stdout
