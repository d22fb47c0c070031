import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level: string;
  /** 'auto' = pretty when stdout is a TTY. */
  readonly pretty: 'auto' | 'true' | 'false';
}

/** pino JSON to stdout; pretty-printed for people at a terminal. Secrets are redacted by path. */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty === 'true' || (options.pretty === 'auto' && process.stdout.isTTY === true);
  return pino({
    level: options.level,
    base: { service: 'aiopsd' },
    redact: {
      paths: ['*.password', '*.token', '*.secret', '*.authorization', 'req.headers.authorization', 'config.audit.checkpointKey', 'databaseUrl', 'redisUrl'],
      censor: '<redacted>',
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } } : {}),
  });
}

/** A logger that discards everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
