#!/usr/bin/env bash
# Installs what the test suite drives for real: containerd + runc (pods), busybox (images), etcd, Prometheus, iproute2.
set -euo pipefail
packages=(containerd runc busybox-static etcd-server prometheus iproute2 curl jq util-linux tar openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "test bed: all packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "test bed: missing ${missing[*]}; run as root (sudo) to install them" >&2
  exit 1
fi
echo "test bed: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts these as services on install; the tests run their own instances.
for svc in containerd prometheus etcd; do
  if command -v systemctl >/dev/null 2>&1; then systemctl stop "$svc" >/dev/null 2>&1 || true; fi
done
