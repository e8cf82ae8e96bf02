#!/usr/bin/env bash
# build.sh [CACHE] — the test bed's Kubernetes v1.34.4 (apiserver, controller-manager, scheduler, kubelet, kube-proxy,
# kubectl), helm v4.3.2 and CoreDNS v1.15.0, built from the Go module proxy into CACHE/k8s-v1.34.4/bin (default
# $ERIS_TESTBED_CACHE or /var/cache/eris-testbed), outside the clone and keyed by version. A warm cache builds
# nothing. Measured here (2 cores): cold 6–9 min, warm 0 s. Prints the bin folder.
set -euo pipefail
K8S=v1.34.4 HELM=v4.3.2 COREDNS=v1.15.0
C=${1:-${ERIS_TESTBED_CACHE:-/var/cache/eris-testbed}}; BIN=$C/k8s-$K8S/bin; mkdir -p "$BIN"
export GOFLAGS=-mod=mod CGO_ENABLED=0
K8S_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
have() { for b in "$@"; do [ -x "$BIN/$b" ] || return 1; done; }
# One build at a time per cache; a binary appears only once it is whole (built to .tmp, then renamed).
exec 9>"$C/.build-$K8S.lock"; flock 9
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
build() { go build -trimpath "${@:3}" -o "$BIN/$1.tmp" "$2" && mv "$BIN/$1.tmp" "$BIN/$1"; }

if ! have "${K8S_CMDS[@]}" pause.c; then
  # k8s.io/kubernetes points its staging modules at ./staging, which the module zip lacks: a wrapper module
  # replaces each with its published v0.X release.
  mkdir "$work/k8s"; cd "$work/k8s"
  gomod=$(go mod download -json k8s.io/kubernetes@$K8S | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  { printf 'module erisk8sbuild\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes %s\n\n' $K8S
    grep -E '^\s*k8s.io/.* => ./staging' "$gomod" | awk -v v="v0.${K8S#v1.}" '{print "replace "$1" => "$1" "v}'; } > go.mod
  printf '//go:build tools\npackage tools\nimport (\n' > tools.go
  for c in "${K8S_CMDS[@]}"; do printf ' _ "k8s.io/kubernetes/cmd/%s"\n' "$c" >> tools.go; done
  printf ')\n' >> tools.go
  go mod tidy
  minor=${K8S#v1.}; minor=${minor%%.*}
  ld="-s -w -X k8s.io/component-base/version.gitVersion=$K8S -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=$K8S"
  for c in "${K8S_CMDS[@]}"; do have "$c" || build "$c" "k8s.io/kubernetes/cmd/$c" -ldflags="$ld"; done
  # the pause.c of the same release, for the sandbox image
  cp "$(go env GOMODCACHE)/k8s.io/kubernetes@$K8S/build/pause/linux/pause.c" "$BIN/pause.c"
fi
if ! have helm; then
  mkdir "$work/helm"; cd "$work/helm"
  printf 'module erishelmbuild\n\ngo 1.25.0\n' > go.mod
  printf '//go:build tools\npackage tools\nimport _ "helm.sh/helm/v4/cmd/helm"\n' > tools.go
  go get helm.sh/helm/v4@$HELM && go mod tidy
  build helm helm.sh/helm/v4/cmd/helm -ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$HELM"
fi
if ! have coredns; then
  mkdir "$work/coredns"; cd "$work/coredns"
  printf 'module eriscorednsbuild\n\ngo 1.25.0\n' > go.mod
  printf '//go:build tools\npackage tools\nimport _ "github.com/coredns/coredns"\n' > tools.go
  go get github.com/coredns/coredns@$COREDNS && go mod tidy
  build coredns github.com/coredns/coredns -ldflags="-s -w"
fi
echo "$BIN"
