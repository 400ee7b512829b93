// Thread: main. The Kafka listeners: one TCP (PLAINTEXT, SASL_PLAINTEXT) or TLS (SSL, SASL_SSL)
// server per configured listener; accept connections, hand frames to the dispatcher, and on
// shutdown stop accepting, let in-flight requests finish, then close sockets. A TLS connection
// is handed over once its handshake is done, with the client certificate's subject as its
// principal when the client sent a certificate the truststore vouches for (mTLS). A failed
// handshake (a plaintext client on a TLS port, no or an untrusted client certificate when
// ssl.client.auth=required, an expired certificate) only closes that socket.
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { ResolvedListener } from '../config/listener-security.js';
import { usesSasl, usesTls } from '../config/listener-security.js';
import type { SaslSettings } from '../security/connection-auth.js';
import { countAuthentication, countTlsHandshakeFailure } from '../http/metrics.js';
import { certificatePrincipal } from '../security/principal.js';
import type { TlsContext } from '../security/tls-context.js';
import { Connection, type FrameHandler } from './connection.js';

export interface KafkaServerOptions {
  listeners: ResolvedListener[];
  maxFrameBytes: number;
  maxInflightBytes: number;
  handler: FrameHandler;
  logger: Logger;
  /** The keystore of SSL and SASL_SSL listeners; required when one is configured. */
  tls?: TlsContext | undefined;
  /** SASL mechanisms and credentials of SASL_PLAINTEXT and SASL_SSL listeners. */
  sasl?: SaslSettings | undefined;
}

export interface BoundListener extends ResolvedListener {
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
      const server = this.createServer(listener);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: listener.host, port: listener.port, backlog: 1024 }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.opts.logger.error({ err, listener: listener.name }, 'listener error'));
      this.servers.push(server);
      bound.push({ ...listener, boundPort: (server.address() as net.AddressInfo).port });
    }
    return bound;
  }

  private createServer(listener: ResolvedListener): net.Server {
    if (!usesTls(listener.protocol)) return net.createServer({ noDelay: true }, (socket) => this.accept(socket, listener));
    const context = this.opts.tls;
    if (context === undefined) throw new Error(`listener ${listener.name} uses ${listener.protocol} but no TLS keystore was loaded`);
    const server = tls.createServer({ ...context.serverOptions(), noDelay: true }, (socket) => this.accept(socket, listener));
    server.on('tlsClientError', (err, socket) => {
      countTlsHandshakeFailure(listener.name);
      this.opts.logger.info({ listener: listener.name, remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: err.message }, 'TLS handshake failed');
      socket.destroy();
    });
    context.attach(server);
    return server;
  }

  private accept(socket: net.Socket, listener: ResolvedListener): void {
    let principal: string | undefined;
    if (socket instanceof tls.TLSSocket && socket.authorized) {
      const peer = socket.getPeerCertificate();
      if (peer.raw !== undefined) principal = certificatePrincipal(peer.raw);
    }
    const conn = new Connection(
      socket,
      this.opts.handler,
      { maxFrameBytes: this.opts.maxFrameBytes, maxInflightBytes: this.opts.maxInflightBytes, logger: this.opts.logger },
      {
        listenerName: listener.name,
        securityProtocol: listener.protocol,
        ...(principal !== undefined ? { principal } : {}),
        ...(usesSasl(listener.protocol) ? { sasl: this.saslSettings(listener) } : {}),
      },
    );
    if (principal !== undefined) countAuthentication(listener.name, 'TLS', 'success');
    if (principal !== undefined) this.opts.logger.info({ conn: conn.id, remote: conn.remote, listener: listener.name, principal }, 'client certificate authenticated');
    this.connections.add(conn);
    socket.once('close', () => this.connections.delete(conn));
  }

  private saslSettings(listener: ResolvedListener): SaslSettings {
    if (this.opts.sasl === undefined) throw new Error(`listener ${listener.name} uses ${listener.protocol} but no SASL settings were given`);
    return this.opts.sasl;
  }

  /** Stop accepting and stop reading; wait (bounded) until every accepted request is answered. */
  async drain(timeoutMs: number): Promise<void> {
    for (const server of this.servers) server.close();
    this.opts.tls?.close();
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
