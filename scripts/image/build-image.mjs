#!/usr/bin/env node
// Builds the eris image without a Docker engine, by following the repository's Dockerfile: its build stage is run
// in a staging folder with this machine's Node.js and npm, its final stage becomes a rootfs of that Node.js (and
// the libraries it links), the files the Dockerfile copies, and its ENTRYPOINT/CMD/WORKDIR/USER/ENV. It accepts
// only the instructions it knows how to follow, so a Dockerfile it cannot honour fails here instead of drifting.
//
//   node scripts/image/build-image.mjs --out eris.oci.tar [--name docker.io/library/eris:0.1.0]... [--node PATH]
//   ctr -n k8s.io images import eris.oci.tar      # then pods use image eris:0.1.0 with imagePullPolicy: Never
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOciImage } from './oci-image.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the official node images keep the runtime; the `node` user they define. */
const NODE_IMAGE_BIN = '/usr/local/bin/node';
const NODE_IMAGE_USERS = { passwd: 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n', group: 'root:x:0:\nnode:x:1000:\nnonroot:x:65532:\n' };

/**
 * The Dockerfile as stages of instructions. Line continuations are joined; comments and blank lines dropped.
 * @param {string} text
 * @returns {{ from: string, name?: string, instructions: { op: string, args: string }[] }[]}
 */
export function parseDockerfile(text) {
  const stages = [];
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const line of logical) {
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile: cannot read "${line}"`);
    const op = m[1].toUpperCase();
    const args = m[2].trim();
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile: FROM ${args}: expected IMAGE [AS NAME]`);
      stages.push({ from: from[1], name: from[2], instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`Dockerfile: ${op} before FROM`);
      stages.at(-1).instructions.push({ op, args });
    }
  }
  return stages;
}

/** The Node.js major version an official `node:` base image carries (`node:26-bookworm-slim` → 26). */
export function nodeMajorOf(from) {
  const m = /^node:(\d+)(?:[.-]|$)/.exec(from);
  if (!m) throw new Error(`Dockerfile: FROM ${from}: only official node:<major>… images can be followed here`);
  return Number(m[1]);
}

function jsonArray(op, args) {
  let value;
  try {
    value = JSON.parse(args);
  } catch {
    // reported below
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`Dockerfile: ${op} must be a JSON array of strings (exec form), got ${args}`);
  return value;
}

/** COPY [--from=STAGE] SRC... DST */
function parseCopy(args) {
  const words = args.split(/\s+/);
  let from;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift();
    const m = /^--from=(\S+)$/.exec(flag);
    if (!m) throw new Error(`Dockerfile: COPY ${flag}: only --from= is supported`);
    from = m[1];
  }
  if (words.length < 2) throw new Error(`Dockerfile: COPY ${args}: needs a source and a destination`);
  return { from, sources: words.slice(0, -1), dest: words.at(-1) };
}

function run(cmd, args, cwd) {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, npm_config_update_notifier: 'false' } });
}

/**
 * A stage's filesystem is a folder; paths inside it are absolute in the image. Copies `src` (a path on the host)
 * to `dest` (a path in the stage) with Docker's rules for a trailing slash and for directories.
 */
function copyInto(root, workdir, src, dest, multiple) {
  const target = join(root, posix.resolve(workdir, dest));
  const toDir = dest.endsWith('/') || multiple || dest === '.' || dest === './';
  const isDir = statSync(src).isDirectory();
  const finalTarget = isDir ? target : toDir ? join(target, posix.basename(src)) : target;
  mkdirSync(isDir ? finalTarget : dirname(finalTarget), { recursive: true });
  // Directories: their contents go into the destination, as Docker does.
  cpSync(src, finalTarget, { recursive: true, dereference: false, verbatimSymlinks: true });
}

/**
 * Follows the Dockerfile. Returns the image's config and the rootfs folder of its final stage.
 * @param {{ dockerfile?: string, context?: string, node?: string, work: string, log?: (line: string) => void }} options
 */
