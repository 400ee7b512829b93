#!/usr/bin/env bash
# Makes the local base image (default localhost/strata-base:node20) without any registry:
# a Debian bookworm root from `debootstrap --variant=minbase` (deb.debian.org, reachable here)
# plus this machine's Node 20 — the `node` binary and the global npm copied from the host —
# and a `node` user (uid/gid 1000, as in the official node images, so infra/Dockerfile's
# `USER node` works on either base), imported with `podman import`.
# Cacheable: does nothing when the image already exists (FORCE=1 rebuilds it).
#
# usage: infra/podman/build-base.sh        (root; needs debootstrap, podman, runc)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ "${FORCE:-0}" != 1 ] && pm image exists "$STRATA_BASE_IMAGE"; then
  echo "build-base: $STRATA_BASE_IMAGE exists (FORCE=1 to rebuild)"
  exit 0
fi

node_bin=$(command -v node) || { echo "build-base: no node on this machine" >&2; exit 1; }
node_major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 20 ] || echo "build-base: warning: host node is v$node_major, not 20" >&2
npm_dir="$(npm root -g)/npm"
[ -f "$npm_dir/bin/npm-cli.js" ] || { echo "build-base: npm not found at $npm_dir" >&2; exit 1; }

work=$(mktemp -d /var/tmp/strata-base-XXXXXX)
# The root file system is only a staging copy: always removed, whatever happens.
trap 'rm -rf --one-file-system "$work"' EXIT
root="$work/rootfs"

started=$(now)
# ca-certificates: npm ci inside the image talks https to the npm registry.
debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
echo "build-base: debootstrap took $(( $(now) - started ))s"

# Node: the host's binary (NodeSource build: needs only libc, libstdc++ and libgcc, all in
# minbase) and npm, laid out as the official images do under /usr/local.
install -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" /usr/local/bin/node --version >/dev/null
# Trust what this machine trusts: CA certificates added locally here
# (/usr/local/share/ca-certificates, e.g. for an https-inspecting egress proxy, as on this
# build machine) are added to the image's store, or npm ci inside the build fails with
# SELF_SIGNED_CERT_IN_CHAIN. Node is pointed at that store too (NODE_EXTRA_CA_CERTS below).
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null
fi
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --create-home --shell /bin/bash node
# Nothing of debootstrap's download cache belongs in the image.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/debootstrap

started=$(now)
tar -C "$root" --numeric-owner -c . | pm import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' - "$STRATA_BASE_IMAGE" >/dev/null
echo "build-base: imported $STRATA_BASE_IMAGE in $(( $(now) - started ))s ($(chroot "$root" node --version), npm $(chroot "$root" npm --version 2>/dev/null || echo '?'))"
