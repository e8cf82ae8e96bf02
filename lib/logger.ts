// The one place that builds pino loggers, so every component logs the same JSON shape.
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };

export type LogFormat = 'pretty' | 'json';

export function createLogger(options: { name: string; level?: LevelWithSilent; destination?: DestinationStream; format?: LogFormat | undefined }): Logger {
  const level = options.level ?? ((process.env.ERIS_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info');
  // JSON for machines (a pipe, a log collector); one readable line each for a person at a terminal.
  const format = options.format ?? (process.stdout.isTTY === true ? 'pretty' : 'json');
  const destination = options.destination ?? (format === 'pretty' ? prettyStream(process.stdout) : undefined);
  return destination ? pino({ name: options.name, level }, destination) : pino({ name: options.name, level });
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

/** `12:04:05 INFO  eris-agent: listening url=http://127.0.0.1:7701` — each JSON record pino writes, as one line. */
export function prettyStream(out: NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string) {
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const time = new Date(typeof r.time === 'number' ? r.time : Date.now()).toTimeString().slice(0, 8);
      const fields = Object.entries(r)
        .filter(([k]) => !OMIT.has(k))
        .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`);
      out.write(`${time} ${LEVELS[r.level as number] ?? String(r.level)} ${r.name ?? ''}: ${String(r.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}\n`);
    },
  };
}

/** A logger that writes nothing: the default in tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