export function followDockerfile(options) {
  const context = options.context ?? REPO;
  const nodeBin = options.node ?? process.execPath;
  const log = options.log ?? (() => undefined);
  const stages = parseDockerfile(readFileSync(options.dockerfile ?? join(context, 'Dockerfile'), 'utf8'));
  if (stages.length === 0) throw new Error('Dockerfile: no FROM');
  const machineMajor = Number(execFileSync(nodeBin, ['-p', 'process.versions.node.split(".")[0]']).toString().trim());
  const roots = new Map();
  let image;
  stages.forEach((stage, index) => {
    const major = nodeMajorOf(stage.from);
    if (major !== machineMajor) throw new Error(`Dockerfile: FROM ${stage.from} wants Node.js ${major}, but ${nodeBin} is Node.js ${machineMajor}`);
    const root = join(options.work, `stage-${index}`);
    mkdirSync(root, { recursive: true });
    const final = index === stages.length - 1;
    const config = { workdir: '/', entrypoint: undefined, cmd: undefined, user: undefined, env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], labels: undefined };
    for (const { op, args } of stage.instructions) {
      switch (op) {
        case 'WORKDIR':
          config.workdir = posix.resolve(config.workdir, args);
          mkdirSync(join(root, config.workdir), { recursive: true });
          break;
        case 'COPY': {
          const copy = parseCopy(args);
          const fromRoot = copy.from === undefined ? context : roots.get(copy.from);
          if (fromRoot === undefined) throw new Error(`Dockerfile: COPY --from=${copy.from}: no earlier stage of that name`);
          for (const source of copy.sources) {
            // a path in the build context, or an absolute path in an earlier stage
            const src = copy.from === undefined ? join(context, source) : join(fromRoot, source);
            if (!existsSync(src)) throw new Error(`Dockerfile: COPY ${source}: not found${copy.from ? ` in stage ${copy.from}` : ' in the build context'}`);
            copyInto(root, config.workdir, src, copy.dest, copy.sources.length > 1);
          }
          break;
        }
        case 'RUN':
          if (final) throw new Error('Dockerfile: RUN in the final stage cannot be followed without a Docker engine (the image has no shell)');
          log(`RUN ${args} (in ${config.workdir} of stage ${stage.name ?? index})`);
          run('sh', ['-c', args], join(root, config.workdir));
          break;
        case 'ENTRYPOINT':
          config.entrypoint = jsonArray(op, args);
          break;
        case 'CMD':
          config.cmd = jsonArray(op, args);
          break;
        case 'USER':
          config.user = args;
          break;
        case 'ENV': {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)[= ](.*)$/.exec(args);
          if (!m) throw new Error(`Dockerfile: ENV ${args}: expected NAME=VALUE`);
          config.env = [...config.env.filter((e) => !e.startsWith(`${m[1]}=`)), `${m[1]}=${m[2]}`];
          break;
        }
        case 'LABEL': {
          const m = /^([A-Za-z0-9_.-]+)=("?)(.*)\2$/.exec(args);
          if (!m) throw new Error(`Dockerfile: LABEL ${args}: expected KEY=VALUE`);
          config.labels = { ...config.labels, [m[1]]: m[3] };
          break;
        }
        case 'EXPOSE':
          break; // documentation only
        default:
          throw new Error(`Dockerfile: ${op} is not followed by scripts/image/build-image.mjs; teach it, or keep the Dockerfile to what it follows`);
      }
    }
    if (stage.name) roots.set(stage.name, root);
    if (final) image = { root, config };
  });
  // The base image's part: the Node.js runtime where node images keep it, the libraries it links, users, /tmp.
  const { root } = image;
  mkdirSync(join(root, dirname(NODE_IMAGE_BIN)), { recursive: true });
  copyFileSync(nodeBin, join(root, NODE_IMAGE_BIN));
  chmodSync(join(root, NODE_IMAGE_BIN), 0o755);
  for (const lib of sharedLibraries(nodeBin)) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib));
  }
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), NODE_IMAGE_USERS.passwd);
  writeFileSync(join(root, 'etc/group'), NODE_IMAGE_USERS.group);
  mkdirSync(join(root, 'tmp'), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  for (const d of ['proc', 'sys', 'dev', 'usr/bin']) mkdirSync(join(root, d), { recursive: true });
  if (!existsSync(join(root, 'usr/bin/node'))) execFileSync('ln', ['-s', NODE_IMAGE_BIN, join(root, 'usr/bin/node')]);
  return image;
}

/** The shared libraries (and the loader) a dynamic executable needs, per ldd; none for a static one. */
export function sharedLibraries(binary) {
  let out = '';
  try {
    out = execFileSync('ldd', [binary], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch {
    return []; // "not a dynamic executable"
  }
  return [...new Set([...out.matchAll(/(\/[^\s]+\.so[^\s]*)/g)].map((m) => m[1]))];
}

function defaultName() {
  const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  // containerd registers `eris:0.1.0` from a pod spec as docker.io/library/eris:0.1.0
  return `docker.io/library/eris:${version}`;
}

function main(argv) {
  const opts = { names: [], out: undefined, node: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`build-image: ${flag} needs a value`);
    if (flag === '--name') opts.names.push(value);
    else if (flag === '--out') opts.out = value;
    else if (flag === '--node') opts.node = value;
    else throw new Error(`build-image: unknown flag ${flag}`);
  }
  if (!opts.out) throw new Error('usage: build-image.mjs --out FILE.tar [--name NAME]... [--node PATH]');
  const work = mkdtempSync(join(tmpdir(), 'eris-image-'));
  try {
    const { root, config } = followDockerfile({ node: opts.node, work, log: (l) => process.stderr.write(`${l}\n`) });
    return writeOciImage({
      names: opts.names.length > 0 ? opts.names : [defaultName()],
      rootfs: root,
      out: opts.out,
      entrypoint: config.entrypoint,
      cmd: config.cmd,
      env: config.env,
      user: config.user,
      workdir: config.workdir,
      labels: config.labels,
      createdBy: 'scripts/image/build-image.mjs (following the Dockerfile)',
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const built = await main(process.argv.slice(2));
    process.stdout.write(`${built.tarPath} ${built.names.join(' ')} ${built.manifestDigest}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
