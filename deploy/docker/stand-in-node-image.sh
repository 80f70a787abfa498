#!/usr/bin/env bash
# Makes sure the base image the Dockerfile starts FROM exists. Where it can be pulled, nothing
# is done here (docker build pulls it). On machines that cannot pull base images (a closed
# network), a local stand-in of the same name is built: Debian bookworm (debootstrap, minbase)
# with this machine's own Node.js and npm, and a `node` user (uid 1000) as in the official image.
# It says so, so nobody mistakes it for the official image.
#
# usage: deploy/docker/stand-in-node-image.sh [image]   (default node:20-bookworm-slim)
set -euo pipefail
IMAGE="${1:-node:20-bookworm-slim}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE: present"
  exit 0
fi
if docker pull "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE: pulled"
  exit 0
fi

node_bin="$(command -v node)"
node_version="$("$node_bin" --version)"
case "$node_version" in v20.*) ;; *) echo "the stand-in for $IMAGE needs Node.js 20 on this machine, found $node_version" >&2; exit 1 ;; esac
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
npm_dir="$(readlink -f "$npm_dir")"
command -v debootstrap >/dev/null || { echo "base image $IMAGE cannot be pulled and debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }

echo "base image $IMAGE cannot be pulled here: building a LOCAL STAND-IN (debootstrap bookworm minbase + this machine's Node.js $node_version)"
root="$(mktemp -d /tmp/hotline-stand-in.XXXXXX)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$root.debootstrap.log" 2>&1 \
  || { tail -20 "$root.debootstrap.log" >&2; echo "debootstrap failed" >&2; exit 1; }
rm -f "$root.debootstrap.log"

install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
chroot "$root" /usr/local/bin/node --version >/dev/null
# The machine's trust store goes with its Node.js: where outbound TLS is inspected by a local
# CA, npm inside the build must trust what npm outside it trusts.
ca_bundle="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
extra_env=()
if [ -s "$ca_bundle" ]; then
  install -D -m 0644 "$ca_bundle" "$root/etc/ssl/certs/ca-certificates.crt"
  extra_env=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
fi
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  "${extra_env[@]}" \
  --change 'LABEL org.opencontainers.image.description="local stand-in for node:20-bookworm-slim (debootstrap + host Node.js)"' \
  --change 'CMD ["node"]' - "$IMAGE" >/dev/null
echo "base image $IMAGE: local stand-in built"
