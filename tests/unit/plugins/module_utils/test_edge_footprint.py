"""Every row of the footprint tables, checked against the document's text.

The expected figures below were transcribed again from
edge-technical-overview.txt sections 7.4, 8.3, 8.4, 9.3, 9.4 and 9.5 (not
copied from the catalog), so a typo in either shows up here.
"""

import pytest

from ansible_collections.rainbow.edge.plugins.module_utils import edge_footprint as fp

S, O = "standard", "optimized"

# (section, tier, count, ha, vcpus, memory_gb, disks [(GB, class)], nics [(zone, ipv4, vips)], data)
DOCUMENT_ROWS = [
    ("7.4", "gatekeeper", 2, None, 2, 2, [(64, S), (256, S)], [("wan", 1, 0), ("lan", 1, 1)], False),
    ("7.4", "logs", 1, None, 4, 32, [(1024, O)], [("lan", 1, 0)], True),
    ("7.4", "backup", 1, None, 1, 2, [(64, S), (2048, S), (2048, S)], [("lan", 1, 0)], True),
    ("7.4", "metrics", 1, None, 2, 2, [(64, S), (512, S)], [("lan", 1, 0)], False),
    ("8.3", "xmpp", 2, "M/S", 4, 16, [(64, S)], [("lan", 1, 0)], False),
    ("8.3", "mariadb", 2, "M/S", 4, 64, [(64, S), (256, O), (256, O)], [("lan", 1, 0)], True),
    ("8.3", "mongodb", 3, "M/S/S", 4, 64, [(64, S), (256, O), (256, O)], [("lan", 1, 0)], True),
    ("8.3", "private_lb", 2, "M/M", 4, 4, [(64, S)], [("lan", 1, 2)], False),
    ("8.3", "swift", 3, "M/M/M", 6, 16, [(64, S), (1024, S), (1024, S), (1024, S)], [("lan", 1, 0)], True),
    ("8.4", "icn", 2, "M/S", 16, 64, [(128, S)], [("lan", 1, 1), ("wan", 1, 1)], False),
    ("8.4", "voice_pbx_orchestrator", 1, "M", 2, 6, [(128, S)], [("lan", 1, 0)], False),
    ("8.4", "voice_pbx_gateway", 5, "M/M", 2, 6, [(128, S)], [("lan", 1, 0)], False),
    ("9.3", "aio", 1, "virtualisation", 8, 32, [(64, S), (512, O), (512, O)], [("lan", 1, 0), ("wan", 2, 0)], False),
    ("9.3", "turn", 1, "virtualisation", 1, 4, [(64, S)], [("lan", 1, 0), ("wan", 1, 0)], False),
    ("9.3", "conference", 1, "virtualisation", 4, 8, [(64, S)], [("lan", 1, 0), ("wan", 1, 0)], False),
    ("9.3", "swift", 1, "virtualisation", 4, 16, [(64, S), (1024, S), (1024, S), (1024, S)], [("lan", 1, 0)], True),
    ("9.4", "api", 2, None, 4, 16, [(64, S)], [("lan", 1, 0)], False),
    ("9.4", "turn", 2, None, 1, 4, [(64, S)], [("lan", 1, 0), ("wan", 1, 0)], False),
    ("9.4", "conference", 2, None, 4, 8, [(64, S)], [("lan", 1, 0), ("wan", 1, 0)], False),
    ("9.4", "public_lb", 2, None, 4, 4, [(64, S)], [("lan", 1, 0), ("wan", 2, 0)], False),
    ("9.4", "cloud_pbx_gateway", 2, None, 4, 4, [(128, S)], [("lan", 1, 0)], False),
    ("9.5", "voice_web", 2, "M/S", 16, 64, [(128, S)], [("lan", 1, 1)], False),
    ("9.5", "voice_proxy", 2, "M/S", 16, 64, [(128, S)], [("lan", 1, 1)], False),
    ("9.5", "voice_db", 2, "M/S", 16, 64, [(2048, O)], [("lan", 1, 1)], True),
    ("9.6", "mail", 2, None, 1, 2, [(64, S)], [("lan", 1, 0)], False),
]


