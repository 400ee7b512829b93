// Thread: main. One client connection: length-prefixed framing, requests handled
// concurrently but answered strictly in request order, no answer for acks=0 produces,
// and backpressure (the socket stops being read while too many request bytes are in flight).
// Answers are written in batches: the first completion at the head of the queue schedules one
// flush for the end of the event-loop turn (setImmediate: the check phase right after the I/O
// callbacks that completed the requests, never a timer), which writes every answer ready by then
// with one cork/uncork, i.e. one writev. Under pipelined small requests the worker results of
// one turn arrive as separate messages and microtasks; flushing on each one cost a socket write
// per response.
// A client over its quota is muted (KIP-219): its answer goes out, then the socket is not read
// until the throttle time has passed (frames already read wait with the held ones).
import type net from 'node:net';
import type { Logger } from 'pino';
import type { SecurityProtocol } from '../config/listener-security.js';
import { FrameDecoder } from '../protocol/framing.js';
import { ConnectionAuth, type SaslSettings } from '../security/connection-auth.js';
import { ANONYMOUS_PRINCIPAL } from '../security/principal.js';

/** What handling one frame produced. */
export type FrameOutcome =
  /**
   * Response frame (4-byte size prefix included), possibly split in zero-copy chunks.
   * `closeAfter`: the connection closes once this answer is written (failed authentication).
   */
  | { kind: 'respond'; chunks: Buffer[]; closeAfter?: string }
  /** Nothing goes back (acks=0 produce). */
  | { kind: 'silent' }
  /**
   * Kafka closes the connection (unknown API, unsupported version, undecodable request, internal
   * error). `logged`: the cause was already logged at error level (failure-log.ts), so closing
   * adds only a debug line.
   */
  | { kind: 'close'; reason: string; logged?: boolean };

export interface FrameHandler {
  handleFrame(frame: Buffer, conn: ConnectionInfo): Promise<FrameOutcome> | FrameOutcome;
}

export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  /** Set once the connection is closing: long polls should give up early. */
  readonly closed: boolean;
  /** Upper-cased name of the listener the connection came in on (`HTTP` for the HTTP front's bridge calls). */
  readonly listenerName: string;
  readonly securityProtocol: SecurityProtocol;
  /** Who is authenticated (src/security/principal.ts): `User:alice`, a certificate subject, or `User:ANONYMOUS`. */
  readonly principal: string;
  /** SASL state on SASL_PLAINTEXT and SASL_SSL listeners; undefined elsewhere. */
  readonly auth?: ConnectionAuth | undefined;
  /** Stop reading this connection's requests for `ms` (quota throttling); absent on the HTTP bridge's stand-in. */
  mute?(ms: number): void;
}

/** Where a connection came in and who it is at accept time (the certificate subject for mTLS). */
export interface ConnectionOrigin {
  listenerName: string;
  securityProtocol: SecurityProtocol;
  principal?: string;
  /** The listener's SASL settings (SASL_PLAINTEXT, SASL_SSL). */
  sasl?: SaslSettings;
}

interface Pending {
  frameBytes: number;
  outcome: FrameOutcome | undefined;
}

export interface ConnectionOptions {
  maxFrameBytes: number;
  maxInflightBytes: number;
  logger: Logger;
}

let nextConnectionId = 1;

export class Connection implements ConnectionInfo {
  readonly id = nextConnectionId++;
  readonly remote: string;
  closed = false;
  readonly listenerName: string;
  readonly securityProtocol: SecurityProtocol;
  readonly auth: ConnectionAuth | undefined;
  private readonly acceptPrincipal: string;
  private maxInflightBytes: number;
  private readonly decoder: FrameDecoder;
  private readonly queue: Pending[] = [];
  private inflightBytes = 0;
  private paused = false;
  private drainResolvers: Array<() => void> = [];
  private readonly held: Buffer[] = [];
  private muteTimer: NodeJS.Timeout | undefined;
  private mutedUntilMs = 0;

  constructor(
    private readonly socket: net.Socket,
    private readonly handler: FrameHandler,
    private readonly opts: ConnectionOptions,
    origin: ConnectionOrigin = { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT' },
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.listenerName = origin.listenerName;
    this.securityProtocol = origin.securityProtocol;
    this.acceptPrincipal = origin.principal ?? ANONYMOUS_PRINCIPAL;
    this.maxInflightBytes = opts.maxInflightBytes;
    this.decoder = new FrameDecoder({ maxFrameBytes: opts.maxFrameBytes });
    if (origin.sasl !== undefined) {
      // Before authentication: small frames, one small request in flight at a time.
      const small = Math.min(origin.sasl.maxUnauthenticatedFrameBytes, opts.maxFrameBytes);
      this.decoder.maxFrameBytes = small;
      this.maxInflightBytes = Math.min(small, opts.maxInflightBytes);
      this.auth = new ConnectionAuth(origin.sasl, this, () => {
        this.decoder.maxFrameBytes = opts.maxFrameBytes;
        this.maxInflightBytes = opts.maxInflightBytes;
      });
    } else this.auth = undefined;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => opts.logger.debug({ err, conn: this.id }, 'socket error'));
    socket.on('close', () => this.onClose());
  }

  get principal(): string {
    return this.auth?.principal ?? this.acceptPrincipal;
  }

  /** Resolves once every request received so far has been answered (or the socket closed). */
  drained(): Promise<void> {
    if (this.queue.length === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainResolvers.push(resolve));
  }

