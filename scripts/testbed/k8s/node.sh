#!/usr/bin/env bash
# node.sh up|down DIR [BINDIR] — a one-node Kubernetes cluster kept apart from the machine it runs on:
#  - every part lives in its own network namespace, reached from the machine over one veth pair; that
#    namespace's default route is a blackhole, so nothing sent to an outside address leaves it;
#  - containerd, kubelet and kube-proxy (and so every pod, hostPID ones included) run in the node's own PID
#    and mount namespaces: a hostPID pod sees this node's processes only, and ending the node's init ends all;
#  - kernel tunables that kubelet changes at start are put back once it is up.
#  - pods live under their own cgroup root (/eris-k8s), so what the bed leaves in the machine's cgroups is easy to
#    find and remove.
# `up` first brings down what an earlier `up` from the same DIR left running (by its recorded PIDs).
set -euo pipefail
cmd=${1:-}; [ $# -ge 2 ] || { echo "usage: node.sh up|down DIR [BINDIR]" >&2; exit 2; }
D=$(realpath -m "$2"); B=$(realpath -m "${3:-${ERIS_TESTBED_CACHE:-/var/cache/eris-testbed}/k8s-v1.34.4/bin}")
repo=$(realpath "$(dirname "$(realpath "$0")")/../../..")
NS=eris-k8s; IP=10.250.0.1; HOSTIP=10.250.0.2; NODE=eris-node; POD_CIDR=10.244.0.0/24; CGROOT=eris-k8s
here=$(dirname "$(realpath "$0")")
inns() { nsenter --net=/run/netns/$NS "$@"; }
kc() { inns "$B/kubectl" --kubeconfig "$D/admin.kubeconfig" --request-timeout=5s "$@"; }
start() { # name cmd... : in the namespace, own process group, log and pid file
  local n=$1; shift
  setsid nsenter --net=/run/netns/$NS "$@" >"$D/log/$n.log" 2>&1 < /dev/null &
  echo $! > "$D/pid/$n"
}
wait_for() { # secs what cmd...
  local s=$1 what=$2; shift 2
  for _ in $(seq 1 $((s*5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "timed out waiting for $what" >&2; return 1
}
node_ready() { kc get node $NODE -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -q True; }

up() {
  # Debian packages a new machine lacks: containerd runc containernetworking-plugins etcd-server iptables conntrack
  local missing=""
  for c in containerd runc etcd iptables conntrack nsenter unshare ip openssl curl gcc node flock; do command -v $c >/dev/null || missing="$missing $c"; done
  [ -x /usr/lib/cni/bridge ] || missing="$missing cni-plugins"
  [ -z "$missing" ] || { echo "missing:$missing (apt-get install -y containerd runc containernetworking-plugins etcd-server iptables conntrack)" >&2; exit 1; }
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl coredns pause.c; do
    [ -e "$B/$b" ] || { echo "missing $B/$b: run build.sh first" >&2; exit 1; }; done
  if compgen -G "$D/pid/*" >/dev/null; then echo "a cluster from $D was left up: bringing it down first" >&2; down; set -e; fi
  if ip netns list | grep -qw $NS; then echo "network namespace $NS exists but no cluster of $D owns it: another bed is up" >&2; exit 1; fi
  # a fresh cluster every time; certificates and image tarballs are kept (--one-file-system: never into a mount)
  rm -rf --one-file-system "$D"/{etcd,kubelet,containerd-root,containerd-state,containerd.sock,runc,log,pid,cni,node-var-lib,var-log-pods}
  mkdir -p "$D"/{log,pid,etcd,cni/net.d,kubelet,images}
  for h in /sys/fs/cgroup/*/; do mkdir -p "$h$CGROOT"; done
  if ! ip netns list | grep -qw $NS; then
    ip netns add $NS
    ip -n $NS link set lo up
    ip link add erisk8s-h type veth peer name erisk8s-n
    ip link set erisk8s-n netns $NS
    ip addr add $HOSTIP/30 dev erisk8s-h; ip link set erisk8s-h up
    ip -n $NS addr add $IP/30 dev erisk8s-n; ip -n $NS link set erisk8s-n up
    ip -n $NS route add blackhole default
    # the cluster's pod and service ranges lead into the node, never out of the machine's default route
    ip route add 10.244.0.0/16 via $IP dev erisk8s-h
    ip route add 10.96.0.0/16 via $IP dev erisk8s-h
  fi
  "$here/pki.sh" "$D" $IP $NODE
  local P=$D/pki
  start etcd etcd --data-dir "$D/etcd" --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
     --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster default=http://127.0.0.1:2380
  wait_for 20 etcd inns curl -sf http://127.0.0.1:2379/health
  start kube-apiserver "$B/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 --advertise-address=$IP --bind-address=$IP --secure-port=6443 \
     --tls-cert-file=$P/apiserver.crt --tls-private-key-file=$P/apiserver.key --client-ca-file=$P/ca.crt \
     --service-account-key-file=$P/sa.pub --service-account-signing-key-file=$P/sa.key \
     --service-account-issuer=https://kubernetes.default.svc.cluster.local --service-cluster-ip-range=10.96.0.0/16 \
     --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --allow-privileged=true \
     --kubelet-preferred-address-types=InternalIP \
     --kubelet-client-certificate=$P/apiserver-kubelet-client.crt --kubelet-client-key=$P/apiserver-kubelet-client.key
  wait_for 90 kube-apiserver kc get --raw /readyz
  start kube-controller-manager "$B/kube-controller-manager" --kubeconfig=$D/controller-manager.kubeconfig \
     --authentication-kubeconfig=$D/controller-manager.kubeconfig --authorization-kubeconfig=$D/controller-manager.kubeconfig \
     --service-account-private-key-file=$P/sa.key --root-ca-file=$P/ca.crt --cluster-signing-cert-file=$P/ca.crt \
     --cluster-signing-key-file=$P/ca.key --use-service-account-credentials=true --leader-elect=false --bind-address=127.0.0.1 \
     --allocate-node-cidrs=true --cluster-cidr=10.244.0.0/16 --node-cidr-mask-size=24 --service-cluster-ip-range=10.96.0.0/16
  start kube-scheduler "$B/kube-scheduler" --kubeconfig=$D/scheduler.kubeconfig --authentication-kubeconfig=$D/scheduler.kubeconfig \
     --authorization-kubeconfig=$D/scheduler.kubeconfig --leader-elect=false --bind-address=127.0.0.1

  cat > "$D/containerd.toml" <<EOC
version = 2
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  sandbox_image = "eris.local/pause:3.10"
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$D/cni/net.d"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  Root = "$D/runc"
EOC
  cat > "$D/cni/net.d/10-bridge.conflist" <<EOC
{"cniVersion":"0.4.0","name":"eris-testbed","plugins":[
 {"type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":false,"hairpinMode":true,
  "ipam":{"type":"host-local","ranges":[[{"subnet":"$POD_CIDR"}]],"routes":[{"dst":"0.0.0.0/0"}]}},
 {"type":"portmap","capabilities":{"portMappings":true}},
 {"type":"loopback"}]}
EOC
  cat > "$D/kubelet.yaml" <<EOC
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: "$P/ca.crt"}}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: /$CGROOT
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$D/containerd.sock
address: $IP
readOnlyPort: 0
tlsCertFile: $P/kubelet-serving.crt
tlsPrivateKeyFile: $P/kubelet-serving.key
clusterDomain: cluster.local
resolvConf: ""
clusterDNS: [10.96.0.10]
protectKernelDefaults: false
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOC
  local saved; saved=$(sysctl -n kernel.panic kernel.panic_on_oops vm.overcommit_memory | tr '\n' ' ')
  [ -f "$D/sysctl.saved" ] || echo "$saved" > "$D/sysctl.saved"
  setsid nsenter --net=/run/netns/$NS unshare --pid --fork --mount --mount-proc --propagation private \
     "$here/node-init.sh" "$D" "$B" $IP $NODE >"$D/log/node.log" 2>&1 < /dev/null &
  echo $! > "$D/pid/node"
  wait_for 30 containerd ctr -a "$D/containerd.sock" version
  if ! ctr -a "$D/containerd.sock" -n k8s.io images ls -q | grep -q eris.local/pause; then
    # the sandbox image, built from the pause.c that ships in the k8s.io/kubernetes module
    mkdir -p "$D/images/pause/rootfs"
    gcc -static -O2 -o "$D/images/pause/rootfs/pause" "$B/pause.c"
    node "$repo/scripts/image/oci-image.mjs" --name eris.local/pause:3.10 --out "$D/images/pause.tar" --rootfs "$D/images/pause/rootfs" --cmd '["/pause"]' >/dev/null
    ctr -a "$D/containerd.sock" -n k8s.io images import "$D/images/pause.tar" >/dev/null
  fi
  wait_for 90 "node $NODE Ready" node_ready
  wait_for 60 "default service account" kc get serviceaccount default
  # cluster DNS, as every real cluster has it: CoreDNS from the same cache, a static binary in its own image
  if ! ctr -a "$D/containerd.sock" -n k8s.io images ls -q | grep -q eris.local/coredns; then
    mkdir -p "$D/images/coredns/rootfs"; cp "$B/coredns" "$D/images/coredns/rootfs/coredns"
    node "$repo/scripts/image/oci-image.mjs" --name eris.local/coredns:1.15.0 --out "$D/images/coredns.tar" --rootfs "$D/images/coredns/rootfs" --cmd '["/coredns"]' >/dev/null
    ctr -a "$D/containerd.sock" -n k8s.io images import "$D/images/coredns.tar" >/dev/null
  fi
  kc apply -f "$here/coredns.yaml" >/dev/null
  kc -n kube-system rollout status deploy/coredns --timeout=60s >/dev/null
  # kubelet sets kernel.panic=10, panic_on_oops=1, overcommit=1 at start; put the machine's own back
  set -- $(cat "$D/sysctl.saved"); sysctl -q -w kernel.panic=$1 kernel.panic_on_oops=$2 vm.overcommit_memory=$3
  echo "cluster up: kubectl --kubeconfig $D/admin.kubeconfig inside 'nsenter --net=/run/netns/$NS'; node reachable at $IP"
}

down() {
  set +e
  stop() { local f="$D/pid/$1"; [ -f "$f" ] || return 0; local p; p=$(cat "$f")
    kill -TERM -- -"$p" 2>/dev/null; for _ in $(seq 1 25); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- -"$p" 2>/dev/null; rm -f "$f"; }
  # the node's PID namespace ends with its init: kubelet, kube-proxy, containerd and every container go at once,
  # and their mounts and pod network namespaces with them
  [ -f "$D/pid/node" ] && { kill -KILL -- -"$(cat "$D/pid/node")" 2>/dev/null; rm -f "$D/pid/node"; }
  for n in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop $n; done
  awk -v d="$D/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
  ip link del erisk8s-h 2>/dev/null; ip netns del $NS 2>/dev/null
  # the pods' cgroups, once the kernel has reaped the node's processes (it does so after init is killed)
  for _ in $(seq 1 50); do
    find /sys/fs/cgroup/*/$CGROOT -depth -type d -exec rmdir {} \; 2>/dev/null
    compgen -G "/sys/fs/cgroup/*/$CGROOT" >/dev/null || break; sleep 0.2
  done
  [ -f "$D/sysctl.saved" ] && { set -- $(cat "$D/sysctl.saved"); sysctl -q -w kernel.panic=$1 kernel.panic_on_oops=$2 vm.overcommit_memory=$3; rm -f "$D/sysctl.saved"; }
  echo "cluster down"
}
case $cmd in up|down) $cmd ;; *) echo "usage: node.sh up|down DIR [BINDIR]" >&2; exit 2 ;; esac
