# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bootstraps pip into an empty virtual environment, as get-pip.py does.

ansible-test creates a virtual environment per sanity test without pip, then
runs get-pip.py from its cache, downloading it from a host this project's
machines cannot reach. scripts/test puts this file in that cache instead:
pip comes from the interpreter's own ensurepip, then the versions
ansible-test asks for come from the package index like every other package.
ansible-test calls it with pip's install options, the packages, and
get-pip's own --no-setuptools/--no-wheel (which pip does not know).
"""

import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

# In a process of its own: ensurepip blanks pip's configuration (PIP_CONFIG_FILE)
# in the environment of the process that calls it, certificates included.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *[a for a in sys.argv[1:] if a not in GET_PIP_ONLY]]))
