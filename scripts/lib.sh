# shellcheck shell=bash
# Shared helpers for the scripts in this directory. Sourced, not run.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="${RAINBOW_EDGE_VENV:-$REPO_ROOT/.venv}"
# Lab state lives per machine, not per checkout: the image and the package
# cache are shared by every clone and every CI run on the machine.
LAB_CACHE_PORT="${RAINBOW_EDGE_LAB_CACHE_PORT:-3150}"
# Scenarios run on Debian stable (13) unless RAINBOW_EDGE_LAB_RELEASE says 12;
# scripts/lab builds an image for every release in LAB_RELEASES (11: only
# for hosts the input check must refuse).
# shellcheck disable=SC2034  # read by scripts/lab
LAB_RELEASES=(13 12 11)
LAB_RELEASE="${RAINBOW_EDGE_LAB_RELEASE:-13}"
lab_image_for() { echo "localhost/rainbow-edge-lab/debian$1:latest"; }
LAB_IMAGE="${RAINBOW_EDGE_LAB_IMAGE:-$(lab_image_for "$LAB_RELEASE")}"
export RAINBOW_EDGE_LAB_IMAGE="$LAB_IMAGE" RAINBOW_EDGE_LAB_RELEASE="$LAB_RELEASE" RAINBOW_EDGE_LAB_CACHE_PORT="$LAB_CACHE_PORT"

log() { printf '\033[1m[%s] %s\033[0m\n' "$(basename "$0")" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# The lab runs rootful podman (static addresses, NET_ADMIN in containers,
# bridge networks): scripts that drive it re-run themselves under sudo.
require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "run as root (sudo is not installed)"
    exec sudo --preserve-env=RAINBOW_EDGE_VENV,RAINBOW_EDGE_LAB_DIR,RAINBOW_EDGE_LAB_CACHE_PORT,RAINBOW_EDGE_LAB_IMAGE,RAINBOW_EDGE_LAB_RELEASE "$0" "$@"
  fi
}

# Run as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo --preserve-env=DEBIAN_FRONTEND "$@"; fi
}

# ansible-core 2.21 needs Python >= 3.12 on the controller; Debian 12 ships
# 3.11. Accept a python3.12/3.13 on PATH, including pyenv installs whose
# shims only answer when the version is selected.
find_controller_python() {
  local candidate version
  for candidate in python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    # 3.12 first: it is the version this project is tested with.
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.12\.' | sort -rV) \
                   $(pyenv versions --bare 2>/dev/null | grep -E '^3\.13\.' | sort -rV); do
      candidate="$(pyenv root)/versions/$version/bin/python3"
      [ -x "$candidate" ] && { echo "$candidate"; return 0; }
    done
  fi
  return 1
}

activate_venv() {
  [ -x "$VENV/bin/ansible-playbook" ] || die "no tool environment in $VENV: run scripts/setup first"
  # shellcheck disable=SC1091
  . "$VENV/bin/activate"
  export ANSIBLE_CONFIG="$REPO_ROOT/ansible.cfg"
  # Molecule's scenarios live at the collection's top level (molecule/), as
  # this project's layout says; tell molecule so it stops looking elsewhere.
  export MOLECULE_GLOB="molecule/*/molecule.yml"
}
