# -*- coding: utf-8 -*-
# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attributes the collection's modules share, written once."""

from __future__ import annotations


class ModuleDocFragment:
    """Use with ansible.builtin.action_common_attributes."""

    # Reads, measures or computes; changes nothing, so check mode runs it the same.
    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
    details: Nothing is changed in either mode; check mode runs it the same.
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

    # Changes the host; check mode reports what would change without changing it.
    CHANGES = r"""
options: {}
attributes:
  check_mode:
    support: full
    details: Reports what would change, and changes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
"""
