#!/bin/sh
# Lab only, not product: the signed apt repository standing in for the
# vendor's. Builds the fixture application's .deb (molecule/api/fixture)
# and serves it signed in suite stable, and in suites foreign and unsigned
# that apt must refuse (molecule/shared/signed_apt_repo.sh, installed beside
# this script as lab-signed-apt-repo).
# Usage: build_vendor_repo.sh PACKAGE_TREE OUT_DIR
set -eu
tree=$1
out=$2
build=$(mktemp -d)
find "$tree" -type d -exec chmod 0755 {} +
find "$tree" -type f -exec chmod 0644 {} +
dpkg-deb --root-owner-group --build "$tree" "$build/"
"$(dirname "$0")/lab-signed-apt-repo" "$out" stable "$build"/*.deb
rm -rf "$build"
