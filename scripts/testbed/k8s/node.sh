#!/usr/bin/env bash
# node.sh up|down DIR [BINDIR] — a Kubernetes cluster of ERIS_K8S_NODES nodes (1–3, default 3; zones a, b, c) kept
# apart from the machine it runs on:
#  - every node lives in its own network namespace. The first (control plane + node 1) is reached from the machine
#    over one veth pair; nodes 2 and 3 hang off the first over their own veth pairs, and the first routes between
#    them (forwarding on in its own namespace only). Every node's default route is a blackhole, so nothing sent to
#    an outside address leaves the cluster; the machine itself gets nothing but its veth end and routes to the
#    cluster's ranges;
#  - each node's containerd, kubelet and kube-proxy (and so every pod, hostPID ones included) run in that node's
#    own PID and mount namespaces: a hostPID pod sees its node's processes only, and ending a node's init ends all;
#  - kernel tunables that kubelet changes at start are put back once it is up.
#  - pods live under their own cgroup root (/eris-k8s for node 1, /eris-k8s/node-N for the others), so what the
#    bed leaves in the machine's cgroups is easy to find and remove.
# `up` first brings down what an earlier `up` from the same DIR left running (by its recorded PIDs).
set -euo pipefail
cmd=${1:-}; [ $# -ge 2 ] || { echo "usage: node.sh up|down DIR [BINDIR]" >&2; exit 2; }
D=$(realpath -m "$2"); B=$(realpath -m "${3:-${ERIS_TESTBED_CACHE:-/var/cache/eris-testbed}/k8s-v1.34.4/bin}")
repo=$(realpath "$(dirname "$(realpath "$0")")/../../..")
NS=eris-k8s; IP=10.250.0.1; HOSTIP=10.250.0.2; NODE=eris-node; CGROOT=eris-k8s
NODES=${ERIS_K8S_NODES:-3}; ZONES=(a b c)
[[ "$NODES" =~ ^[1-3]$ ]] || { echo "ERIS_K8S_NODES must be 1, 2 or 3 (got '$NODES')" >&2; exit 2; }
here=$(dirname "$(realpath "$0")")
# Node N (1-based): its name, network namespace, address, state folder, pod range and cgroup root.
node_name() { [ "$1" = 1 ] && echo $NODE || echo "$NODE-$1"; }
node_ns() { [ "$1" = 1 ] && echo $NS || echo "$NS-$1"; }
node_ip() { [ "$1" = 1 ] && echo $IP || echo "10.250.$1.2"; }
node_dir() { [ "$1" = 1 ] && echo "$D" || echo "$D/node-$1"; }
node_cidr() { echo "10.244.$(($1 - 1)).0/24"; }
node_cgroot() { [ "$1" = 1 ] && echo $CGROOT || echo "$CGROOT/node-$1"; }
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
node_ready() { kc get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -q True; }

up() {
  # Debian packages a new machine lacks: containerd runc containernetworking-plugins etcd-server iptables conntrack
  local missing=""
  for c in containerd runc etcd iptables conntrack nsenter unshare ip openssl curl gcc node flock; do command -v $c >/dev/null || missing="$missing $c"; done
  [ -x /usr/lib/cni/bridge ] || missing="$missing cni-plugins"
  [ -z "$missing" ] || { echo "missing:$missing (apt-get install -y containerd runc containernetworking-plugins etcd-server iptables conntrack)" >&2; exit 1; }
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl coredns pause.c; do
    [ -e "$B/$b" ] || { echo "missing $B/$b: run build.sh first" >&2; exit 1; }; done
  if compgen -G "$D/pid/*" >/dev/null; then echo "a cluster from $D was left up: bringing it down first" >&2; down; set -e; fi
  if ip netns list | grep -qwE "$NS(-[23])?"; then echo "network namespace $NS (or $NS-2, $NS-3) exists but no cluster of $D owns it: another bed is up" >&2; exit 1; fi
  # a fresh cluster every time; certificates and image tarballs are kept (--one-file-system: never into a mount)
  local i nd
  for i in $(seq 1 3); do nd=$(node_dir $i)
    rm -rf --one-file-system "$nd"/{etcd,kubelet,containerd-root,containerd-state,containerd.sock,runc,log,pid,cni,node-var-lib,var-log-pods}
  done
  mkdir -p "$D"/{log,pid,etcd,images}
  for i in $(seq 1 $NODES); do nd=$(node_dir $i); mkdir -p "$nd"/{cni/net.d,kubelet}
    for h in /sys/fs/cgroup/*/; do mkdir -p "$h$(node_cgroot $i)"; done; done
  network
  "$here/pki.sh" "$D" $IP $NODE
  local P=$D/pki
  for i in $(seq 2 $NODES); do "$here/pki.sh" "$D" "$(node_ip $i)" "$(node_name $i)" node; done
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
  # each node's pod range is fixed in its CNI config and in the routes between nodes: no range allocation
  start kube-controller-manager "$B/kube-controller-manager" --kubeconfig=$D/controller-manager.kubeconfig \
     --authentication-kubeconfig=$D/controller-manager.kubeconfig --authorization-kubeconfig=$D/controller-manager.kubeconfig \
     --service-account-private-key-file=$P/sa.key --root-ca-file=$P/ca.crt --cluster-signing-cert-file=$P/ca.crt \
     --cluster-signing-key-file=$P/ca.key --use-service-account-credentials=true --leader-elect=false --bind-address=127.0.0.1 \
     --allocate-node-cidrs=false --cluster-cidr=10.244.0.0/16 --service-cluster-ip-range=10.96.0.0/16
  start kube-scheduler "$B/kube-scheduler" --kubeconfig=$D/scheduler.kubeconfig --authentication-kubeconfig=$D/scheduler.kubeconfig \
     --authorization-kubeconfig=$D/scheduler.kubeconfig --leader-elect=false --bind-address=127.0.0.1

  local saved; saved=$(sysctl -n kernel.panic kernel.panic_on_oops vm.overcommit_memory | tr '\n' ' ')
  [ -f "$D/sysctl.saved" ] || echo "$saved" > "$D/sysctl.saved"
  for i in $(seq 1 $NODES); do node_up $i; done
  for i in $(seq 1 $NODES); do wait_for 90 "node $(node_name $i) Ready" node_ready "$(node_name $i)"; done
  wait_for 60 "default service account" kc get serviceaccount default
  kc apply -f "$here/coredns.yaml" >/dev/null
  kc -n kube-system rollout status deploy/coredns --timeout=60s >/dev/null
  # kubelet sets kernel.panic=10, panic_on_oops=1, overcommit=1 at start; put the machine's own back
  set -- $(cat "$D/sysctl.saved"); sysctl -q -w kernel.panic=$1 kernel.panic_on_oops=$2 vm.overcommit_memory=$3
  echo "cluster up: $NODES node(s); kubectl --kubeconfig $D/admin.kubeconfig inside 'nsenter --net=/run/netns/$NS'; node 1 reachable at $IP"
}

# The cluster's network: node 1's namespace, reached from the machine over erisk8s-h; nodes 2 and 3 reached from
# node 1 over their own veth pairs (10.250.N.1 on node 1's side, 10.250.N.2 the node). Node 1 forwards between them
# (a tunable of its own namespace, not the machine's); each node's pod range is routed to it.
network() {
  ip netns add $NS
  ip -n $NS link set lo up
  ip link add erisk8s-h type veth peer name erisk8s-n
  ip link set erisk8s-n netns $NS
  ip addr add $HOSTIP/30 dev erisk8s-h; ip link set erisk8s-h up
  ip -n $NS addr add $IP/30 dev erisk8s-n; ip -n $NS link set erisk8s-n up
  ip -n $NS route add blackhole default
  # the cluster's pod and service ranges lead into node 1, never out of the machine's default route
  ip route add 10.244.0.0/16 via $IP dev erisk8s-h
  ip route add 10.96.0.0/16 via $IP dev erisk8s-h
  local i ns
  for i in $(seq 2 $NODES); do ns=$(node_ns $i)
    ip netns add $ns
    ip -n $ns link set lo up
    ip -n $NS link add erisk8s-$i type veth peer name erisk8s-n netns $ns
    ip -n $NS addr add 10.250.$i.1/30 dev erisk8s-$i; ip -n $NS link set erisk8s-$i up
    ip -n $ns addr add "$(node_ip $i)/30" dev erisk8s-n; ip -n $ns link set erisk8s-n up
    ip -n $ns route add blackhole default
    for r in 10.244.0.0/16 10.96.0.0/16 10.250.0.0/16; do ip -n $ns route add $r via 10.250.$i.1; done
    ip -n $NS route add "$(node_cidr $i)" via "$(node_ip $i)"
  done
  ip netns exec $NS sysctl -q -w net.ipv4.ip_forward=1
}

# Node N: its containerd, kubelet and kube-proxy in their own PID and mount namespaces inside the node's network
# namespace; the sandbox and CoreDNS images imported into its containerd.
node_up() {
  local i=$1 nd ns ip name P=$D/pki kcfg
  nd=$(node_dir $i); ns=$(node_ns $i); ip=$(node_ip $i); name=$(node_name $i)
  [ "$i" = 1 ] && kcfg=$D/kubelet.kubeconfig || kcfg=$D/kubelet-$name.kubeconfig
  local serving=kubelet-serving; [ "$i" = 1 ] || serving=kubelet-serving-$name
  cat > "$nd/containerd.toml" <<EOC
version = 2
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  sandbox_image = "eris.local/pause:3.10"
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$nd/cni/net.d"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  Root = "$nd/runc"
EOC
  cat > "$nd/cni/net.d/10-bridge.conflist" <<EOC
{"cniVersion":"0.4.0","name":"eris-testbed","plugins":[
 {"type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":false,"hairpinMode":true,
  "ipam":{"type":"host-local","ranges":[[{"subnet":"$(node_cidr $i)"}]],"routes":[{"dst":"0.0.0.0/0"}]}},
 {"type":"portmap","capabilities":{"portMappings":true}},
 {"type":"loopback"}]}
EOC
  cat > "$nd/kubelet.yaml" <<EOC
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: "$P/ca.crt"}}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: /$(node_cgroot $i)
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$nd/containerd.sock
address: $ip
readOnlyPort: 0
tlsCertFile: $P/$serving.crt
tlsPrivateKeyFile: $P/$serving.key
clusterDomain: cluster.local
resolvConf: ""
clusterDNS: [10.96.0.10]
protectKernelDefaults: false
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOC
  mkdir -p "$nd/log"
  local pidname=node; [ "$i" = 1 ] || pidname=node-$i
  setsid nsenter --net=/run/netns/$ns unshare --pid --fork --mount --mount-proc --propagation private \
     "$here/node-init.sh" "$nd" "$B" "$ip" "$name" "$kcfg" "$D/kube-proxy.kubeconfig" "topology.kubernetes.io/zone=${ZONES[$((i - 1))]},topology.kubernetes.io/region=eris-testbed" \
     >"$D/log/$pidname.log" 2>&1 < /dev/null &
  echo $! > "$D/pid/$pidname"
  wait_for 30 "containerd of $name" ctr -a "$nd/containerd.sock" version
  import_base_images "$nd"
}

# The sandbox image, built from the pause.c that ships in the k8s.io/kubernetes module, and CoreDNS from the same
# cache (a static binary in its own image): built once into DIR/images, imported into each node's containerd.
import_base_images() {
  local sock=$1/containerd.sock
  if [ ! -f "$D/images/pause.tar" ]; then
    mkdir -p "$D/images/pause/rootfs"
    gcc -static -O2 -o "$D/images/pause/rootfs/pause" "$B/pause.c"
    node "$repo/scripts/image/oci-image.mjs" --name eris.local/pause:3.10 --out "$D/images/pause.tar" --rootfs "$D/images/pause/rootfs" --cmd '["/pause"]' >/dev/null
  fi
  if [ ! -f "$D/images/coredns.tar" ]; then
    mkdir -p "$D/images/coredns/rootfs"; cp "$B/coredns" "$D/images/coredns/rootfs/coredns"
    node "$repo/scripts/image/oci-image.mjs" --name eris.local/coredns:1.15.0 --out "$D/images/coredns.tar" --rootfs "$D/images/coredns/rootfs" --cmd '["/coredns"]' >/dev/null
  fi
  ctr -a "$sock" -n k8s.io images import "$D/images/pause.tar" >/dev/null
  ctr -a "$sock" -n k8s.io images import "$D/images/coredns.tar" >/dev/null
}

down() {
  set +e
  stop() { local f="$D/pid/$1"; [ -f "$f" ] || return 0; local p; p=$(cat "$f")
    kill -TERM -- -"$p" 2>/dev/null; for _ in $(seq 1 25); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- -"$p" 2>/dev/null; rm -f "$f"; }
  # a node's PID namespace ends with its init: kubelet, kube-proxy, containerd and every container go at once,
  # and their mounts and pod network namespaces with them
  local f
  for f in "$D"/pid/node "$D"/pid/node-[0-9]; do [ -f "$f" ] && { kill -KILL -- -"$(cat "$f")" 2>/dev/null; rm -f "$f"; }; done
  for n in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop $n; done
  awk -v d="$D/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
  ip link del erisk8s-h 2>/dev/null
  for n in 2 3; do ip netns del $NS-$n 2>/dev/null; done
  ip netns del $NS 2>/dev/null
  # the pods' cgroups, once the kernel has reaped the node's processes (it does so after init is killed)
  for _ in $(seq 1 50); do
    find /sys/fs/cgroup/*/$CGROOT -depth -type d -exec rmdir {} \; 2>/dev/null
    compgen -G "/sys/fs/cgroup/*/$CGROOT" >/dev/null || break; sleep 0.2
  done
  [ -f "$D/sysctl.saved" ] && { set -- $(cat "$D/sysctl.saved"); sysctl -q -w kernel.panic=$1 kernel.panic_on_oops=$2 vm.overcommit_memory=$3; rm -f "$D/sysctl.saved"; }
  echo "cluster down"
}
case $cmd in up|down) $cmd ;; *) echo "usage: node.sh up|down DIR [BINDIR]" >&2; exit 2 ;; esac
