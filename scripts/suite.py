# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the molecule suite runs, and what a passing run proved.

scripts/test asks this file which scenarios to run and records each pass:

* Every scenario has metadata in ``molecule/<scenario>/suite.yml`` (order,
  expected minutes, the environment it needs, how it runs on Debian 12).
* Scenarios run on Debian 13 (the lab's default image). One whose metadata
  says ``debian12: full`` or ``debian12: idempotence`` also runs as
  ``<scenario>@debian12`` on the Debian 12 image: every stage, or only
  converge and its rerun (changed=0). Both use the same containers, so they
  are placed in one lane, one after the other.
* A scenario's **inputs** are derived from the code: its own directory, the
  shared molecule layer, the playbooks its converge and tests run, the roles
  those reach (``rainbow.edge.<role>``, ``include_role``, ``tasks_from``;
  a role applied by a loop only to the hosts of its own group, as
  playbooks/check_inputs.yml does, only when the scenario has such hosts),
  the plugins the roles and playbooks name (modules, their module_utils,
  tests, filters, doc fragments), the lab recipe and the tool pins. The rule
  is conservative: a tracked file is an input unless it lies in an area this
  derivation understands (another scenario, a role, playbook or plugin not
  reached) or is on the short list of files no scenario reads (docs, unit
  tests, changelogs, receipts, lint settings, this planner).
* A scenario whose metadata says ``inputs: all`` (``ee``: the execution
  environment packs the whole collection) reads every file but the receipts
  and the planner's metadata (``suite.yml``), which no run reads.
* A pass writes ``tests/receipts/<scenario>.json``: the hash of those inputs,
  the date, each stage's wall time and the figures the verify printed. A
  scenario whose inputs hash to its receipt's key, less than 7 days old, is
  not run again (the Debian archive moves under a fixed hash).
* ``plan`` places the scenarios to run in lanes and, given a budget, refuses
  at once when they would not finish in it.

Standard library only, Python 3.9+: CI calls it before any tool is installed.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import functools
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECEIPT_DIR = "tests/receipts"
RECEIPT_DAYS = 7
HISTORY = 10
# lint (with the documentation site and galaxy-importer), unit, sanity and the
# set-up around them on a fresh machine (about 5 minutes before the
# documentation site and galaxy-importer, which each add 2 to 4); counted in
# the budget with the scenarios.
GATE_MINUTES = 12

# Inputs of every scenario: the molecule layer, how the lab is built and
# how a scenario is run.
COMMON_INPUTS = (
    "molecule/shared/",
    "molecule/conftest.py",
    ".config/molecule/",
    "ansible.cfg",
    "pytest.ini",
    "galaxy.yml",
    "meta/runtime.yml",
    "requirements.txt",
    "scripts/test",
    "scripts/lib.sh",
    "scripts/setup",
    "scripts/lab",
)
# Read by no scenario: what the derivation may leave out.
NOT_INPUTS = (
    ".ci/",
    ".ansible-lint",
    ".ansible-lint-ignore",
    ".gitignore",
    ".yamllint",
    "COPYING",
    "README.md",
    "changelogs/",
    "CHANGELOG.rst",
    "docs/",
    "inventories/",
    "scripts/check_docsite.py",
    "scripts/gates.sh",
    "scripts/gates/",
    "scripts/pip_bootstrap.py",
    "scripts/render_inventories.py",
    "scripts/render_playbook_docs.py",
    "scripts/suite.py",
    RECEIPT_DIR + "/",
    "tests/unit/",
    # The execution environment's definition, and what this collection tells
    # ansible-builder: read by the ee scenario only (inputs: all).
    "execution-environment/",
    "meta/execution-environment.yml",
    "meta/ee-requirements.txt",
    "meta/ee-bindep.txt",
)
# Areas whose files are inputs only when the derivation reaches them.
DERIVED_AREAS = ("molecule/", "playbooks/", "roles/", "plugins/")
# Scripts that run one scenario themselves (or build what it tests).
SCENARIO_SCRIPTS = {"connected": ("scripts/demo",), "ee": ("scripts/build-ee", "scripts/ee_collections.py")}

STAGES = ("destroy", "syntax", "create", "prepare", "converge", "idempotence", "check", "verify")
METADATA_KEYS = {"order": int, "minutes": int, "requires_env": str, "why": str, "debian12": str, "inputs": str}
# suite.yml's inputs: derived from the code (not set), or every file.
ALL_INPUTS = "all"
# How a scenario runs on an older release (suite.yml's debian12): molecule's
# whole test sequence, or converge and its rerun only.
RELEASE_SEQUENCES = {
    "full": ("test",),
    "idempotence": ("destroy", "create", "prepare", "converge", "idempotence"),
}
VARIANT = "@debian"

_TOKEN = re.compile(r"rainbow\.edge\.([a-z_][a-z0-9_]*)")
_DYNAMIC_ROLE = re.compile(r"rainbow\.edge\.\{\{")
# rainbow.edge.{{ var }} where var is a loop_var: the roles of that loop's list.
_DYNAMIC_ROLE_VAR = re.compile(r"rainbow\.edge\.\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
_LOOP_VAR = re.compile(r"loop_var:\s*([a-z_][a-z0-9_]*)")
_LITERAL_LOOP = re.compile(r"loop:\s*\[([a-z0-9_,\s]*)\]\s*\n\s*loop_control:\s*\n\s*loop_var:\s*([a-z_][a-z0-9_]*)")
# A dynamic role applied only to the hosts of the group of the same name
# (and, always, the one named): `when: var == 'common' or var in group_names`.
_GROUP_GATED = re.compile(r"when:\s*([a-z_][a-z0-9_]*)\s*==\s*'([a-z0-9_]+)'\s+or\s+\1\s+in\s+group_names\s*\n")
# The groups of a scenario's hosts (molecule.yml's platforms, flow lists).
_PLATFORM_GROUPS = re.compile(r"^\s*groups:\s*(.*)$", re.M)
_IMPORT_PLAYBOOK = re.compile(r"(?:import|include)_playbook:\s*[\"']?([^\s\"'{}]+\.ya?ml)")
_INCLUDE_TASKS = re.compile(r"(?:import|include)_tasks:\s*[\"']?([^\s\"'{}]+\.ya?ml)")
_TEST_PLAYBOOK = re.compile(r"playbook\(\s*[\"']([a-z0-9_]+)[\"']")
# A scenario that converges a playbook not named after it (molecule.yml).
_LAB_PLAYBOOK = re.compile(r"RAINBOW_EDGE_LAB_PLAYBOOK:\s*[\"']?([a-z0-9_]+)")
_ROLE_PATH = re.compile(r"roles/([a-z0-9_]+)/")
# A repository path a scenario's test names as a string (another scenario's
# client it installs, a plugin's pure-Python helper it imports by path).
_REPO_PATH = re.compile(r"\b((?:molecule|plugins|playbooks|scripts)/[A-Za-z0-9_./-]+\.[a-z]+)\b")
# A module of molecule/ a scenario's test imports by name (pytest puts
# conftest.py's directory on the path): helpers shared by some scenarios only.
_MOLECULE_IMPORT = re.compile(r"^(?:from|import)\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)
# A lab tree handed to an imported playbook's copy in a variable named *_src
# (another scenario's fixture), relative to the playbook that sets it, as
# Ansible reads it from the imported playbook when both are in one directory
# or the path goes through the scenarios' directory (../<scenario>/...).
# A plain `src:` is not followed: the voice scenario's copy of
# molecule/api/build_vendor_repo.sh, and the one molecule/api/vendor_repo.yml
# makes for the aio scenario, are not their inputs (to follow at the next
# renewal of every scenario).
_COPY_SRC = re.compile(r"\b[a-z_]+_src:\s*[\"']?([^\s\"'{},]+)")
_MODULE_UTIL = re.compile(r"module_utils\.([a-z0-9_]+)")
_PLUGIN_IMPORT = re.compile(
    r"ansible_collections\.rainbow\.edge\.plugins\.(filter|test|modules|action|lookup|callback|inventory)\.([a-z0-9_]+)")
_DEFINED_NAME = re.compile(r"[\"']([a-z0-9_]+)[\"']\s*:")
# Documentation inside derived areas (a role's README): Ansible never reads it.
_DOC = re.compile(r"\.(md|rst|txt)$")
# A scenario's planner metadata.
_METADATA = re.compile(r"molecule/[^/]+/suite\.yml")


class SuiteError(Exception):
    """A problem in the suite's own files (metadata, receipts)."""


# ---------------------------------------------------------------- metadata

@dataclass
class Scenario:
    name: str
    order: int = 100
    minutes: int = 10
    requires_env: str = ""
    why: str = ""
    debian12: str = ""
    inputs: str = ""
    # Set on a release variant (mariadb@debian12): the scenario it runs, the release.
    base: str = ""
    release: str = "13"

    @property
    def molecule_scenario(self) -> str:
        return self.base or self.name

    @property
    def sequence(self) -> tuple:
        return RELEASE_SEQUENCES[self.debian12] if self.base else RELEASE_SEQUENCES["full"]

    def runnable(self, environ) -> bool:
        return not self.requires_env or environ.get(self.requires_env) == "1"


def parse_metadata(text: str, where: str) -> dict:
    """The flat ``key: value`` YAML of suite.yml (ints and strings, # comments).

    A subset read without PyYAML, which CI does not have before its set-up;
    a unit test checks that PyYAML reads every suite.yml the same way.
    """
    data: dict = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or line == "---":
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or key not in METADATA_KEYS:
            raise SuiteError(f"{where}:{number}: unknown line {raw!r} (keys: {', '.join(METADATA_KEYS)})")
        value = value.strip()
        if value[:1] in "\"'":
            quote = value[0]
            end = value.find(quote, 1)
            if end < 0:
                raise SuiteError(f"{where}:{number}: unterminated string")
            value = value[1:end]
        else:
            value = value.split(" #", 1)[0].strip()
        try:
            data[key] = METADATA_KEYS[key](value)
        except ValueError:
            raise SuiteError(f"{where}:{number}: {key} must be {METADATA_KEYS[key].__name__}, not {value!r}") from None
    return data


def scenario_metadata(name: str, root: Path = ROOT) -> dict:
    """What ``molecule/<name>/suite.yml`` says, checked; {} when there is none."""
    meta = root / "molecule" / name / "suite.yml"
    if not meta.is_file():
        return {}
    where = str(meta.relative_to(root))
    data = parse_metadata(meta.read_text(), where)
    if data.get("debian12", "") not in ("",) + tuple(RELEASE_SEQUENCES):
        raise SuiteError(f"{where}: debian12 must be one of {', '.join(RELEASE_SEQUENCES)}")
    if data.get("inputs", "") not in ("", ALL_INPUTS):
        raise SuiteError(f"{where}: inputs must be {ALL_INPUTS} (or not set: derived from the code)")
    return data


def load_scenarios(root: Path = ROOT) -> dict[str, Scenario]:
    scenarios = {}
    for config in sorted((root / "molecule").glob("*/molecule.yml")):
        name = config.parent.name
        data = scenario_metadata(name, root)
        scenarios[name] = Scenario(name=name, **data)
        if data.get("debian12"):
            variant = dict(data, base=name, release="12")
            scenarios[name + VARIANT + "12"] = Scenario(name=name + VARIANT + "12", **variant)
    return dict(sorted(scenarios.items(), key=lambda item: (item[1].order, item[0])))


# ---------------------------------------------------------------- inputs

def tracked_files(root: Path = ROOT) -> list[str]:
    """Files git tracks, and untracked ones it does not ignore (a local run's new files)."""
    out = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True, capture_output=True,
    ).stdout.decode()
    return sorted({path for path in out.split("\0") if path and (root / path).is_file()})


def _under(path: str, prefixes) -> bool:
    return any(path == prefix or (prefix.endswith("/") and path.startswith(prefix)) for prefix in prefixes)


@functools.lru_cache(maxsize=8)
def _index(files: tuple) -> tuple[frozenset, dict, dict]:
    """The tracked files as a set, by role, and by plugin type."""
    by_role: dict[str, list[str]] = {}
    by_plugin_type: dict[str, list[str]] = {}
    for path in files:
        parts = path.split("/")
        if parts[0] == "roles" and len(parts) > 2 and not _DOC.search(path):
            by_role.setdefault(parts[1], []).append(path)
        elif parts[0] == "plugins" and len(parts) > 2:
            by_plugin_type.setdefault(parts[1], []).append(path)
    return frozenset(files), by_role, by_plugin_type


@dataclass
class _Walk:
    root: Path
    files: list[str]
    texts: dict = field(default_factory=dict)   # path -> text, shared between walks
    reached: set = field(default_factory=set)
    roles: set = field(default_factory=set)
    names: set = field(default_factory=set)
    queue: list = field(default_factory=list)
    # The scenario's host groups; None when unknown (every group).
    groups: frozenset | None = None

    def __post_init__(self):
        self.fileset, self.by_role, self.by_plugin_type = _index(tuple(self.files))

    def add(self, path: str) -> None:
        if path in self.fileset and path not in self.reached:
            self.reached.add(path)
            self.queue.append(path)

    def add_role(self, role: str) -> None:
        if role in self.roles or role not in self.by_role:
            return
        self.roles.add(role)
        for path in self.by_role[role]:
            self.add(path)

    def all_roles(self) -> None:
        for role in self.by_role:
            self.add_role(role)

    def name_token(self, name: str) -> None:
        """``rainbow.edge.<name>``: a role, a module, a doc fragment, or a test/filter plugin's name."""
        if name in self.names:
            return
        self.names.add(name)
        self.add_role(name)
        for kind in ("modules", "doc_fragments", "action", "lookup", "callback", "inventory"):
            self.add(f"plugins/{kind}/{name}.py")
        for kind in ("test", "filter"):
            for path in self.by_plugin_type.get(kind, ()):
                defines = path.endswith(".py") and name in _DEFINED_NAME.findall(self._text(path))
                if Path(path).stem == name or defines:
                    self.add(path)
                    # A test or filter's documentation sits beside it, under its own name.
                    self.add(f"plugins/{kind}/{name}.yml")

    def _text(self, path: str) -> str:
        if path not in self.texts:
            try:
                self.texts[path] = (self.root / path).read_text(errors="replace")
            except OSError:
                self.texts[path] = ""
        return self.texts[path]

    def loop_roles(self, var: str) -> list[str] | None:
        """The roles a ``rainbow.edge.{{ var }}`` reference can name: those of the
        literal loop lists that set ``var``, or None (every role) when any loop
        setting it is not a literal list."""
        literal: list[str] = []
        settings = 0
        for path in self.files:
            if not _under(path, ("playbooks/", "roles/")) or not path.endswith((".yml", ".yaml")):
                continue
            text = self._text(path)
            settings += _LOOP_VAR.findall(text).count(var)
            for items, loop_var in _LITERAL_LOOP.findall(text):
                if loop_var == var:
                    literal += [item.strip() for item in items.split(",") if item.strip()]
                    settings -= 1
        return literal if literal and settings == 0 else None

    def scan(self, path: str) -> None:
        text = self._text(path)
        for name in _TOKEN.findall(text):
            self.name_token(name)
        if _DYNAMIC_ROLE.search(text):
            gated = dict(_GROUP_GATED.findall(text))
            for var in set(_DYNAMIC_ROLE_VAR.findall(text)) or {""}:
                roles = self.loop_roles(var) if var else None
                if roles is None:
                    self.all_roles()
                    break
                if var in gated and self.groups is not None:
                    # Applied to no host of this scenario: never run, not an input.
                    roles = [role for role in roles if role == gated[var] or role in self.groups]
                for role in roles:
                    self.add_role(role)
            if len(_DYNAMIC_ROLE.findall(text)) > len(_DYNAMIC_ROLE_VAR.findall(text)):
                self.all_roles()
        base = os.path.dirname(path)
        for target in _IMPORT_PLAYBOOK.findall(text) + _INCLUDE_TASKS.findall(text):
            self.add(os.path.normpath(os.path.join(base, target)))
        if path.startswith("molecule/") and path.endswith((".yml", ".yaml")):
            for target in _COPY_SRC.findall(text):
                source = os.path.normpath(os.path.join(base, target))
                self.add(source)
                for file in self.files:
                    if file.startswith(source.rstrip("/") + "/"):
                        self.add(file)
        for name in _TEST_PLAYBOOK.findall(text) + _LAB_PLAYBOOK.findall(text):
            self.add(f"playbooks/{name}.yml")
        for role in _ROLE_PATH.findall(text):
            self.add_role(role)
        if path.startswith("molecule/") and path.endswith(".py"):
            for named in _REPO_PATH.findall(text):
                self.add(named)
            for module in _MOLECULE_IMPORT.findall(text):
                self.add(f"molecule/{module}.py")
        if path.endswith(".py"):
            for util in _module_utils_imported(text, path):
                self.add(f"plugins/module_utils/{util}.py")
            # A plugin that imports another (a filter using another filter's function).
            for kind, name in _PLUGIN_IMPORT.findall(text):
                self.add(f"plugins/{kind}/{name}.py")


def _module_utils_imported(text: str, path: str) -> frozenset:
    """The collection's module_utils a Python file imports, in any import form."""
    return _imported_utils(text, path.startswith("plugins/module_utils/"))


@functools.lru_cache(maxsize=4096)
def _imported_utils(text: str, in_utils: bool) -> frozenset:
    package = "ansible_collections.rainbow.edge.plugins.module_utils"
    try:
        tree = ast.parse(text)
    except SyntaxError:
        # Not Python 3 this parser reads: conservatively, every name that looks like one.
        return frozenset(_MODULE_UTIL.findall(text))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and module == package or (in_utils and node.level == 1 and not module):
                found.update(alias.name for alias in node.names)
            elif node.level == 0 and module.startswith(package + "."):
                found.add(module[len(package) + 1:].split(".")[0])
            elif in_utils and node.level == 1:
                found.add(module.split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(package + "."):
                    found.add(alias.name[len(package) + 1:].split(".")[0])
    return frozenset(found)


def scenario_groups(name: str, root: Path = ROOT) -> frozenset | None:
    """The groups of scenario ``name``'s hosts, from its molecule.yml's platforms; None when any
    ``groups:`` there is not a flow list of names (then every group counts)."""
    try:
        text = (root / "molecule" / name / "molecule.yml").read_text()
    except OSError:
        return None
    if re.search(r"^\s*children:", text, re.M):
        return None  # groups made of groups: not read here
    groups: set = set()
    for value in _PLATFORM_GROUPS.findall(text):
        listed = re.fullmatch(r"\[([a-z0-9_,\s]*)\]\s*(#.*)?", value.strip())
        if not listed:
            return None
        groups.update(item.strip() for item in listed.group(1).split(",") if item.strip())
    return frozenset(groups)


def scenario_inputs(name: str, root: Path = ROOT, files: list[str] | None = None,
                    texts: dict | None = None) -> list[str]:
    """Every tracked file whose change could change what scenario ``name`` does.

    ``texts`` caches file contents between calls (path -> text).
    """
    files = tracked_files(root) if files is None else files
    name = name.split(VARIANT)[0]  # a release variant reads what its scenario reads
    if scenario_metadata(name, root).get("inputs") == ALL_INPUTS:
        return sorted(f for f in files if not _under(f, (RECEIPT_DIR + "/",)) and not _METADATA.fullmatch(f))
    walk = _Walk(root=root, files=files, texts={} if texts is None else texts, groups=scenario_groups(name, root))
    # A scenario's suite.yml is the planner's (order, minutes), not molecule's.
    seeds = [f for f in files if (f.startswith(f"molecule/{name}/") and not f.endswith("/suite.yml"))
             or _under(f, COMMON_INPUTS)]
    seeds += list(SCENARIO_SCRIPTS.get(name, ()))
    # molecule/shared/converge.yml imports the base and the playbook named
    # after the scenario (a name it reads from the environment).
    seeds += ["playbooks/common.yml", f"playbooks/{name}.yml"]
    for path in seeds:
        walk.add(path)
    while walk.queue:
        walk.scan(walk.queue.pop())
    derived_or_excluded = DERIVED_AREAS + NOT_INPUTS + tuple(p for s in SCENARIO_SCRIPTS.values() for p in s)
    undecided = [f for f in files if not _under(f, derived_or_excluded) and not _under(f, COMMON_INPUTS)]
    return sorted(walk.reached | set(undecided))


def file_digest(full: Path) -> str:
    """A file's content and executable bit."""
    mode = "x" if os.access(full, os.X_OK) else "-"
    return mode + hashlib.sha256(full.read_bytes()).hexdigest()


def input_key(paths, root: Path = ROOT, digests: dict | None = None) -> str:
    """One hash of the inputs' names and contents (``digests``: path -> file_digest, precomputed)."""
    key = hashlib.sha256()
    for path in sorted(paths):
        digest = digests[path] if digests and path in digests else file_digest(root / path)
        key.update(f"{path}\0{digest}\n".encode())
    return key.hexdigest()


def scenario_key(name: str, root: Path = ROOT, files: list[str] | None = None) -> str:
    key = input_key(scenario_inputs(name, root, files), root)
    if VARIANT in name:  # the same inputs on another release: another receipt
        key = hashlib.sha256(f"{key}\0{name.split(VARIANT)[1]}".encode()).hexdigest()
    return key


# ---------------------------------------------------------------- receipts

def receipt_path(name: str, root: Path = ROOT) -> Path:
    return root / RECEIPT_DIR / f"{name}.json"


def read_receipt(name: str, root: Path = ROOT) -> dict | None:
    path = receipt_path(name, root)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path.relative_to(root)}: not JSON ({exc})") from None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def receipt_verdict(receipt: dict | None, key: str, now: dt.datetime | None = None) -> str:
    """'' when the receipt covers ``key`` and is fresh; otherwise why not."""
    now = now or _now()
    if not receipt:
        return "no receipt"
    if receipt.get("input_key") != key:
        return "inputs changed since its receipt"
    age = now - _parse_time(receipt["passed"])
    if age > dt.timedelta(days=RECEIPT_DAYS):
        return f"receipt of {receipt['passed'][:10]} is older than {RECEIPT_DAYS} days"
    return ""


def stage_times(log_text: str, scenario: str) -> dict[str, int]:
    """Seconds per molecule action, from a log whose lines start with epoch seconds.

    scripts/test stamps every line; molecule marks each action with
    ``<scenario> ➜ <action>: Executing``. An action that runs twice (destroy)
    is added up.
    """
    marks = []
    pattern = re.compile(r"^(\d+) .*?\b" + re.escape(scenario) + r" ➜ ([a-z_]+): Executing")
    last = None
    for line in log_text.splitlines():
        stamp, _sep, _rest = line.partition(" ")
        if stamp.isdigit():
            last = int(stamp)
        match = pattern.match(re.sub(r"\x1b\[[0-9;]*m", "", line))
        if match:
            marks.append((int(match.group(1)), match.group(2)))
    times: dict[str, int] = {}
    for (start, action), (end, _next) in zip(marks, marks[1:] + [(last or 0, "")]):
        if action == "dependency":
            continue
        times[action] = times.get(action, 0) + max(0, end - start)
    return times


def figures(log_text: str) -> list[str]:
    """Figures a verify printed (``FIGURE: ...``, lynis's index)."""
    found = []
    for line in log_text.splitlines():
        clean = re.sub(r"\x1b\[[0-9;]*m", "", line)
        match = re.search(r"(FIGURE: .*|lynis hardening index.*)$", clean)
        if match:
            found.append(match.group(1).strip())
    return found


def write_receipt(name: str, key: str, log_text: str, jobs: int, wall: int, root: Path = ROOT,
                  debian: str = "13") -> dict:
    previous = read_receipt(name, root) or {}
    now = _now().isoformat().replace("+00:00", "Z")
    entry = {"passed": now, "wall_seconds": wall, "jobs": jobs}
    receipt = {
        "scenario": name,
        "debian": debian,
        "input_key": key,
        "passed": now,
        "jobs": jobs,
        "wall_seconds": wall,
        "stages": stage_times(log_text, name.split(VARIANT)[0]),
        "figures": figures(log_text),
        "history": ([entry] + previous.get("history", []))[:HISTORY],
    }
    path = receipt_path(name, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(receipt, indent=2) + "\n")
    return receipt


def expected_minutes(scenario: Scenario, receipt: dict | None, jobs: int) -> int:
    """The latest measured wall time with the same number of lanes, else any, else the metadata's."""
    history = (receipt or {}).get("history", [])
    same = [entry for entry in history if entry.get("jobs") == jobs]
    for entries in (same, history):
        if entries:
            return max(1, -(-entries[0]["wall_seconds"] // 60))
    return scenario.minutes


# ---------------------------------------------------------------- plan

@dataclass
class Plan:
    run: list[str]
    skipped: dict[str, str]      # name -> why it is not run
    minutes: dict[str, int]
    lanes: list[list[str]]

    @property
    def wall_minutes(self) -> int:
        return max([sum(self.minutes[s] for s in lane) for lane in self.lanes] or [0])


def make_plan(requested: list[str] | None, jobs: int, run_all: bool, root: Path = ROOT,
              environ=None, now: dt.datetime | None = None) -> Plan:
    environ = os.environ if environ is None else environ
    scenarios = load_scenarios(root)
    unknown = [name for name in requested or [] if name not in scenarios]
    if unknown:
        raise SuiteError(f"unknown scenario(s): {', '.join(unknown)} (known: {', '.join(scenarios)})")
    explicit = bool(requested)
    files = tracked_files(root)
    run, skipped, minutes = [], {}, {}
    for name, scenario in scenarios.items():
        if requested and name not in requested:
            continue
        if not scenario.runnable(environ):
            skipped[name] = f"needs {scenario.requires_env}=1: {scenario.why}"
            continue
        receipt = read_receipt(name, root)
        if not (run_all or explicit):
            verdict = receipt_verdict(receipt, scenario_key(name, root, files), now)
            if not verdict:
                skipped[name] = f"passed {receipt['passed']} with these inputs (receipt {RECEIPT_DIR}/{name}.json)"
                continue
        run.append(name)
        minutes[name] = expected_minutes(scenario, receipt, jobs)
    # A scenario and its release variants share containers: one unit, one
    # lane. Longest unit first, each into the lane that ends first.
    units: dict[str, list[str]] = {}
    for name in run:
        units.setdefault(scenarios[name].molecule_scenario, []).append(name)
    lanes: list[list[str]] = [[] for _lane in range(max(1, jobs))]
    loads = [0] * len(lanes)
    for unit in sorted(units.values(), key=lambda u: (-sum(minutes[n] for n in u), scenarios[u[0]].order)):
        best = loads.index(min(loads))
        lanes[best].extend(unit)
        loads[best] += sum(minutes[n] for n in unit)
    return Plan(run=run, skipped=skipped, minutes=minutes, lanes=[lane for lane in lanes if lane])


def cmd_plan(args) -> int:
    plan = make_plan(args.scenarios, args.jobs, args.all)
    for name, why in plan.skipped.items():
        print(f"skip {name}: {why}", file=sys.stderr)
    total = plan.wall_minutes + GATE_MINUTES
    for number, lane in enumerate(plan.lanes, 1):
        print(f"lane {number}: " + ", ".join(f"{n} (~{plan.minutes[n]} min)" for n in lane), file=sys.stderr)
    print(f"expected: {plan.wall_minutes} min of scenarios in {len(plan.lanes)} lane(s) + {GATE_MINUTES} min of "
          f"set-up and gates = {total} min", file=sys.stderr)
    if args.budget and total > args.budget:
        print(f"\nOVER BUDGET: {total} min > {args.budget} min. Nothing was started.\n"
              "Run these scenarios locally first, so that their receipts land with the change:\n"
              + "".join(f"  scripts/test molecule:{name}    (~{plan.minutes[name]} min)\n" for name in plan.run)
              + f"then commit {RECEIPT_DIR}/.", file=sys.stderr)
        return 3
    for lane in plan.lanes:
        print(" ".join(lane))
    return 0


def cmd_inputs(args) -> int:
    print("\n".join(scenario_inputs(args.scenario)))
    return 0


def cmd_key(args) -> int:
    print(scenario_key(args.scenario))
    return 0


def cmd_how(args) -> int:
    """``<molecule scenario> <Debian release> <molecule action>...``: how scripts/test runs one."""
    scenarios = load_scenarios()
    if args.scenario not in scenarios:
        raise SuiteError(f"unknown scenario {args.scenario} (known: {', '.join(scenarios)})")
    scenario = scenarios[args.scenario]
    print(" ".join((scenario.molecule_scenario, scenario.release) + scenario.sequence))
    return 0


def cmd_record(args) -> int:
    """Write the receipt of a passing run, if its inputs did not change during it."""
    key_now = scenario_key(args.scenario)
    if key_now != args.key:
        print(f"{args.scenario}: its inputs changed while it ran; no receipt written", file=sys.stderr)
        return 0
    log_text = Path(args.log).read_text(errors="replace")
    scenario = load_scenarios().get(args.scenario)
    receipt = write_receipt(args.scenario, args.key, log_text, args.jobs, args.wall,
                            debian=scenario.release if scenario else "13")
    print(format_stages(args.scenario, receipt["stages"], args.wall), file=sys.stderr)
    return 0


def format_stages(name: str, stages: dict[str, int], wall: int) -> str:
    cells = "  ".join(f"{stage} {stages[stage]}s" for stage in STAGES if stage in stages)
    return f"  {name}: {cells}  (wall {wall}s)"


def cmd_stages(args) -> int:
    log_text = Path(args.log).read_text(errors="replace")
    print(format_stages(args.scenario, stage_times(log_text, args.scenario), args.wall), file=sys.stderr)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="lanes of the scenarios to run, one per line on stdout")
    plan.add_argument("scenarios", nargs="*")
    plan.add_argument("--jobs", type=int, default=2)
    plan.add_argument("--all", action="store_true", help="ignore receipts")
    plan.add_argument("--budget", type=int, default=0, help="minutes; refuse (exit 3) above it")
    plan.set_defaults(func=cmd_plan)
    for name, func in (("inputs", cmd_inputs), ("key", cmd_key), ("how", cmd_how)):
        one = sub.add_parser(name)
        one.add_argument("scenario")
        one.set_defaults(func=func)
    record = sub.add_parser("record", help="write the receipt of a passing run")
    stages = sub.add_parser("stages", help="print a run's stage times")
    for one, func in ((record, cmd_record), (stages, cmd_stages)):
        one.add_argument("scenario")
        one.add_argument("log")
        one.add_argument("--wall", type=int, required=True)
        one.set_defaults(func=func)
    record.add_argument("--key", required=True)
    record.add_argument("--jobs", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SuiteError as exc:
        print(f"suite: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
