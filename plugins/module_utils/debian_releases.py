# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Debian releases an Edge host may run, and what is wrong with a host's.

The one place that says which releases the collection supports: the internal
role ``shared`` asks it for every role, through ``rainbow.edge.role_inputs``.
Debian stable is supported; oldstable still works, with a warning that names
the end of its support. Members of one HA pair, replica set or cluster run
one release: replication between major versions (MariaDB 10.11 and 11.8,
Swift 2.30 and 2.35) is only supported while a release upgrade moves them
one at a time, which is a Day-2 operation, not a converge.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Tuple

# major release -> (codename, support note); None for the current stable.
SUPPORTED: Dict[str, Tuple[str, Optional[str]]] = {
    "13": ("trixie", None),
    "12": ("bookworm", "oldstable: its regular security support ended in 2026-06, Debian LTS covers it until 2028-06"),
}
STABLE = "13"


def supported_text() -> str:
    """``Debian 13 (trixie) or 12 (bookworm)``, newest first."""
    names = [f"{major} ({codename})" for major, (codename, _note) in sorted(SUPPORTED.items(), key=lambda item: -int(item[0]))]
    return "Debian " + " or ".join(names)


def release_findings(host: str, distribution: Optional[str], major: Optional[str],
                     peers: Optional[Mapping[str, Optional[str]]] = None,
                     peer_label: str = "members") -> Tuple[List[str], List[str]]:
    """(errors, warnings) about the release ``host`` runs and the releases of its ``peers``.

    ``peers`` maps each member of the host's HA pair, replica set or cluster
    (the host itself may be among them) to its Debian major release, or to
    None when its facts are unknown (a host outside the play's limit): those
    are left out of the comparison, not guessed.
    """
    errors: List[str] = []
    warnings: List[str] = []
    major = None if major is None else str(major)
    if distribution != "Debian":
        errors.append(f"{host} runs {distribution or 'an unknown system'} {major or ''}".rstrip()
                      + f": Edge hosts run {supported_text()}.")
    elif major not in SUPPORTED:
        errors.append(f"{host} runs Debian {major}: Edge hosts run {supported_text()};"
                      f" reinstall it with Debian {STABLE}.")
    elif SUPPORTED[major][1]:
        warnings.append(f"{host} runs Debian {major} ({SUPPORTED[major][0]}), {SUPPORTED[major][1]};"
                        f" new Edges are installed with Debian {STABLE}.")
    known = {name: str(release) for name, release in (peers or {}).items() if release not in (None, "")}
    if major is not None and host in (peers or {}):
        known[host] = major
    if len(set(known.values())) > 1:
        listing = ", ".join(f"{name}: Debian {known[name]}" for name in sorted(known))
        errors.append(f"The {peer_label} of {host} run different Debian releases ({listing}): they replicate"
                      f" with each other and must run one release; a converge does not move them from one"
                      f" release to another (that is a release upgrade, one member at a time).")
    return errors, warnings
