// The one place that builds pino loggers, so every component logs the same JSON shape.
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };

export function createLogger(options: { name: string; level?: LevelWithSilent; destination?: DestinationStream }): Logger {
  const level = options.level ?? ((process.env.ERIS_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info');
  return options.destination ? pino({ name: options.name, level }, options.destination) : pino({ name: options.name, level });
}

/** A logger that writes nothing: the default in tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