def _row(section, tier):
    matches = [row for row in fp.SECTIONS[section] if row.tier == tier]
    assert len(matches) == 1, (section, tier)
    return matches[0]


@pytest.mark.parametrize("section,tier,count,ha,vcpus,memory_gb,disks,nics,data", DOCUMENT_ROWS,
                         ids=["%s-%s" % (row[0], row[1]) for row in DOCUMENT_ROWS])
def test_every_row_matches_the_document(section, tier, count, ha, vcpus, memory_gb, disks, nics, data):
    row = _row(section, tier)
    assert (row.count, row.ha, row.vcpus, row.memory_gb) == (count, ha, vcpus, memory_gb)
    assert [(d.size_gb, d.iops) for d in row.disks] == disks
    assert sorted((n.zone, n.ipv4, n.vips) for n in row.nics) == sorted(nics)
    assert row.data is data


def test_the_catalog_has_no_row_the_test_does_not_know():
    assert sorted((row.section, row.tier) for row in fp.all_rows()) == sorted(
        (row[0], row[1]) for row in DOCUMENT_ROWS)


def test_every_tier_name_of_the_contract_is_in_the_catalog():
    assert {row.tier for row in fp.all_rows()} == set(fp.TIER_NAMES)
    assert len(fp.TIER_NAMES) == 22


@pytest.mark.parametrize("tier", ["gatekeeper", "aio", "turn", "conference", "public_lb", "icn"])
def test_internet_facing_tiers_need_wan(tier):
    assert all(row.needs_wan for row in fp.all_rows() if row.tier == tier)


def test_only_the_internet_facing_tiers_need_wan():
    assert {row.tier for row in fp.all_rows() if row.needs_wan} == {
        "gatekeeper", "aio", "turn", "conference", "public_lb", "icn"}


def test_two_public_addresses_on_aio_and_public_lb():
    assert _row("9.3", "aio").wan_ipv4 == 2
    assert _row("9.4", "public_lb").wan_ipv4 == 2
    assert _row("7.4", "gatekeeper").wan_ipv4 == 1


def test_assumptions_are_marked_where_the_document_is_silent():
    assumed = {(row.section, row.tier) for row in fp.all_rows() if row.assumed}
    assert assumed == {("9.3", "aio"), ("9.6", "mail")}


@pytest.mark.parametrize("variant,scale,voice,mail,expected", [
    ("connected", "large", False, False, ("7.4", "8.3")),
    ("connected", "large", True, False, ("7.4", "8.3", "8.4")),
    ("standalone", "small", False, True, ("7.4", "9.3", "9.6")),
    ("standalone", "small", False, False, ("7.4", "9.3")),
    ("standalone", "large", False, True, ("7.4", "8.3", "9.4", "9.6")),
    ("standalone", "large", True, True, ("7.4", "8.3", "9.4", "8.4", "9.5", "9.6")),
])
def test_sections_stack_as_the_document_says(variant, scale, voice, mail, expected):
    sections = fp.sections_for(variant, scale, voice, mail)
    assert sections == expected
    fp.rows_for(sections)  # no tier twice


def test_capacity_figures():
    assert (fp.USERS_PER_SET, fp.REGISTERED_PER_SET) == (20000, 100000)
    assert (fp.SMALL_MAX_CONCURRENT, fp.SMALL_MAX_REGISTERED) == (1000, 5000)
    assert (fp.VOICE_USERS_PER_SET, fp.VOICE_CALLS_PER_SET, fp.VOICE_SUBSCRIBERS_PER_PAIR) == (50000, 2000, 200000)
    assert (fp.MAX_RTT_MS, fp.MIN_NIC_MBPS, fp.MIN_WAN_MBPS, fp.LAN_CIDR) == (100.0, 1000, 50.0, "10.20.0.0/16")
