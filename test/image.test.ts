// scripts/image/build-image.mjs builds the eris image without a Docker engine by following the Dockerfile. These
// tests keep the two in step: the Dockerfile uses only what the script follows, the script follows each of those
// the way Docker does, and refuses what it cannot follow. (test/k8s/cluster.test.ts builds the real image and runs it.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followDockerfile, nodeMajorOf, parseDockerfile } from '../scripts/image/build-image.mjs';
import { ROOT } from './cli-harness.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

function fixture(dockerfile: string, files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'eris-image-test-'));
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('the image script and the Dockerfile', () => {
  it('the Dockerfile uses only instructions the script follows, on the runtime this machine has', () => {
    const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    assert.deepEqual(stages.map((s) => s.name ?? null), ['build', null]);
    const followed = new Set(['WORKDIR', 'COPY', 'RUN', 'ENTRYPOINT', 'CMD', 'USER', 'ENV', 'LABEL', 'EXPOSE']);
    for (const stage of stages) {
      assert.equal(nodeMajorOf(stage.from), NODE_MAJOR, `${stage.from}: the image carries the Node.js the suite runs on`);
      for (const { op } of stage.instructions) assert.ok(followed.has(op), `${op} is followed`);
    }
    const final = stages.at(-1)!;
    assert.ok(!final.instructions.some((i) => i.op === 'RUN'), 'the final stage has no RUN (the image has no shell)');
    assert.deepEqual(final.instructions.find((i) => i.op === 'ENTRYPOINT')?.args, '["node", "/opt/eris/bin/eris.js"]');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, `>=${NODE_MAJOR}`, 'package.json engines names the image runtime');
  });

  it('follows COPY, WORKDIR, RUN, ENTRYPOINT, CMD, USER, ENV and LABEL as Docker does', () => {
    const { dir, cleanup } = fixture(
      [
        `FROM node:${NODE_MAJOR}-bookworm-slim AS build`,
        'WORKDIR /src',
        'COPY a.txt sub ./',
        'RUN echo built > out.txt && mkdir gen && echo g > gen/g.txt',
        `FROM node:${NODE_MAJOR}-bookworm-slim`,
        'WORKDIR /opt/app',
        'COPY --from=build /src/out.txt ./out.txt',
        'COPY --from=build /src/gen ./gen',
        'COPY --from=build /src/b.txt ./copied/',
        'ENV MODE=test',
        'LABEL org.opencontainers.image.title="eris"',
        'USER 65532',
        'ENTRYPOINT ["node", "/opt/app/main.js"]',
        'CMD ["agent"]',
      ].join('\n'),
      { 'a.txt': 'a', 'sub/b.txt': 'b' },
    );
    const work = mkdtempSync(join(tmpdir(), 'eris-image-work-'));
    try {
      const { root, config } = followDockerfile({ context: dir, work });
      assert.equal(readFileSync(join(root, 'opt/app/out.txt'), 'utf8'), 'built\n', 'RUN ran in the build stage');
      assert.equal(readFileSync(join(root, 'opt/app/gen/g.txt'), 'utf8'), 'g\n', 'a directory copies its contents');
      assert.equal(readFileSync(join(root, 'opt/app/copied/b.txt'), 'utf8'), 'b', 'a directory source copied its contents into ./, a trailing slash takes the name');
      assert.ok(existsSync(join(root, 'usr/local/bin/node')), 'the runtime is where node images keep it');
      assert.equal(readlinkSync(join(root, 'usr/bin/node')), '/usr/local/bin/node');
      assert.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^nonroot:x:65532:/m, 'the chart runs the coordinator as 65532');
      assert.deepEqual(config, {
        workdir: '/opt/app',
        entrypoint: ['node', '/opt/app/main.js'],
        cmd: ['agent'],
        user: '65532',
        env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'MODE=test'],
        labels: { 'org.opencontainers.image.title': 'eris' },
      });
    } finally {
      cleanup();
      rmSync(work, { recursive: true, force: true });
    }
  });

  const refused: Array<[string, RegExp]> = [
    ['ADD https://example.invalid/x /x', /ADD is not followed/],
    ['RUN echo hi', /RUN in the final stage/],
    ['ENTRYPOINT node main.js', /exec form/],
    ['COPY --chown=1:1 a.txt /a', /only --from= is supported/],
    ['COPY --from=nowhere /a /a', /no earlier stage/],
    ['COPY missing.txt /m', /missing.txt: not found/],
  ];
  for (const [line, message] of refused) {
    it(`refuses what it cannot follow: ${line}`, () => {
      const { dir, cleanup } = fixture(`FROM node:${NODE_MAJOR}-bookworm-slim\n${line}\n`, { 'a.txt': 'a' });
      const work = mkdtempSync(join(tmpdir(), 'eris-image-work-'));
      try {
        assert.throws(() => followDockerfile({ context: dir, work }), message);
      } finally {
        cleanup();
        rmSync(work, { recursive: true, force: true });
      }
    });
  }

  it('refuses a base image whose Node.js is not the one it would copy', () => {
    const { dir, cleanup } = fixture(`FROM node:${NODE_MAJOR + 1}-bookworm-slim\nCMD ["x"]\n`, {});
    const work = mkdtempSync(join(tmpdir(), 'eris-image-work-'));
    try {
      assert.throws(() => followDockerfile({ context: dir, work }), new RegExp(`wants Node.js ${NODE_MAJOR + 1}, but .* is Node.js ${NODE_MAJOR}`));
    } finally {
      cleanup();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
