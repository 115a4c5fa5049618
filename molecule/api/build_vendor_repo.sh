#!/bin/sh
# Lab only, not product: the signed apt repository standing in for the
# vendor's. Builds the fixture application's .deb (molecule/api/fixture)
# and serves it in three suites, all with the same package:
#   stable    signed by the vendor's key (the one the inventory pins);
#   foreign   signed by another key (apt must refuse it);
#   unsigned  no signature at all (apt must refuse it).
# Writes the vendor's key (vendor.asc), its fingerprint as gpg prints it
# (vendor.fpr) and this run's path (run: the start of that fingerprint, so
# that the lab's package cache never serves an earlier run's index).
# Usage: build_vendor_repo.sh PACKAGE_TREE OUT_DIR
set -eu
tree=$1
out=$2
export GNUPGHOME=/srv/vendor-gnupg
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
find "$tree" -type d -exec chmod 0755 {} +
find "$tree" -type f -exec chmod 0644 {} +
dpkg-deb --root-owner-group --build "$tree" "$root/pool/main/"
for suite in stable foreign unsigned; do
  mkdir -p "$root/dists/$suite/main/binary-amd64"
  (cd "$root" && apt-ftparchive packages pool/main) >"$root/dists/$suite/main/binary-amd64/Packages"
  gzip -9kn "$root/dists/$suite/main/binary-amd64/Packages"
  apt-ftparchive -o APT::FTPArchive::Release::Suite="$suite" -o APT::FTPArchive::Release::Codename="$suite" \
    -o APT::FTPArchive::Release::Architectures="amd64 all" -o APT::FTPArchive::Release::Components=main \
    release "$root/dists/$suite" >"$out/Release.tmp"
  mv "$out/Release.tmp" "$root/dists/$suite/Release"
done
gpg --batch --local-user "$vendor" --clearsign -o "$root/dists/stable/InRelease" "$root/dists/stable/Release"
gpg --batch --local-user "$other" --clearsign -o "$root/dists/foreign/InRelease" "$root/dists/foreign/Release"
gpg --armor --export "$vendor" >"$out/vendor.asc"
gpg --armor --export "$other" >"$out/other.asc"
printf '%s\n' "$vendor" >"$out/vendor.fpr"
printf '%s\n' "$other" >"$out/other.fpr"
printf '%s\n' "$run" >"$out/run"
