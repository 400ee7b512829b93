import net from 'node:net';
import pino, { type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpServer, parseHttpListeners } from '../../../src/http/server.js';
import { brokerConfigSchema } from '../../../src/config/broker-config.js';

describe('http.listeners', () => {
  it('parses host:port lists, optional http://, IPv6 and empty (disabled)', () => {
    expect(parseHttpListeners('127.0.0.1:8080')).toEqual([{ host: '127.0.0.1', port: 8080 }]);
    expect(parseHttpListeners('http://0.0.0.0:0, [::1]:9000')).toEqual([
      { host: '0.0.0.0', port: 0 },
      { host: '::1', port: 9000 },
    ]);
    expect(parseHttpListeners(':8080')).toEqual([{ host: '0.0.0.0', port: 8080 }]);
    expect(parseHttpListeners('')).toEqual([]);
  });

  it('is validated by the config schema with default 127.0.0.1:8080', () => {
    expect(brokerConfigSchema.parse({})['http.listeners']).toBe('127.0.0.1:8080');
    expect(brokerConfigSchema.safeParse({ 'http.listeners': 'nonsense' }).success).toBe(false);
    expect(brokerConfigSchema.safeParse({ 'http.listeners': '' }).success).toBe(true);
  });
});

describe('HttpServer on a busy port', () => {
  const opened: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    return { logger, lines };
  }

  async function occupy(): Promise<{ port: number; free(): Promise<void> }> {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    return { port, free: () => new Promise<void>((resolve) => blocker.close(() => resolve())) };
  }

  async function getReadyz(port: number): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    } catch {
      return undefined;
    }
  }

  it('warns once naming http.listeners and the port, keeps retrying that port, and serves once it is free', async () => {
    const busy = await occupy();
    const { logger, lines } = capturingLogger();
    const server = new HttpServer([{ host: '127.0.0.1', port: busy.port }], [{ name: 'logs', ok: () => true }], logger, { initialDelayMs: 10, maxDelayMs: 40 });
    opened.push(server);
    expect(await server.listen()).toEqual([]); // resolves at once: nothing bound, nothing thrown
    expect(server.pending).toBe(1);
    // Several retries fail while the port stays busy, but there is still exactly one warning.
    await waitFor(() => lines.filter((l) => l.msg === 'http bind retry failed').length >= 3, 'three failed retries');
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('http.listeners');
    expect(warnings[0]!.msg).toContain(`127.0.0.1:${busy.port}`);
    expect(warnings[0]!.msg).toContain('port in use');
    expect(warnings[0]!.msg).toContain('STRATA_HTTP_LISTENERS');
    await busy.free();
    const ready = await waitFor(async () => {
      const r = await getReadyz(busy.port);
      return r?.status === 200 ? r : undefined;
    }, 'readyz on the freed port');
    expect(ready.body.status).toBe('ready');
    expect(ready.body.lateBinds).toEqual([expect.objectContaining({ listener: `127.0.0.1:${busy.port}` })]);
    expect(server.pending).toBe(0);
    expect(lines.some((l) => l.msg === 'http listening' && l.port === busy.port && typeof l.attempts === 'number')).toBe(true);
    const metrics = await fetch(`http://127.0.0.1:${busy.port}/metrics`);
    expect(metrics.status).toBe(200);
  });

  it('close() stops the retries: the port stays free after it is released', async () => {
    const busy = await occupy();
    const { logger, lines } = capturingLogger();
    const server = new HttpServer([{ host: '127.0.0.1', port: busy.port }], [], logger, { initialDelayMs: 10, maxDelayMs: 10 });
    await server.listen();
    await waitFor(() => lines.some((l) => l.msg === 'http bind retry failed') && server.scheduledRetries === 1, 'one failed retry, the next one scheduled');
    await server.close();
    // No retry is left to fire (a failing attempt in flight cannot schedule one after close()).
    expect(server.scheduledRetries).toBe(0);
    await busy.free();
    // The port is ours to bind again: the closed server holds nothing.
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen({ host: '127.0.0.1', port: busy.port }, resolve);
    });
    expect(lines.some((l) => l.msg === 'http listening')).toBe(false);
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });

  it('binds free endpoints at once and only retries the busy one', async () => {
    const busy = await occupy();
    const { logger } = capturingLogger();
    const server = new HttpServer(
      [
        { host: '127.0.0.1', port: 0 },
        { host: '127.0.0.1', port: busy.port },
      ],
      [],
      logger,
      { initialDelayMs: 10, maxDelayMs: 20 },
    );
    opened.push(server);
    const bound = await server.listen();
    expect(bound).toHaveLength(1);
    expect((await fetch(`http://127.0.0.1:${bound[0]!.boundPort}/healthz`)).status).toBe(200);
    expect(server.pending).toBe(1);
    await busy.free();
    await waitFor(() => server.pending === 0, 'the busy endpoint to bind');
  });
});

async function waitFor<T>(condition: () => T | Promise<T>, what: string, timeoutMs = 5_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
