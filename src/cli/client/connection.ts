// Thread: main (CLI process). One Kafka connection over node:net for the `strata` command:
// frames with the project's FrameDecoder, correlates responses, and negotiates each API's
// version with ApiVersions so the same code talks to Strata and to Apache Kafka.
import { StrataError, type StrataErrorCode } from '../../errors.js';
import net from 'node:net';
import { FrameDecoder } from '../../protocol/framing.js';
import { decodeResponseHeader, encodeRequestHeader, requestHeaderVersion, responseHeaderVersion } from '../../protocol/generated/headers.js';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from '../../protocol/generated/messages/18-api-versions.js';
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';

/** A Kafka API as this client speaks it: the versions whose request/response shapes it handles. */
export interface ClientApi<Req, Res> {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  encode(w: Writer, version: number, m: Req): void;
  decode(r: Reader, version: number): Res;
}

/** A failure of the strata command; its code is one of the catalogue's STRATA_ERR_CLI* codes. */
export class CliError extends StrataError {
  constructor(message: string, code: StrataErrorCode = 'STRATA_ERR_CLI', options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'CliError';
  }
}

const CLIENT_ID = 'strata-cli';
const UNSUPPORTED_VERSION = 35;

export class BrokerConnection {
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, { resolve: (frame: Buffer) => void; reject: (err: Error) => void }>();
  private nextCorrelationId = 1;
  private closedError: Error | undefined;
  /** apiKey → [min, max] the broker advertises. */
  private versions = new Map<number, [number, number]>();

  private constructor(
    private readonly socket: net.Socket,
    readonly address: string,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = this.decoder.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      for (const frame of frames) {
        const id = frame.readInt32BE(0);
        const p = this.pending.get(id);
        if (!p) continue;
        this.pending.delete(id);
        p.resolve(frame);
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new CliError(`connection to ${address} closed by the broker`, 'STRATA_ERR_CLI_CONNECTION')));
  }

  /** Connects and runs ApiVersions. Throws CliError with a clear message when nobody answers. */
  static async connect(host: string, port: number, timeoutMs = 10_000): Promise<BrokerConnection> {
    const address = `${host}:${port}`;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new CliError(`cannot connect to broker at ${address}: timed out after ${timeoutMs} ms`, 'STRATA_ERR_CLI_CONNECTION'));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve(s);
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new CliError(`cannot connect to broker at ${address}: ${err.code ?? err.message} (is the broker running? check --bootstrap-server)`, 'STRATA_ERR_CLI_CONNECTION'));
      });
    });
    const conn = new BrokerConnection(socket, address, timeoutMs);
    await conn.negotiate();
    return conn;
  }

  private async negotiate(): Promise<void> {
    // v3 first (flexible); a broker that does not know it answers UNSUPPORTED_VERSION in v0 framing.
    for (const version of [3, 0]) {
      const { frame, headerVersion } = await this.roundTrip(18, version, (w) => encodeApiVersionsRequest(w, version, { clientSoftwareName: 'strata-cli', clientSoftwareVersion: '0.1.0' }));
      const r = new Reader(frame);
      decodeResponseHeader(r, headerVersion);
      // An UNSUPPORTED_VERSION answer is always v0-shaped.
      const errorCode = frame.readInt16BE(r.offset);
      const res = decodeApiVersionsResponse(r, errorCode === UNSUPPORTED_VERSION ? 0 : version);
      if (res.errorCode === UNSUPPORTED_VERSION && version !== 0) continue;
      if (res.errorCode !== 0) throw new CliError(`ApiVersions failed at ${this.address}: error ${res.errorCode}`);
      for (const k of res.apiKeys) this.versions.set(k.apiKey, [k.minVersion, k.maxVersion]);
      return;
    }
  }

  /** The highest version both sides speak, or a CliError naming the API. */
  versionFor(api: ClientApi<unknown, unknown>): number {
    const range = this.versions.get(api.apiKey);
    if (!range) throw new CliError(`broker at ${this.address} does not support ${api.name}`, 'STRATA_ERR_CLI_UNSUPPORTED');
    const v = Math.min(range[1], api.maxVersion);
    if (v < Math.max(range[0], api.minVersion)) {
      throw new CliError(`broker at ${this.address} supports ${api.name} v${range[0]}-${range[1]}, this client v${api.minVersion}-${api.maxVersion}`, 'STRATA_ERR_CLI_UNSUPPORTED');
    }
    return v;
  }

  supports(apiKey: number): boolean {
    return this.versions.has(apiKey);
  }

  async request<Req, Res>(api: ClientApi<Req, Res>, body: Req): Promise<Res> {
    const version = this.versionFor(api as ClientApi<unknown, unknown>);
    const { frame, headerVersion } = await this.roundTrip(api.apiKey, version, (w) => api.encode(w, version, body));
    const r = new Reader(frame);
    decodeResponseHeader(r, headerVersion);
    return api.decode(r, version);
  }

  private roundTrip(apiKey: number, version: number, body: (w: Writer) => void): Promise<{ frame: Buffer; headerVersion: number }> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId++;
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(w, requestHeaderVersion(apiKey, version), { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: CLIENT_ID });
    body(w);
    w.patchInt32(0, w.length - 4);
    const headerVersion = responseHeaderVersion(apiKey, version);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new CliError(`no answer from ${this.address} within ${this.timeoutMs} ms (api ${apiKey} v${version})`, 'STRATA_ERR_CLI_TIMEOUT'));
      }, this.timeoutMs);
      this.pending.set(correlationId, {
        resolve: (frame) => {
          clearTimeout(timer);
          resolve({ frame, headerVersion });
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      for (const chunk of w.chunks()) this.socket.write(chunk);
    });
  }

  private fail(err: Error): void {
    if (!this.closedError) this.closedError = err instanceof CliError ? err : new CliError(`connection to ${this.address} failed: ${err.message}`, 'STRATA_ERR_CLI_CONNECTION');
    for (const p of this.pending.values()) p.reject(this.closedError);
    this.pending.clear();
    this.socket.destroy();
  }

  close(): void {
    this.closedError ??= new CliError('connection closed');
    this.socket.destroy();
  }
}
