"""The trunk mark: the In-Country Nodes put it on a trunk's call, the voice proxies trust it from them.

Both roles name it in their vars (a role's vars are its own); the two names must stay one.
"""

from pathlib import Path

import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"


def test_the_in_country_nodes_and_the_voice_proxies_name_the_same_trunk_mark():
    icn = yaml.safe_load((ROLES / "icn" / "vars" / "main.yml").read_text())
    proxy = yaml.safe_load((ROLES / "voice_proxy" / "vars" / "main.yml").read_text())
    assert icn["__icn_trunk_header"] == proxy["__voice_proxy_trunk_header"] == "X-Rainbow-Edge-Trunk"
