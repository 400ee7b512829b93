// Thread: main. Structured logs: pino JSON lines, pretty-printed when stdout is a terminal.
import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  const pretty = process.stdout.isTTY === true && process.env.STRATA_LOG_FORMAT !== 'json';
  return pino({
    name: 'strata',
    level,
    base: { pid: process.pid },
    redact: { paths: ['*.password', '*.secret', '*.saslAuthBytes', '*.authBytes'], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}
