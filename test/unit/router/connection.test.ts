import net from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection, type FrameHandler, type FrameOutcome } from '../../../src/router/connection.js';

const logger = pino({ level: 'silent' });

/** A frame handler whose answers the test releases in any order. */
class ControlledHandler implements FrameHandler {
  readonly pending: Array<{ id: number; resolve: (o: FrameOutcome) => void }> = [];
  handleFrame(frame: Buffer): Promise<FrameOutcome> {
    const id = frame.readInt32BE(0);
    return new Promise((resolve) => this.pending.push({ id, resolve }));
  }
  waitFor(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (this.pending.length >= count ? resolve() : setImmediate(check));
      check();
    });
  }
}

function frame(id: number, size = 4): Buffer {
  const b = Buffer.alloc(4 + size);
  b.writeInt32BE(size, 0);
  b.writeInt32BE(id, 4);
  return b;
}

function answer(id: number): FrameOutcome {
  const b = Buffer.alloc(8);
  b.writeInt32BE(4, 0);
  b.writeInt32BE(id, 4);
  return { kind: 'respond', chunks: [b] };
}

let server: net.Server | undefined;
afterEach(() => server?.close());

async function setup(handler: FrameHandler, opts: { maxFrameBytes?: number; maxInflightBytes?: number; logger?: pino.Logger } = {}) {
  const connections: Connection[] = [];
  server = net.createServer((socket) => {
    connections.push(new Connection(socket, handler, { maxFrameBytes: opts.maxFrameBytes ?? 1024, maxInflightBytes: opts.maxInflightBytes ?? 1 << 20, logger: opts.logger ?? logger }));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', r));
  const received: number[] = [];
  let buffered = Buffer.alloc(0);
  client.on('data', (d) => {
    buffered = Buffer.concat([buffered, d]);
    while (buffered.length >= 8) {
      received.push(buffered.readInt32BE(4));
      buffered = buffered.subarray(8);
    }
  });
  const closed = new Promise<void>((r) => client.once('close', () => r()));
  return { client, received, closed, connections };
}

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in 5 s');
    await new Promise((r) => setImmediate(r));
  }
}

describe('Connection', () => {
  it('a frame handler that fails closes the connection and logs the cause once, with its stack', async () => {
    const lines: Array<{ level: number; msg: string; err?: { stack: string } }> = [];
    const capture = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const failing: FrameHandler = { handleFrame: () => Promise.reject(new TypeError('dispatcher bug')) };
    const { client, closed } = await setup(failing, { logger: capture });
    client.write(frame(1));
    await closed;
    await until(() => lines.some((l) => l.msg === 'closing connection'));
    const errors = lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.err!.stack).toContain('TypeError: dispatcher bug');
    // Already logged at error level: closing adds no second warning.
    expect(lines.filter((l) => l.level === 40)).toEqual([]);
  });

  it('a close outcome the dispatcher already logged is not logged again as a warning', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const capture = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const handler: FrameHandler = { handleFrame: () => ({ kind: 'close', reason: 'internal error in Produce v9: x', logged: true }) };
    const { client, closed } = await setup(handler, { logger: capture });
    client.write(frame(1));
    await closed;
    await until(() => lines.some((l) => l.msg === 'closing connection'));
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('answers pipelined requests in request order even when they finish out of order', async () => {
    const handler = new ControlledHandler();
    const { client, received } = await setup(handler);
    client.write(Buffer.concat([frame(1), frame(2), frame(3)]));
    await handler.waitFor(3);
    handler.pending[2]!.resolve(answer(3));
    handler.pending[1]!.resolve(answer(2));
    await new Promise((r) => setImmediate(r));
    expect(received).toEqual([]);
    handler.pending[0]!.resolve(answer(1));
    await until(() => received.length === 3);
    expect(received).toEqual([1, 2, 3]);
    client.destroy();
  });

  it('sends nothing for a silent outcome and keeps order for the rest', async () => {
    const handler = new ControlledHandler();
    const { client, received } = await setup(handler);
    client.write(Buffer.concat([frame(1), frame(2), frame(3)]));
    await handler.waitFor(3);
    handler.pending[1]!.resolve({ kind: 'silent' });
    handler.pending[2]!.resolve(answer(3));
    handler.pending[0]!.resolve(answer(1));
    await until(() => received.length === 2);
    expect(received).toEqual([1, 3]);
    client.destroy();
  });

  it('closes the connection on a frame larger than the limit without handling it', async () => {
    const handler = new ControlledHandler();
    const { client, closed } = await setup(handler, { maxFrameBytes: 64 });
    const big = Buffer.alloc(8);
    big.writeInt32BE(1_000_000, 0);
    client.write(big);
    await closed;
    expect(handler.pending.length).toBe(0);
  });

  it('closes the connection on a negative frame size', async () => {
    const handler = new ControlledHandler();
    const { client, closed } = await setup(handler);
    const bad = Buffer.alloc(8);
    bad.writeInt32BE(-5, 0);
    client.write(bad);
    await closed;
    expect(handler.pending.length).toBe(0);
  });

  it('stops reading while too many request bytes are in flight and resumes after answers', async () => {
    const handler = new ControlledHandler();
    const { client, received } = await setup(handler, { maxInflightBytes: 2048, maxFrameBytes: 1 << 20 });
    // Three 1.5 KiB frames: after the second the connection is over its in-flight budget.
    client.write(Buffer.concat([frame(1, 1500), frame(2, 1500), frame(3, 1500)]));
    await handler.waitFor(2);
    await new Promise((r) => setImmediate(r));
    const seenWhilePaused = handler.pending.length;
    handler.pending[0]!.resolve(answer(1));
    handler.pending[1]!.resolve(answer(2));
    await handler.waitFor(3);
    handler.pending[2]!.resolve(answer(3));
    await until(() => received.length === 3);
    expect(seenWhilePaused).toBe(2);
    expect(received).toEqual([1, 2, 3]);
    client.destroy();
  });
});
