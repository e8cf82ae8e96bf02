#!/usr/bin/env node
// Writes an OCI image layout tarball of one uncompressed layer from a rootfs folder — what `ctr images import`
// takes — with no registry and no Docker engine. The layer is reproducible (sorted names, mtime 0, owner 0).
//
//   node scripts/image/oci-image.mjs --name eris.local/pause:3.10 --out pause.tar --rootfs DIR [--cmd '["/pause"]']
//     [--entrypoint JSON] [--env K=V]... [--user U] [--workdir W] [--label K=V]... [--created-by TEXT]
//
// Layout as in the OCI image spec (image-layout.md, manifest.md, config.md): oci-layout, index.json whose entries
// carry `io.containerd.image.name` (the name containerd registers), blobs/sha256/{layer,config,manifest}.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
};
const REPRODUCIBLE_TAR = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'];
const EPOCH = '1970-01-01T00:00:00Z';

/** The OCI architecture name of this Node.js build's CPU. */
export function ociArch() {
  const map = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
  return map[process.arch] ?? process.arch;
}

async function sha256File(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * Builds the tarball and returns its digests.
 * @param {{ names: string[], rootfs: string, out: string, cmd?: string[], entrypoint?: string[], env?: string[],
 *   user?: string, workdir?: string, labels?: Record<string, string>, createdBy?: string }} image
 * @returns {Promise<{ names: string[], tarPath: string, manifestDigest: string, configDigest: string, layerDigest: string }>}
 */
export async function writeOciImage(image) {
  if (image.names.length === 0) throw new Error('oci-image: at least one --name');
  if (!statSync(image.rootfs).isDirectory()) throw new Error(`oci-image: rootfs ${image.rootfs} is not a folder`);
  const out = resolve(image.out);
  mkdirSync(dirname(out), { recursive: true });
  const work = mkdtempSync(join(dirname(out), '.oci-'));
  try {
    const blobs = join(work, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true });
    const layerTmp = join(work, 'layer.tar');
    execFileSync('tar', [...REPRODUCIBLE_TAR, '--format=gnu', '-C', image.rootfs, '-cf', layerTmp, '.']);
    const layerHex = await sha256File(layerTmp);
    const layerSize = statSync(layerTmp).size;
    renameSync(layerTmp, join(blobs, layerHex));

    const writeBlob = (value) => {
      const bytes = Buffer.from(JSON.stringify(value));
      const hex = createHash('sha256').update(bytes).digest('hex');
      writeFileSync(join(blobs, hex), bytes);
      return { digest: `sha256:${hex}`, size: bytes.length };
    };
    const platform = { architecture: ociArch(), os: 'linux' };
    const config = writeBlob({
      ...platform,
      created: EPOCH,
      config: {
        Env: image.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        ...(image.entrypoint ? { Entrypoint: image.entrypoint } : {}),
        ...(image.cmd ? { Cmd: image.cmd } : {}),
        ...(image.user ? { User: image.user } : {}),
        WorkingDir: image.workdir ?? '/',
        ...(image.labels ? { Labels: image.labels } : {}),
      },
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerHex}`] },
      history: [{ created: EPOCH, created_by: image.createdBy ?? 'scripts/image/oci-image.mjs' }],
    });
    const manifest = writeBlob({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, ...config },
      layers: [{ mediaType: MEDIA.layer, digest: `sha256:${layerHex}`, size: layerSize }],
    });
    const index = {
      schemaVersion: 2,
      manifests: image.names.map((name) => ({
        mediaType: MEDIA.manifest,
        ...manifest,
        platform,
        annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.slice(name.lastIndexOf(':') + 1) },
      })),
    };
    writeFileSync(join(work, 'index.json'), JSON.stringify(index));
    writeFileSync(join(work, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    execFileSync('tar', [...REPRODUCIBLE_TAR, '-C', work, '-cf', out, 'oci-layout', 'index.json', 'blobs']);
    return { names: image.names, tarPath: out, manifestDigest: manifest.digest, configDigest: config.digest, layerDigest: `sha256:${layerHex}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function parseArgs(argv) {
  const image = { names: [], env: undefined, labels: undefined };
  const json = (flag, text) => {
    try {
      const value = JSON.parse(text);
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
    } catch {
      // reported below
    }
    throw new Error(`oci-image: ${flag} takes a JSON array of strings, got ${text}`);
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`oci-image: ${flag} needs a value`);
    switch (flag) {
      case '--name': image.names.push(value); break;
      case '--out': image.out = value; break;
      case '--rootfs': image.rootfs = value; break;
      case '--cmd': image.cmd = json(flag, value); break;
      case '--entrypoint': image.entrypoint = json(flag, value); break;
      case '--env': (image.env ??= []).push(value); break;
      case '--user': image.user = value; break;
      case '--workdir': image.workdir = value; break;
      case '--created-by': image.createdBy = value; break;
      case '--label': {
        const eq = value.indexOf('=');
        if (eq < 1) throw new Error(`oci-image: --label takes KEY=VALUE, got ${value}`);
        (image.labels ??= {})[value.slice(0, eq)] = value.slice(eq + 1);
        break;
      }
      default: throw new Error(`oci-image: unknown flag ${flag}`);
    }
  }
  if (!image.out || !image.rootfs) throw new Error('oci-image: --name, --out and --rootfs are required');
  return image;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const built = await writeOciImage(parseArgs(process.argv.slice(2)));
    process.stdout.write(`${built.tarPath} ${built.manifestDigest}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
