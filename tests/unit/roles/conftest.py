"""The programs the roles install on the Edge's hosts (roles/<role>/files/usr/local/lib/<dir>/), importable here
by their own names, as the hosts' python3 runs them (each name is unique across the roles). No bytecode is
written beside them: the roles copy those directories."""

import sys
from pathlib import Path

sys.dont_write_bytecode = True
for _directory in sorted((Path(__file__).resolve().parents[3] / "roles").glob("*/files/usr/local/lib/*/")):
    sys.path.insert(0, str(_directory))
