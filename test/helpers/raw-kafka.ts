// Thread: vitest test worker. A bare Kafka wire client over node:net for tests that need
// exact error codes, hostile bytes or API versions no real client sends. Bodies are built
// with the generated codecs; framing and correlation are done here, independently of the
// broker's own framing code.
import net from 'node:net';
import tls from 'node:tls';
import { encodeRequestHeader, responseHeaderVersion, requestHeaderVersion, decodeResponseHeader } from '../../src/protocol/generated/headers.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

export interface ApiDescriptor {
  apiKey: number;
}

export class RawKafkaConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private frames: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private closedFlag = false;
  private closeWaiters: Array<() => void> = [];
  private nextCorrelationId = 1;
  /** Socket error seen, if any (ECONNRESET after the broker closes is normal). */
  error: Error | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        this.frames.push(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
      this.wake();
    });
    socket.on('error', (err) => {
      this.error = err;
    });
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake();
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  static connect(host: string, port: number, timeoutMs = 5_000): Promise<RawKafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new RawKafkaConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** A TLS connection (client certificate optional: mTLS principals), bounded by `timeoutMs`. */
  static connectTls(host: string, port: number, opts: { ca: Buffer | string; cert?: Buffer | string; key?: Buffer | string }, timeoutMs = 5_000): Promise<RawKafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host, port, servername: 'localhost', ca: opts.ca, cert: opts.cert, key: opts.key });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`TLS connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new RawKafkaConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Writes raw bytes as they are (no framing). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Writes `payload` with a correct int32 size prefix. */
  writeFrame(payload: Buffer): void {
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length, 0);
    this.socket.write(Buffer.concat([size, payload]));
  }

  /** Next whole response frame (payload without the size), or throws on close/timeout. */
  async nextFrame(timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame) return frame;
      if (this.closedFlag) throw new Error('connection closed by the broker before a response arrived');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves true when the broker closes the connection within `timeoutMs`, false otherwise. */
  waitClosed(timeoutMs = 5_000): Promise<boolean> {
    if (this.closedFlag) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Encodes header + body for (apiKey, version); returns the frame payload and its correlation id. */
  buildRequest<Req>(
    apiKey: number,
    version: number,
    encode: (w: Writer, version: number, m: Req) => void,
    body: Req,
    { correlationId = this.nextCorrelationId++, clientId = 'strata-raw-test' }: { correlationId?: number; clientId?: string | null } = {},
  ): { payload: Buffer; correlationId: number } {
    const w = new Writer();
    encodeRequestHeader(w, requestHeaderVersion(apiKey, version), {
      requestApiKey: apiKey,
      requestApiVersion: version,
      correlationId,
      clientId,
    });
    encode(w, version, body);
    return { payload: Buffer.from(w.toBuffer()), correlationId };
  }

  /** Reads one response frame, checks its correlation id, returns a Reader positioned at the body. */
  async readResponse(apiKey: number, version: number, correlationId: number, timeoutMs = 10_000): Promise<Reader> {
    const frame = await this.nextFrame(timeoutMs);
    const r = new Reader(frame);
    const header = decodeResponseHeader(r, responseHeaderVersion(apiKey, version));
    if (header.correlationId !== correlationId) {
      throw new Error(`response correlation id ${header.correlationId}, expected ${correlationId}`);
    }
    return r;
  }

  /** Sends one request and decodes its response. */
  async request<Req, Resp>(
    apiKey: number,
    version: number,
    encode: (w: Writer, version: number, m: Req) => void,
    decode: (r: Reader, version: number) => Resp,
    body: Req,
    timeoutMs = 10_000,
  ): Promise<Resp> {
    const { payload, correlationId } = this.buildRequest(apiKey, version, encode, body);
    this.writeFrame(payload);
    const r = await this.readResponse(apiKey, version, correlationId, timeoutMs);
    return decode(r, version);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Opens a connection, runs `fn`, always closes. */
export async function withConnection<T>(host: string, port: number, fn: (c: RawKafkaConnection) => Promise<T>): Promise<T> {
  const c = await RawKafkaConnection.connect(host, port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
