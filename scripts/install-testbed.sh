#!/usr/bin/env bash
# Installs what the test suite drives for real: containerd + runc (pods), busybox (images), etcd, Prometheus, iproute2,
# Python 3 with venv (the Python SDK's tests: scripts/python-env.sh),
# Debian's Chromium (the web console's browser tests, driven by playwright-core),
# and for the Kubernetes test bed CNI plugins, iptables and conntrack (Debian), plus Kubernetes, helm and CoreDNS built
# from the Go module proxy into a cache outside the clone (scripts/testbed/k8s/build.sh; cold 6–9 min, warm 0 s).
set -euo pipefail
here=$(dirname "$(realpath "$0")")
packages=(containerd runc busybox-static etcd-server prometheus iproute2 curl jq util-linux tar openssl
          containernetworking-plugins iptables conntrack gcc libc6-dev python3 python3-venv
          chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "test bed: all packages present"
elif [ "$(id -u)" -ne 0 ]; then
  echo "test bed: missing ${missing[*]}; run as root (sudo) to install them" >&2
  exit 1
else
  echo "test bed: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Debian starts these as services on install; the tests run their own instances.
  for svc in containerd prometheus etcd; do
    if command -v systemctl >/dev/null 2>&1; then systemctl stop "$svc" >/dev/null 2>&1 || true; fi
  done
fi

# Kubernetes for the test bed: Go ≥ 1.24 builds it (the machine's Go; Debian's is too old).
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
if ! command -v go >/dev/null; then
  echo "test bed: Go ≥ 1.24 is needed to build Kubernetes for the test bed (none on PATH or in /usr/local/go)" >&2
  exit 1
fi
started=$(date +%s)
bin=$(bash "$here/testbed/k8s/build.sh" | tail -n 1)
echo "test bed: Kubernetes, helm and CoreDNS in $bin ($(( $(date +%s) - started )) s)"
