// Thread: main. The Kafka TCP listeners: accept connections, hand frames to the dispatcher,
// and on shutdown stop accepting, let in-flight requests finish, then close sockets.
import net from 'node:net';
import type { Logger } from 'pino';
import type { Listener } from '../config/broker-config.js';
import { Connection, type FrameHandler } from './connection.js';

export interface KafkaServerOptions {
  listeners: Listener[];
  maxFrameBytes: number;
  maxInflightBytes: number;
  handler: FrameHandler;
  logger: Logger;
}

export interface BoundListener extends Listener {
  /** The port actually bound (differs from the configured one when that was 0). */
  boundPort: number;
}

export class KafkaServer {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();

  constructor(private readonly opts: KafkaServerOptions) {}

  get connectionCount(): number {
    return this.connections.size;
  }

  async listen(): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    for (const listener of this.opts.listeners) {
      const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: listener.host, port: listener.port, backlog: 1024 }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.opts.logger.error({ err }, 'listener error'));
      this.servers.push(server);
      bound.push({ ...listener, boundPort: (server.address() as net.AddressInfo).port });
    }
    return bound;
  }

  private accept(socket: net.Socket): void {
    const conn = new Connection(socket, this.opts.handler, {
      maxFrameBytes: this.opts.maxFrameBytes,
      maxInflightBytes: this.opts.maxInflightBytes,
      logger: this.opts.logger,
    });
    this.connections.add(conn);
    socket.once('close', () => this.connections.delete(conn));
  }

  /** Stop accepting and stop reading; wait (bounded) until every accepted request is answered. */
  async drain(timeoutMs: number): Promise<void> {
    for (const server of this.servers) server.close();
    for (const conn of this.connections) conn.beginShutdown();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.connections].map((c) => c.drained())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    if (timer) clearTimeout(timer);
  }

  closeAll(): void {
    for (const conn of this.connections) conn.destroy();
  }
}
