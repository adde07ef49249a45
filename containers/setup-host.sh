#!/usr/bin/env bash
# Install what the container stage needs on a Debian/Ubuntu host without a Docker daemon:
# podman with runc (crun fails on some kernels/cgroup layouts), mmdebstrap to build a base image
# without a registry, and podman's rootless helpers. Idempotent; needs root and apt-get.
# Called by .ci/run and, on a root machine with apt, by the container test stage itself.
set -euo pipefail
packages=(podman buildah runc mmdebstrap uidmap fuse-overlayfs slirp4netns)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-host: need root and apt-get to install: ${missing[*]}" >&2
  exit 1
fi
# One installer at a time (parallel test workers may call this together).
exec 9>/tmp/calibpipe-tasks-setup-host.lock
flock 9
echo "setup-host: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
