import { EventEmitter } from 'node:events';
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

  describe('batched writes (fake socket)', () => {
    /** Records what the connection does to its socket, in order. */
    class FakeSocket extends EventEmitter {
      readonly remoteAddress = '127.0.0.1';
      readonly remotePort = 1;
      readonly calls: string[] = [];
      setNoDelay(): void {}
      pause(): void {
        this.calls.push('pause');
      }
      resume(): void {
        this.calls.push('resume');
      }
      cork(): void {
        this.calls.push('cork');
      }
      uncork(): void {
        this.calls.push('uncork');
      }
      write(chunk: Buffer): boolean {
        this.calls.push(`write ${chunk.readInt32BE(4)}`);
        return true;
      }
      end(): void {
        this.calls.push('end');
      }
      destroy(): void {
        this.calls.push('destroy');
      }
      /** What went out: only the socket calls that touch the wire. */
      get writes(): string[] {
        return this.calls.filter((c) => c !== 'pause' && c !== 'resume');
      }
    }

    function fakeConnection(handler: FrameHandler, maxInflightBytes = 1 << 20) {
      const socket = new FakeSocket();
      const conn = new Connection(socket as unknown as net.Socket, handler, { maxFrameBytes: 1 << 20, maxInflightBytes, logger });
      return { socket, conn };
    }

    /**
     * Past the end of this event-loop turn: a flush the connection scheduled in this turn (from a
     * microtask that may run after this call) has run by then.
     */
    const endOfTurn = () => new Promise<void>((r) => setImmediate(() => setImmediate(r)));

    it('writes the answers completed in separate microtasks of one turn with one cork/uncork, in request order', async () => {
      const handler = new ControlledHandler();
      const { socket, conn } = fakeConnection(handler);
      socket.emit('data', Buffer.concat([1, 2, 3, 4, 5, 6, 7, 8].map((id) => frame(id))));
      expect(handler.pending).toHaveLength(8);
      // Out of order, each in its own microtask, all in this turn.
      for (const i of [3, 1, 0, 2, 7, 4, 6, 5]) {
        handler.pending[i]!.resolve(answer(i + 1));
        await Promise.resolve();
      }
      expect(socket.writes).toEqual([]); // nothing until the turn ends
      const drained = conn.drained();
      await endOfTurn();
      expect(socket.writes).toEqual(['cork', ...[1, 2, 3, 4, 5, 6, 7, 8].map((id) => `write ${id}`), 'uncork']);
      await drained;
    });

    it('writes a lone answer without corking, and a later turn gets its own write', async () => {
      const handler = new ControlledHandler();
      const { socket } = fakeConnection(handler);
      socket.emit('data', Buffer.concat([frame(1), frame(2), frame(3)]));
      handler.pending[0]!.resolve(answer(1));
      await endOfTurn();
      expect(socket.writes).toEqual(['write 1']);
      handler.pending[2]!.resolve(answer(3));
      await endOfTurn();
      expect(socket.writes).toEqual(['write 1']); // 3 waits for 2
      handler.pending[1]!.resolve(answer(2));
      await endOfTurn();
      expect(socket.writes).toEqual(['write 1', 'cork', 'write 2', 'write 3', 'uncork']);
    });

    it('a close outcome mid-queue: answers before it go out in one write, then the socket ends and later answers are dropped', async () => {
      const handler = new ControlledHandler();
      const { socket, conn } = fakeConnection(handler);
      socket.emit('data', Buffer.concat([frame(1), frame(2), frame(3), frame(4)]));
      handler.pending[3]!.resolve(answer(4));
      handler.pending[2]!.resolve({ kind: 'close', reason: 'test', logged: true });
      handler.pending[1]!.resolve(answer(2));
      handler.pending[0]!.resolve(answer(1));
      await endOfTurn();
      expect(socket.writes).toEqual(['cork', 'write 1', 'write 2', 'uncork', 'end']);
      expect(conn.closed).toBe(true);
      await conn.drained();
      socket.emit('data', frame(5));
      expect(handler.pending).toHaveLength(4); // nothing read after the close
    });

    it('a close outcome right after a single answer writes it before ending', async () => {
      const handler = new ControlledHandler();
      const { socket } = fakeConnection(handler);
      socket.emit('data', Buffer.concat([frame(1), frame(2)]));
      handler.pending[0]!.resolve(answer(1));
      handler.pending[1]!.resolve({ kind: 'close', reason: 'test', logged: true });
      await endOfTurn();
      expect(socket.writes).toEqual(['write 1', 'end']);
    });

    it('silent outcomes free their slot without writing; drained() waits for the flush', async () => {
      const handler = new ControlledHandler();
      const { socket, conn } = fakeConnection(handler);
      socket.emit('data', Buffer.concat([frame(1), frame(2), frame(3)]));
      let drained = false;
      void conn.drained().then(() => (drained = true));
      handler.pending[0]!.resolve({ kind: 'silent' });
      handler.pending[1]!.resolve({ kind: 'silent' });
      handler.pending[2]!.resolve(answer(3));
      await Promise.resolve();
      await Promise.resolve();
      expect(drained).toBe(false);
      await endOfTurn();
      await Promise.resolve();
      expect(socket.writes).toEqual(['write 3']);
      expect(drained).toBe(true);
    });

    it('backpressure: pauses over the in-flight budget, holds frames, resumes once the batched flush frees it', async () => {
      const handler = new ControlledHandler();
      const { socket } = fakeConnection(handler, 2048);
      socket.emit('data', Buffer.concat([frame(1, 1500), frame(2, 1500), frame(3, 1500), frame(4, 1500)]));
      // The second frame crosses the budget: the socket pauses and frames 3 and 4 are held.
      expect(handler.pending).toHaveLength(2);
      expect(socket.calls).toEqual(['pause']);
      handler.pending[0]!.resolve(answer(1));
      await Promise.resolve();
      handler.pending[1]!.resolve(answer(2));
      await endOfTurn();
      // One write for both, then the held frames are handled (3 and 4 cross the budget again).
      expect(socket.calls).toEqual(['pause', 'cork', 'write 1', 'write 2', 'uncork', 'pause']);
      expect(handler.pending).toHaveLength(4);
      handler.pending[2]!.resolve(answer(3));
      handler.pending[3]!.resolve(answer(4));
      await endOfTurn();
      expect(socket.calls.slice(6)).toEqual(['cork', 'write 3', 'write 4', 'uncork', 'resume']);
    });

    it('a socket closed with answers pending writes nothing more and resolves drained()', async () => {
      const handler = new ControlledHandler();
      const { socket, conn } = fakeConnection(handler);
      socket.emit('data', Buffer.concat([frame(1), frame(2)]));
      handler.pending[0]!.resolve(answer(1));
      await Promise.resolve();
      socket.emit('close');
      await conn.drained();
      handler.pending[1]!.resolve(answer(2));
      await endOfTurn();
      expect(socket.writes).toEqual([]);
    });
  });

  it('a muted connection answers what it has, then reads no request until the mute ends', async () => {
    const handled: Array<{ id: number; at: number }> = [];
    let conn: Connection | undefined;
    const handler: FrameHandler = {
      handleFrame(f) {
        const id = f.readInt32BE(0);
        handled.push({ id, at: Date.now() });
        return answer(id);
      },
    };
    const { client, received, connections } = await setup(handler);
    client.write(frame(1));
    await until(() => connections.length === 1 && received.length === 1);
    conn = connections[0];
    // as the dispatcher does for a client over its quota
    const mutedAt = Date.now();
    conn!.mute(300);
    client.write(Buffer.concat([frame(2), frame(3)]));
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual([1]);
    await until(() => received.length === 3);
    expect(received).toEqual([1, 2, 3]);
    expect(handled[1]!.at - mutedAt).toBeGreaterThanOrEqual(290);
    // a shorter mute never shortens a longer one
    const again = Date.now();
    conn!.mute(300);
    conn!.mute(10);
    client.write(frame(4));
    await until(() => received.length === 4);
    expect(handled[3]!.at - again).toBeGreaterThanOrEqual(290);
    client.destroy();
  });
});
