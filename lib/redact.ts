// Secrets in what eris shows of processes: values of secret-looking flags, env-style arguments and URL passwords
// in command lines, and labels with secret-looking keys, replaced by a mask before they leave the process.

export const MASK = '***';

/**
 * A key that names a secret. Anywhere in the key: password, passwd, secret, credential, api/access/private/session
 * key (`PGPASSWORD`, `AWS_SECRET_ACCESS_KEY`, `apiKey`); at its end: pass (`requirepass`); as a whole word: pwd,
 * token(s), auth, bearer (`auth-token`, but not `tokenizer` or `author`).
 */
const SECRET_ANYWHERE = /pass(word|wd)|secret|credential|(api|access|private|session)[-_.]?key/i;
const SECRET_SUFFIX = /pass$/i;
const SECRET_WORD = /(^|[^a-z])(pwd|tokens?|auth|bearer)($|[^a-z])/i;

export function isSecretKey(key: string): boolean {
  // camelCase counts as words: authToken → auth-Token.
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1-$2');
  return SECRET_ANYWHERE.test(key) || SECRET_SUFFIX.test(key) || SECRET_WORD.test(words);
}

const FLAG = /^(--?)([A-Za-z0-9][A-Za-z0-9_.-]*)(=(.*))?$/s;
const ENV = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
/** user:password@ in a URL (postgres://app:s3cret@db:5432/x). */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)([^\s/@]+)(@)/gi;

/** argv with secret values masked: `--password=x` and `--password x`, `PASSWORD=x`, URL passwords. */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const flag = FLAG.exec(arg);
    if (flag !== null && isSecretKey(flag[2]!)) {
      if (flag[3] !== undefined) {
        out.push(`${flag[1]}${flag[2]}=${MASK}`);
        continue;
      }
      out.push(arg);
      // `--password VALUE`: the next argument is the value, unless it is another flag.
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        out.push(MASK);
        i++;
      }
      continue;
    }
    const env = flag === null ? ENV.exec(arg) : null;
    if (env !== null && isSecretKey(env[1]!)) {
      out.push(`${env[1]}=${MASK}`);
      continue;
    }
    out.push(arg.replace(URL_PASSWORD, `$1${MASK}$3`));
  }
  return out;
}

/** A space-joined command line (as /proc/PID/cmdline is shown) with its secrets masked. */
export function redactCmdline(cmdline: string): string {
  return redactArgv(cmdline.split(' ')).join(' ');
}

/** Labels with secret-looking keys masked, and URL passwords in any value. */
export function redactLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) out[key] = isSecretKey(key) ? MASK : value.replace(URL_PASSWORD, `$1${MASK}$3`);
  return out;
}

/** A fault record (agent or coordinator side) with the command lines of its process targets masked. */
export function redactFaultCmdlines<F extends { targets: ReadonlyArray<{ process?: { pid: number; cmdline: string } }> }>(fault: F): F {
  if (!fault.targets.some((t) => t.process !== undefined)) return fault;
  return { ...fault, targets: fault.targets.map((t) => (t.process === undefined ? t : { ...t, process: { ...t.process, cmdline: redactCmdline(t.process.cmdline) } })) };
}
