# shellcheck shell=bash
# The quality gates of scripts/test (lint, unit, sanity), sourced by it. Kept
# apart from the scenario runner so that a change to a gate is not an input
# of any scenario (scripts/suite.py: NOT_INPUTS) and leaves every receipt valid.

stage_lint() {
  yamllint --strict . \
    && ansible-lint --offline \
    && antsibull-changelog lint
}

stage_unit() {
  pytest tests/unit
}

# ansible-test wants the collection at .../ansible_collections/rainbow/edge:
# sanity runs on a copy of the files git would ship, with ansible-core in a
# venv of its own. ansible-test builds a venv per sanity test and bootstraps
# pip into each with get-pip.py, downloaded from a host this machine cannot
# reach: it runs with a home of its own whose cache holds
# scripts/pip_bootstrap.py under that name instead, so nothing depends on
# what a machine's ~/.ansible/test happens to hold.
stage_sanity() {
  local tree="$REPO_ROOT/.cache/sanity/ansible_collections/rainbow/edge"
  local venv="$REPO_ROOT/.cache/ansible-test-venv" core pip_version
  local home="${RAINBOW_EDGE_ANSIBLE_TEST_HOME:-/var/cache/rainbow-edge-lab/ansible-test-home}"
  core=$(grep -E '^ansible-core==' "$REPO_ROOT/requirements.txt")
  if [ ! -x "$venv/bin/ansible-test" ] || ! "$venv/bin/pip" freeze | grep -qxF "$core"; then
    "$(find_controller_python)" -m venv --clear "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$core"
  fi
  pip_version=$("$venv/bin/python" -c 'from ansible_test._internal.python_requirements import get_venv_packages as p
print(p(type("Python", (), {"version": "3.12"})())["pip"])')
  mkdir -p "$home/.ansible/test/cache"
  cp "$REPO_ROOT/scripts/pip_bootstrap.py" "$home/.ansible/test/cache/get_pip_${pip_version//./_}.py"
  rm -rf "$tree" && mkdir -p "$tree"
  git -C "$REPO_ROOT" ls-files -z --cached --others --exclude-standard \
    | (cd "$REPO_ROOT" && xargs -0 cp --parents -t "$tree")
  git -C "$tree" init -q && git -C "$tree" add -A
  (cd "$tree" && HOME="$home" "$venv/bin/ansible-test" sanity --python 3.12 --requirements --color no)
}
