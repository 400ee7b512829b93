// Thread: main. Start-up failures as one readable line for the terminal (`strata: …` on
// stderr) rather than a JSON stack: a listener that cannot bind names its setting and the
// address, a locked log directory names its holder; anything unexpected keeps its message.
import { StrataError, strataCodeOf, type StrataErrorCode } from '../errors.js';

export class StartupError extends StrataError {
  constructor(message: string, code: StrataErrorCode, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StartupError';
  }
}

/** A Kafka listener bind failure, naming the setting, the address and what to do. */
export function listenFailure(setting: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.syscall !== 'listen' && e?.syscall !== 'bind') return err as Error;
  const address = e.address?.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
  const reason =
    e.code === 'EADDRINUSE'
      ? 'the address is already in use (another broker or program holds the port)'
      : e.code === 'EACCES'
        ? 'permission denied (ports below 1024 need privileges)'
        : e.code === 'EADDRNOTAVAIL'
          ? 'no such local address'
          : (e.code ?? e.message);
  return new StartupError(
    `${setting}: cannot listen on ${address}: ${reason}; choose another with --${setting}=PLAINTEXT://HOST:PORT or STRATA_${setting.toUpperCase().replace(/\./g, '_')}`,
    'STRATA_ERR_LISTEN',
    { cause: err },
  );
}

/** One line (or a few) a person can act on; `known` is false for unexpected failures (log their stack). */
export function describeStartupFailure(err: unknown): { message: string; known: boolean } {
  if (err instanceof Error) {
    if (strataCodeOf(err) !== undefined) return { message: err.message, known: true };
    return { message: err.message || err.name, known: false };
  }
  return { message: String(err), known: false };
}
