"""The documentation site's own pages: the playbooks page is current, and the site check finds what is missing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / ("%s.py" % name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_playbooks_page_is_current():
    render = load("render_playbook_docs")
    assert render.PAGE.read_text() == render.render(), "run scripts/render_playbook_docs.py"


def test_the_playbooks_page_has_every_playbook_and_variant():
    page = load("render_playbook_docs").render()
    for playbook in (ROOT / "playbooks").glob("*.yml"):
        assert "playbooks/%s\n" % playbook.name in page
    for title, *_rest in load("render_playbook_docs").VARIANTS:
        assert "   * - %s\n" % title in page


def test_the_site_check_names_what_the_index_leaves_out(tmp_path):
    site = tmp_path / "collections" / "rainbow" / "edge"
    (site / "docsite").mkdir(parents=True)
    (site / "index.html").write_text('<a href="edge_plan_module.html#x">edge_plan</a> <a href="docsite/playbooks.html">')
    (site / "docsite" / "playbooks.html").write_text("playbooks/site.yml")
    problems = load("check_docsite").missing(tmp_path)
    assert "module edge_validate is not in the index" in problems
    assert "module edge_plan is not in the index" not in problems
    assert "role mariadb is not in the index" in problems
    assert "playbook mariadb.yml is not on the playbooks page" in problems
    assert not any("site.yml" in problem for problem in problems)
