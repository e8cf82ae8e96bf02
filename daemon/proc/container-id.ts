// The container a process belongs to, read from its cgroup path (for host-mode targets: a host process may be a pod's).
//
// Runtimes name a container's cgroup after its 64-hex id; the last path segment carrying one is the container:
//   cgroupfs driver  /kubepods/besteffort/pod<uid>/<id>
//   systemd driver   /kubepods.slice/…/cri-containerd-<id>.scope, crio-<id>.scope, docker-<id>.scope
// (ref: containerd pkg/cri/server/helpers_linux.go, cri-o internal/config/cgmgr, runc libcontainer/cgroups/systemd).
const CONTAINER_SEGMENT = /^(?:[a-z][a-z-]*-)?([0-9a-f]{64})(?:\.scope)?$/;

/** The id of the container whose cgroup `path` is (or is below), or null for a process outside any container. */
export function containerIdFromCgroup(path: string | null): string | null {
  if (path === null) return null;
  const segments = path.split('/');
  for (let i = segments.length - 1; i >= 0; i--) {
    const m = CONTAINER_SEGMENT.exec(segments[i]!);
    if (m) return m[1]!;
  }
  return null;
}
