import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerIdFromCgroup } from './container-id.js';

const ID = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);

describe('containerIdFromCgroup', () => {
  it('reads the container id of the cgroupfs and systemd layouts', () => {
    assert.equal(containerIdFromCgroup(`/kubepods/besteffort/pod1234-5678/${ID}`), ID);
    assert.equal(containerIdFromCgroup(`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/cri-containerd-${ID}.scope`), ID);
    assert.equal(containerIdFromCgroup(`/kubepods.slice/x.slice/crio-${ID}.scope`), ID);
    assert.equal(containerIdFromCgroup(`/system.slice/docker-${ID}.scope`), ID);
    // A cgroup the container made for itself below its own.
    assert.equal(containerIdFromCgroup(`/kubepods/besteffort/pod1/${ID}/inner`), ID);
  });

  it('says null for a process outside any container', () => {
    for (const path of [null, '/', '/user.slice/user-0.slice/session-1.scope', '/system.slice/containerd.service', `/x/${ID.slice(1)}`]) {
      assert.equal(containerIdFromCgroup(path), null, String(path));
    }
  });
});