  /** Stop reading new requests (shutdown); in-flight ones still get their answers. */
  stopReading(): void {
    this.socket.pause();
    this.paused = true;
  }

  /** Quota throttling: no request is read for `ms` (extends a shorter mute, never shortens one). */
  mute(ms: number): void {
    if (this.closed || ms <= 0) return;
    const until = Date.now() + ms;
    if (until <= this.mutedUntilMs) return;
    this.mutedUntilMs = until;
    clearTimeout(this.muteTimer);
    this.socket.pause();
    this.muteTimer = setTimeout(this.unmute, ms);
  }

  private readonly unmute = (): void => {
    this.muteTimer = undefined;
    this.mutedUntilMs = 0;
    if (this.closed || this.shutdown || this.paused) return;
    this.releaseHeld();
    if (!this.paused && this.muteTimer === undefined) this.socket.resume();
  };

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.opts.logger.warn({ conn: this.id, remote: this.remote, reason: (err as Error).message }, 'closing connection: bad frame');
      this.fail();
      return;
    }
    for (const frame of frames) {
      // Frames already read while over the in-flight budget wait here, not in the handlers.
      if (this.paused || this.muteTimer !== undefined || this.held.length > 0) this.held.push(frame);
      else this.onFrame(frame);
    }
  }

  private releaseHeld(): void {
    while (this.held.length > 0 && !this.paused && this.muteTimer === undefined && !this.closed) this.onFrame(this.held.shift()!);
  }

  private onFrame(frame: Buffer): void {
    if (this.closed) return;
    const pending: Pending = { frameBytes: frame.length, outcome: undefined };
    this.queue.push(pending);
    this.inflightBytes += frame.length;
    if (!this.paused && this.inflightBytes > this.maxInflightBytes) {
      this.socket.pause();
      this.paused = true;
    }
    let result: Promise<FrameOutcome> | FrameOutcome;
    try {
      result = this.handler.handleFrame(frame, this);
    } catch (err) {
      result = this.handlerFailed(err);
    }
    if (result instanceof Promise) {
      result.then(
        (outcome) => this.complete(pending, outcome),
        (err: unknown) => this.complete(pending, this.handlerFailed(err)),
      );
    } else this.complete(pending, result);
  }

  /** The frame handler itself threw (it should answer every failure): log the cause once. */
  private handlerFailed(err: unknown): FrameOutcome {
    this.opts.logger.error({ conn: this.id, remote: this.remote, err }, 'frame handler failed: closing connection');
    return { kind: 'close', reason: `handler failed: ${err instanceof Error ? err.message : String(err)}`, logged: true };
  }

  private complete(pending: Pending, outcome: FrameOutcome): void {
    pending.outcome = outcome;
    // Only the head can unblock answers; later ones wait for it (they go out in the same flush).
    if (this.queue[0] !== pending || this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.scheduledFlush);
  }

  private flushScheduled = false;
  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /** Writes every answer ready at the head of the queue, in request order, in one socket write. */
  private flush(): void {
    // A lone chunk goes out with a plain write(); from the second on the socket is corked, so
    // uncork() hands them all to one writev.
    let lone: Buffer | undefined;
    let corked = false;
    while (this.queue.length > 0 && this.queue[0]!.outcome !== undefined) {
      const head = this.queue.shift()!;
      this.inflightBytes -= head.frameBytes;
      const outcome = head.outcome!;
      if (this.closed) continue;
      if (outcome.kind === 'respond') {
        for (const chunk of outcome.chunks) {
          if (corked) this.socket.write(chunk);
          else if (lone === undefined) lone = chunk;
          else {
            this.socket.cork();
            corked = true;
            this.socket.write(lone);
            this.socket.write(chunk);
            lone = undefined;
          }
        }
      }
      const closeReason = outcome.kind === 'close' ? outcome.reason : outcome.kind === 'respond' ? outcome.closeAfter : undefined;
      if (closeReason !== undefined) {
        const logged = outcome.kind === 'respond' || (outcome.kind === 'close' && outcome.logged === true);
        const log = logged ? this.opts.logger.debug : this.opts.logger.warn;
        log.call(this.opts.logger, { conn: this.id, remote: this.remote, reason: closeReason }, 'closing connection');
        // Answers before the close still go out, then the socket ends.
        if (lone !== undefined) this.socket.write(lone);
        if (corked) this.socket.uncork();
        lone = undefined;
        corked = false;
        this.socket.end();
        this.closed = true;
        this.queue.length = 0;
      }
    }
    if (lone !== undefined) this.socket.write(lone);
    if (corked) this.socket.uncork();
    if (this.paused && !this.closed && this.inflightBytes <= this.maxInflightBytes / 2 && !this.shutdown) {
      this.paused = false;
      this.releaseHeld();
      if (!this.paused && this.muteTimer === undefined) this.socket.resume();
    }
    if (this.queue.length === 0) this.resolveDrain();
  }

  private shutdown = false;

  /** Shutdown: stop reading for good. */
  beginShutdown(): void {
    this.shutdown = true;
    this.stopReading();
  }

  private fail(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private onClose(): void {
    this.closed = true;
    clearTimeout(this.muteTimer);
    this.queue.length = 0;
    this.resolveDrain();
  }

  private resolveDrain(): void {
    const resolvers = this.drainResolvers;
    this.drainResolvers = [];
    for (const r of resolvers) r();
  }
}
