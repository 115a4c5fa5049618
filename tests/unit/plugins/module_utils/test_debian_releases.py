"""The Debian releases an Edge host may run (plugins/module_utils/debian_releases.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from ansible_collections.rainbow.edge.plugins.module_utils.debian_releases import SUPPORTED, release_findings, supported_text


def test_debian_13_is_accepted_without_a_word():
    assert release_findings("db1", "Debian", "13") == ([], [])


def test_debian_12_is_accepted_with_a_warning_that_names_the_end_of_its_support():
    errors, warnings = release_findings("db1", "Debian", "12")
    assert errors == []
    assert warnings == ["db1 runs Debian 12 (bookworm), oldstable: its regular security support ended in 2026-06,"
                        " Debian LTS covers it until 2028-06; new Edges are installed with Debian 13."]


@pytest.mark.parametrize("major", ["11", "10", "14", None])
def test_a_release_the_collection_does_not_know_is_refused(major):
    errors, warnings = release_findings("db1", "Debian", major)
    assert errors == [f"db1 runs Debian {major}: Edge hosts run Debian 13 (trixie) or 12 (bookworm); reinstall it with Debian 13."]
    assert warnings == []


def test_another_system_is_refused_by_name():
    errors, _warnings = release_findings("db1", "Ubuntu", "24")
    assert errors == ["db1 runs Ubuntu 24: Edge hosts run Debian 13 (trixie) or 12 (bookworm)."]


def test_members_on_different_releases_are_refused_naming_each_release():
    errors, warnings = release_findings("db1", "Debian", "13", {"db1": "13", "db2": "12"}, "mariadb members")
    assert len(errors) == 1 and warnings == []
    assert errors[0].startswith("The mariadb members of db1 run different Debian releases (db1: Debian 13, db2: Debian 12):")


def test_the_host_counts_with_its_own_facts_even_when_its_peers_list_says_otherwise():
    # hostvars may lag behind the facts the action reads for the host itself.
    errors, _warnings = release_findings("db1", "Debian", "13", {"db1": None, "db2": "12"})
    assert "db1: Debian 13, db2: Debian 12" in errors[0]


def test_a_member_whose_facts_are_unknown_is_left_out_not_guessed():
    assert release_findings("db1", "Debian", "13", {"db1": "13", "db2": None, "db3": ""}) == ([], [])


def test_a_peer_list_without_the_host_still_compares_the_peers():
    errors, _warnings = release_findings("mon1", "Debian", "13", {"db1": "13", "db2": "12"})
    assert "db1: Debian 13, db2: Debian 12" in errors[0]


@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(sorted(SUPPORTED) + [None])))
def test_members_are_refused_exactly_when_two_known_releases_differ(peers):
    errors, _warnings = release_findings("a", "Debian", peers.get("a") or "13", peers)
    known = {name: release for name, release in peers.items() if release}
    if "a" in peers:  # the host counts only as a member
        known["a"] = peers.get("a") or "13"
    assert (len(errors) == 1) == (len(set(known.values())) > 1)


def test_the_supported_releases_read_newest_first():
    assert supported_text() == "Debian 13 (trixie) or 12 (bookworm)"
