import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeStartupFailure, listenFailure, StartupError } from '../../../src/util/startup-error.js';
import { LogDirLockedError } from '../../../src/util/log-dir-lock.js';

async function bindError(port: number): Promise<Error> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', resolve);
    server.listen({ host: '127.0.0.1', port }, () => resolve(new Error('unexpectedly bound')));
  });
}

describe('start-up failures', () => {
  it('a Kafka port in use becomes one readable line naming the setting and the address', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const err = listenFailure('listeners', await bindError(port));
      expect(err).toBeInstanceOf(StartupError);
      const { message, known } = describeStartupFailure(err);
      expect(known).toBe(true);
      expect(message).toBe(
        `listeners: cannot listen on 127.0.0.1:${port}: the address is already in use (another broker or program holds the port); ` +
          'choose another with --listeners=PLAINTEXT://HOST:PORT or STRATA_LISTENERS',
      );
      expect((err as StartupError).code).toBe('STRATA_ERR_LISTEN');
    } finally {
      holder.close();
    }
  });

  it('keeps other errors as they are; a locked log dir is a known failure', () => {
    const plain = new Error('boom');
    expect(listenFailure('listeners', plain)).toBe(plain);
    expect(describeStartupFailure(plain)).toEqual({ message: 'boom', known: false });
    const locked = new LogDirLockedError('/data', { pid: 42, startTicks: null, bootId: null, host: 'h', startedAt: 't', nonce: 'n' });
    expect(describeStartupFailure(locked)).toEqual({ message: locked.message, known: true });
    expect(describeStartupFailure('text')).toEqual({ message: 'text', known: false });
  });
});
