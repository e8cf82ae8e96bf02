// Labels for host processes, read from their command line, so a probe can address the process it checks:
// `--port 9001` → port=9001; `--listen-client-urls http://127.0.0.1:2379` → also listen-client-urls.port=2379.

const FLAG = /^--?([A-Za-z0-9][A-Za-z0-9_.-]*)(?:=(.*))?$/;

export function cmdlineLabels(argv: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = FLAG.exec(argv[i]!);
    if (!m) continue;
    let value = m[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) continue;
      value = next;
      i++;
    }
    const key = m[1]!;
    if (key in labels) continue;
    labels[key] = value;
    // The first URL of a (comma-separated) URL list: its host and port, for probes.
    const first = value.split(',')[0]!;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(first)) {
      try {
        const url = new URL(first);
        labels[`${key}.host`] = url.hostname;
        if (url.port !== '') labels[`${key}.port`] = url.port;
      } catch {
        // not a URL after all
      }
    }
  }
  return labels;
}
