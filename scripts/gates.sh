# shellcheck shell=bash
# The quality gates of scripts/test (lint, unit, sanity), sourced by it. Kept
# apart from the scenario runner so that a change to a gate is not an input
# of any scenario (scripts/suite.py: NOT_INPUTS) and leaves every receipt valid.

# Lint: YAML, Ansible, the changelog fragments, then the collection as
# Galaxy and the documentation tools see it.
stage_lint() {
  yamllint --strict . \
    && ansible-lint --offline \
    && antsibull-changelog lint \
    && python3 "$REPO_ROOT/scripts/render_playbook_docs.py" --check \
    && collection_docs \
    && galaxy_import
}

stage_unit() {
  pytest tests/unit
}

# shipped_tree DIR: the files git would ship (tracked, and new files not
# ignored), copied to DIR/ansible_collections/rainbow/edge: what the tools
# below see is the collection, never a checkout's caches or leftovers.
shipped_tree() {
  local tree="$1/ansible_collections/rainbow/edge"
  rm -rf "$1" && mkdir -p "$tree"
  git -C "$REPO_ROOT" ls-files -z --cached --others --exclude-standard \
    | (cd "$REPO_ROOT" && xargs -0 cp --parents -t "$tree")
}

# tool_venv VENV REQUIREMENTS [EXTRA...]: a venv of its own for a gate's
# tools, rebuilt when their pins change.
tool_venv() {
  local venv=$1 requirements=$2 pins
  shift 2
  pins="$(cat "$requirements"; printf '%s\n' "$@")"
  if [ ! -f "$venv/pins.txt" ] || [ "$(cat "$venv/pins.txt")" != "$pins" ]; then
    "$(find_controller_python)" -m venv --clear "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" "$@"
    printf '%s' "$pins" >"$venv/pins.txt"
  fi
}

# The collections the roles use come with the `ansible` package of the
# controller's venv (requirements.txt).
bundled_collections() {
  python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'
}

# The documentation: antsibull-docs lints it (every plugin's and role's docs,
# every reference between them), then builds the site (modules, plugins,
# roles, and docs/docsite: the playbooks page) with warnings as errors and
# without network (docs/site/external_references.rst stands for the pages of
# docs.ansible.com the site refers to); its index must list every module,
# role and playbook. The site: .cache/docs/site/build/html/index.html.
# The collection it reads is copied outside any hidden directory: under one
# (.cache), antsibull-docs finds no plugin at all and passes having linted nothing.
collection_docs() {
  local venv="$REPO_ROOT/.cache/docs-venv" site="$REPO_ROOT/.cache/docs/site" core root status collections
  core=$(grep -E '^ansible-core==' "$REPO_ROOT/requirements.txt")
  tool_venv "$venv" "$REPO_ROOT/scripts/gates/docs.txt" "$core"
  root=$(mktemp -d "${TMPDIR:-/tmp}/rainbow-edge-docs.XXXXXX")
  shipped_tree "$root"
  rm -rf "$site" && mkdir -p "$(dirname "$site")" && mkdir -m 700 "$site"
  collections="$root:$(bundled_collections)"
  (
    # The tools' venv first, in this subshell only.
    # shellcheck disable=SC2030
    export ANSIBLE_COLLECTIONS_PATH="$collections" PATH="$venv/bin:$PATH"
    unset ANSIBLE_CONFIG
    cd "$root/ansible_collections/rainbow/edge" \
      && antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs=all . \
      && antsibull-docs sphinx-init --use-current --fail-on-error --no-add-antsibull-docs-version \
        --dest-dir "$site" rainbow.edge >/dev/null \
      && printf '\n# Built offline: no inventory of another site is fetched.\nintersphinx_mapping = {}\n' >>"$site/conf.py" \
      && chmod 700 "$site/rst" \
      && antsibull-docs --config-file "$site/antsibull-docs.cfg" collection --cleanup everything --fail-on-error \
        --use-current --dest-dir "$site/rst" rainbow.edge \
      && cp "$REPO_ROOT/docs/site/external_references.rst" "$site/rst/" \
      && sphinx-build -M html "$site/rst" "$site/build" -c "$site" -W --keep-going -q
  )
  status=$?
  rm -rf "$root"
  [ $status -eq 0 ] && python3 "$REPO_ROOT/scripts/check_docsite.py" "$site/build/html"
}

# galaxy-importer on the collection's tarball, as Galaxy imports it (without
# its ansible-test and ansible-lint steps: scripts/gates/galaxy-importer.cfg
# says why); any warning fails.
galaxy_import() {
  local root="$REPO_ROOT/.cache/galaxy" venv="$REPO_ROOT/.cache/galaxy-importer-venv" log
  tool_venv "$venv" "$REPO_ROOT/scripts/gates/galaxy-importer.txt"
  shipped_tree "$root/collection"
  (cd "$root/collection/ansible_collections/rainbow/edge" \
    && ansible-galaxy collection build --force --output-path "$root" >/dev/null) || return 1
  log="$root/import.log"
  # collection_docs changes PATH in its own subshell only.
  # shellcheck disable=SC2031
  (cd "$root" && GALAXY_IMPORTER_CONFIG="$REPO_ROOT/scripts/gates/galaxy-importer.cfg" PATH="$venv/bin:$PATH" \
    "$venv/bin/python" -m galaxy_importer.main "$root"/rainbow-edge-*.tar.gz) >"$log" 2>&1 || {
    cat "$log" >&2; return 1
  }
  if grep -E '^(WARNING|ERROR)' "$log" >&2; then
    echo "galaxy-importer: the warnings above (whole log: $log)" >&2
    return 1
  fi
}

# ansible-test wants the collection at .../ansible_collections/rainbow/edge:
# sanity runs on a copy of the files git would ship, with ansible-core in a
# venv of its own. ansible-test builds a venv per sanity test and bootstraps
# pip into each with get-pip.py, downloaded from a host this machine cannot
# reach: it runs with a home of its own whose cache holds
# scripts/pip_bootstrap.py under that name instead, so nothing depends on
# what a machine's ~/.ansible/test happens to hold.
stage_sanity() {
  local root="$REPO_ROOT/.cache/sanity" venv="$REPO_ROOT/.cache/ansible-test-venv" core pip_version
  local tree="$root/ansible_collections/rainbow/edge"
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
  shipped_tree "$root"
  git -C "$tree" init -q && git -C "$tree" add -A
  (cd "$tree" && HOME="$home" "$venv/bin/ansible-test" sanity --python 3.12 --requirements --color no)
}
