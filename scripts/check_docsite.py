"""Checks the built documentation site: its collection index lists every module and role, and its
playbooks page every playbook (scripts/gates.sh runs it after the build).

    python3 scripts/check_docsite.py BUILD_HTML_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def missing(html_dir: Path) -> list:
    site = html_dir / "collections" / "rainbow" / "edge"
    index = (site / "index.html").read_text()
    playbooks_page = site / "docsite" / "playbooks.html"
    problems = []
    for module in sorted((REPO / "plugins" / "modules").glob("*.py")):
        if 'href="%s_module.html' % module.stem not in index:
            problems.append("module %s is not in the index" % module.stem)
    for role in sorted(path for path in (REPO / "roles").iterdir() if path.is_dir()):
        if 'href="%s_role.html' % role.name not in index:
            problems.append("role %s is not in the index" % role.name)
    if 'href="docsite/playbooks.html' not in index:
        problems.append("the playbooks page is not in the index")
    text = playbooks_page.read_text() if playbooks_page.exists() else ""
    for playbook in sorted((REPO / "playbooks").glob("*.yml")):
        if "playbooks/%s" % playbook.name not in text:
            problems.append("playbook %s is not on the playbooks page" % playbook.name)
    return problems


def main(argv: list) -> int:
    problems = missing(Path(argv[1]))
    for problem in problems:
        print("documentation site: %s" % problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
