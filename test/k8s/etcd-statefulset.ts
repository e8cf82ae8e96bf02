// A 3-member etcd StatefulSet for the drills of examples/: namespace `etcd`, the headless Service `etcd-headless`
// that gives each member its name (etcd-N.etcd-headless.etcd.svc.cluster.local), the client Service `etcd`. The
// data lives on an emptyDir, so a container kubelet restarts keeps its member (the pod, and so the volume, stays).
// The members run in zones a and b only, at most one apart: two in one zone and one in the other, whichever way the
// scheduler splits them, so `pack: zone` has two members of one zone to pick and `spread: zone` one of each.
import { ETCD_IMAGE } from '../harness/containerd.js';

export const ETCD_NAMESPACE = 'etcd';
export const ETCD_MEMBERS = ['etcd-0', 'etcd-1', 'etcd-2'] as const;
/** The zones the members run in (the bed's third zone, c, has none). */
export const ETCD_ZONES = ['a', 'b'] as const;

const peers = ETCD_MEMBERS.map((m) => `${m}=http://${m}.etcd-headless.${ETCD_NAMESPACE}.svc.cluster.local:2380`).join(',');

export const ETCD_MANIFEST = `
apiVersion: v1
kind: Namespace
metadata: {name: ${ETCD_NAMESPACE}}
---
apiVersion: v1
kind: Service
metadata: {name: etcd-headless, namespace: ${ETCD_NAMESPACE}}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app: etcd}
  ports: [{name: client, port: 2379}, {name: peer, port: 2380}]
---
apiVersion: v1
kind: Service
metadata: {name: etcd, namespace: ${ETCD_NAMESPACE}}
spec:
  selector: {app: etcd}
  ports: [{name: client, port: 2379}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: etcd, namespace: ${ETCD_NAMESPACE}}
spec:
  serviceName: etcd-headless
  replicas: 3
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: etcd}}
  template:
    metadata: {labels: {app: etcd}}
    spec:
      terminationGracePeriodSeconds: 1
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [${ETCD_ZONES.join(', ')}]}]}]
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: etcd}}}
      containers:
      - name: etcd
        image: ${ETCD_IMAGE}
        imagePullPolicy: Never
        env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        command: [/usr/bin/etcd]
        args:
        - --name=$(POD)
        - --data-dir=/var/lib/etcd
        - --listen-client-urls=http://0.0.0.0:2379
        - --advertise-client-urls=http://$(POD).etcd-headless.${ETCD_NAMESPACE}.svc.cluster.local:2379
        - --listen-peer-urls=http://0.0.0.0:2380
        - --initial-advertise-peer-urls=http://$(POD).etcd-headless.${ETCD_NAMESPACE}.svc.cluster.local:2380
        - --initial-cluster=${peers}
        - --initial-cluster-state=new
        readinessProbe: {httpGet: {path: /health, port: 2379}, periodSeconds: 2}
        volumeMounts: [{name: data, mountPath: /var/lib/etcd}]
      volumes: [{name: data, emptyDir: {}}]
`;
