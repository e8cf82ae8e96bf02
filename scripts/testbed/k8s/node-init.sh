#!/usr/bin/env bash
# PID 1 of the node's own PID and mount namespaces: containerd, kubelet and kube-proxy run here, so a
# hostPID pod sees this node's processes only, and killing this process ends every one of them.
# node-init.sh NODE_DIR BINDIR NODE_IP NODE_NAME KUBELET_KUBECONFIG KUBE_PROXY_KUBECONFIG NODE_LABELS
D=$1 B=$2 IP=$3 NODE=$4 KUBELET_KC=$5 PROXY_KC=$6 LABELS=$7
# pods' network namespaces are bound under /run/netns: keep them in this mount namespace only
mkdir -p /run/netns && mount -t tmpfs -o size=1m tmpfs /run/netns
trap 'kill -TERM $(jobs -p) 2>/dev/null; wait' TERM INT
containerd --config "$D/containerd.toml" --address "$D/containerd.sock" --root "$D/containerd-root" --state "$D/containerd-state" >"$D/log/containerd.log" 2>&1 &
# kubelet gives up at once if the runtime does not answer: wait until containerd serves its socket
for i in $(seq 1 300); do ctr -a "$D/containerd.sock" version >/dev/null 2>&1 && break; sleep 0.1; done
# the node's own view of the usual paths, as a DaemonSet's hostPath volumes expect them: the CRI socket
# at /run/containerd/containerd.sock, pod logs under /var/log/pods — both kept inside DIR
mkdir -p /run/containerd "$D/var-log-pods" /var/log/pods
mount -t tmpfs -o size=1m tmpfs /run/containerd && touch /run/containerd/containerd.sock \
  && mount --bind "$D/containerd.sock" /run/containerd/containerd.sock
mount --bind "$D/var-log-pods" /var/log/pods
# a fresh /var/lib of the node's own (CNI address leases, whatever a hostPath volume writes there)
mkdir -p "$D/node-var-lib" && mount --bind "$D/node-var-lib" /var/lib
"$B/kubelet" --config="$D/kubelet.yaml" --kubeconfig="$KUBELET_KC" --root-dir="$D/kubelet" \
   --hostname-override="$NODE" --node-ip="$IP" --node-labels="$LABELS" --v=2 >"$D/log/kubelet.log" 2>&1 &
"$B/kube-proxy" --kubeconfig="$PROXY_KC" --hostname-override="$NODE" --cluster-cidr=10.244.0.0/16 \
   --proxy-mode=iptables --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 \
   --conntrack-tcp-timeout-close-wait=0 --masquerade-all >"$D/log/kube-proxy.log" 2>&1 &
while true; do wait; sleep 1; done   # reap whatever is re-parented here
