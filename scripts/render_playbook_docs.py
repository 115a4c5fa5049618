"""Writes docs/docsite/rst/playbooks.rst: every playbook, and what each Edge variant deploys.

The documentation site (antsibull-docs, built by the lint stage of
scripts/test) documents modules, plugins and roles from their own
documentation; playbooks have none of that kind, so this page is rendered
from each playbook's opening comment and its plays, and from the footprint
catalog for the variants. tests/unit/scripts/test_render_playbook_docs.py
fails when the committed page differs from what this script renders. Run it
after changing a playbook's opening comment or a play's name:

    .venv/bin/python scripts/render_playbook_docs.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / ".collections"))

from ansible_collections.rainbow.edge.plugins.module_utils import edge_footprint as fp  # noqa: E402

PAGE = REPO / "docs" / "docsite" / "rst" / "playbooks.rst"
LABEL = "ansible_collections.rainbow.edge.docsite.playbooks"

# Playbooks an operator runs for something other than deploying a tier.
WHOLE_EDGE = ("site", "check", "connected", "standalone_small", "standalone_large", "preflight", "check_inputs", "plan")
OPERATIONS = ("health", "smoke", "api_rolling_restart", "mariadb_failover", "mariadb_switchover", "backup_restore_files",
              "backup_restore_mariadb", "backup_restore_swift")

# (title, variant, scale, voice, its whole-Edge playbook)
VARIANTS = (
    ("Connected Edge", "connected", "large", False, "connected"),
    ("Connected Edge with voice", "connected", "large", True, "connected"),
    ("Standalone Edge, small scale (All-in-One)", "standalone", "small", False, "standalone_small"),
    ("Standalone Edge, large scale", "standalone", "large", False, "standalone_large"),
    ("Standalone Edge, large scale with voice", "standalone", "large", True, "standalone_large"),
)


def opening_comment(text: str) -> str:
    """The comment lines before the first play, as one paragraph per blank comment line."""
    paragraphs, current = [], []
    for line in text.splitlines()[1:]:
        if not line.startswith("#"):
            break
        words = line[1:].strip()
        if words:
            current.append(words)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def plays(text: str) -> list:
    """(name, hosts or the imported playbook) of each top-level play."""
    out = []
    for play in yaml.safe_load(text) or []:
        target = play.get("hosts") or play.get("ansible.builtin.import_playbook") or play.get("import_playbook")
        out.append((play.get("name", "(unnamed)"), str(target)))
    return out


def literal(text: str) -> str:
    """Inline text that RST must not read as markup."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`").replace("|", "\\|").replace("_ ", "\\_ ")


def section(title: str, char: str) -> list:
    return [title, char * len(title), ""]


def playbook_entry(path: Path) -> list:
    text = path.read_text()
    lines = section("playbooks/%s" % path.name, "^")
    lines += [literal(paragraph) + "\n" for paragraph in opening_comment(text).split("\n\n") if paragraph]
    lines += ["Plays:", ""]
    lines += ["- %s (``%s``)" % (literal(name), target) for name, target in plays(text)]
    return lines + [""]


def in_site(tier: str) -> bool:
    """site.yml imports the tier's playbook, or its parts (gatekeeper_gateway.yml, gatekeeper_api.yml)."""
    imported = [target[:-len(".yml")] for _name, target in plays((REPO / "playbooks" / "site.yml").read_text())]
    return any(name == tier or name.startswith(tier + "_") for name in imported)


def variant_table() -> list:
    lines = [".. list-table::", "   :header-rows: 1", "", "   * - Variant", "     - Whole-Edge playbook",
             "     - Tiers (inventory groups)", "     - Tier playbooks that deploy them"]
    for title, variant, scale, voice, whole in VARIANTS:
        mail = variant == "standalone"
        tiers = [row.tier for row in fp.rows_for(fp.sections_for(variant, scale, voice, mail))]
        built = [tier for tier in tiers if (REPO / "playbooks" / ("%s.yml" % tier)).exists()]
        missing = [tier for tier in tiers if tier not in built]
        deployed = ", ".join("``playbooks/%s.yml``" % tier for tier in built if in_site(tier))
        alone = [tier for tier in built if not in_site(tier)]
        if alone:
            deployed += "; run on their own, not yet in ``site.yml``: %s" % ", ".join(
                "``playbooks/%s.yml``" % tier for tier in alone)
        if missing:
            deployed += "; not yet built: %s" % ", ".join("``%s``" % tier for tier in missing)
        lines += ["   * - %s" % title, "     - ``playbooks/%s.yml``" % whole,
                  "     - %s" % ", ".join("``%s``" % tier for tier in tiers), "     - %s" % deployed]
    return lines + [""]


def render() -> str:
    books = sorted(path for path in (REPO / "playbooks").glob("*.yml"))
    by_name = {path.stem: path for path in books}
    groups = (
        ("The whole Edge", [by_name[name] for name in WHOLE_EDGE]),
        ("One tier", [path for path in books if path.stem not in WHOLE_EDGE + OPERATIONS]),
        ("Operations", [by_name[name] for name in OPERATIONS]),
    )
    lines = [".. Generated by scripts/render_playbook_docs.py: do not edit by hand.", "",
             ".. _%s:" % LABEL, ""]
    lines += section("Playbooks", "=")
    lines += ["The collection's playbooks, run as ``ansible-playbook -i INVENTORY playbooks/NAME.yml`` from a "
              "checkout, or as ``rainbow.edge.NAME`` once the collection is installed. Each tier's playbook checks "
              "every role's inputs on every Edge host before it changes anything; ``site.yml`` runs them in order, "
              "for whatever variant the inventory describes, and each variant's own playbook runs ``site.yml`` "
              "after refusing an inventory of any other variant.", ""]
    lines += section("What each variant deploys", "-")
    lines += variant_table()
    for title, members in groups:
        lines += section(title, "-")
        for path in members:
            lines += playbook_entry(path)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list) -> int:
    page = render()
    if argv[1:] == ["--check"]:
        if not PAGE.exists() or PAGE.read_text() != page:
            print("%s is out of date: run scripts/render_playbook_docs.py" % PAGE.relative_to(REPO), file=sys.stderr)
            return 1
        return 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(page)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
