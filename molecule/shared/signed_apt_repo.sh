#!/bin/sh
# Lab only, not product: a signed apt repository standing in for one the
# inventory names (a vendor's, the Edge gateway's mirror of a backport).
# Serves the .deb files given in three suites, all with the same packages:
#   SUITE     signed by the repository's key (the one the inventory pins);
#   foreign   signed by another key (apt must refuse it);
#   unsigned  no signature at all (apt must refuse it).
# Writes the repository's key (vendor.asc), its fingerprint as gpg prints it
# (vendor.fpr), the other key (other.asc, other.fpr) and this run's path
# (run: the start of that fingerprint, so that the lab's package cache
# never serves an earlier run's index).
# Usage: signed_apt_repo.sh OUT_DIR SUITE DEB...
set -eu
out=$1
suite=$2
shift 2
export GNUPGHOME="$out.gnupg"
rm -rf "$GNUPGHOME"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'rainbow.edge lab fixture vendor <vendor@lab.rainbow-edge.test>' ed25519 sign never
gpg --batch --quiet --passphrase '' --quick-gen-key 'someone else <other@lab.rainbow-edge.test>' ed25519 sign never
fingerprint() { gpg --with-colons --list-keys "$1" | awk -F: '/^fpr/ {print $10; exit}'; }
vendor=$(fingerprint vendor@lab.rainbow-edge.test)
other=$(fingerprint other@lab.rainbow-edge.test)
run=$(printf '%s' "$vendor" | cut -c1-16)
root=$out/$run/debian
mkdir -p "$root/pool/main"
cp "$@" "$root/pool/main/"
chmod 0644 "$root"/pool/main/*.deb
for name in "$suite" foreign unsigned; do
  mkdir -p "$root/dists/$name/main/binary-amd64"
  (cd "$root" && apt-ftparchive packages pool/main) >"$root/dists/$name/main/binary-amd64/Packages"
  gzip -9kn "$root/dists/$name/main/binary-amd64/Packages"
  apt-ftparchive -o APT::FTPArchive::Release::Suite="$name" -o APT::FTPArchive::Release::Codename="$name" \
    -o APT::FTPArchive::Release::Architectures="amd64 all" -o APT::FTPArchive::Release::Components=main \
    release "$root/dists/$name" >"$out/Release.tmp"
  mv "$out/Release.tmp" "$root/dists/$name/Release"
done
gpg --batch --local-user "$vendor" --clearsign -o "$root/dists/$suite/InRelease" "$root/dists/$suite/Release"
gpg --batch --local-user "$other" --clearsign -o "$root/dists/foreign/InRelease" "$root/dists/foreign/Release"
gpg --armor --export "$vendor" >"$out/vendor.asc"
gpg --armor --export "$other" >"$out/other.asc"
printf '%s\n' "$vendor" >"$out/vendor.fpr"
printf '%s\n' "$other" >"$out/other.fpr"
printf '%s\n' "$run" >"$out/run"
