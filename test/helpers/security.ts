// Thread: vitest test worker. Helpers for the security tests: the bound port of a named
// listener (from the broker's "kafka listener bound" log lines), and a TLS probe that
// reports the server certificate a fresh handshake sees.
import tls from 'node:tls';
import fs from 'node:fs';
import type { BrokerHandle } from './broker.js';

/** The bound port of listener `name` (upper-case) of the broker's current process. */
export function listenerPort(broker: BrokerHandle, name: string): number {
  const lines = broker.logLines().filter((l) => l.msg === 'kafka listener bound' && l.listener === name);
  const last = lines[lines.length - 1];
  if (last === undefined || typeof last.port !== 'number') throw new Error(`listener ${name} not bound; output:\n${broker.logs()}`);
  return last.port;
}

export interface TlsProbe {
  ok: boolean;
  fingerprint256?: string;
  serial?: string;
  error?: string;
}

/** One TLS handshake with 127.0.0.1:port (CA-verified), bounded by a timeout; never rejects. */
export function tlsProbe(port: number, opts: { ca: string; cert?: string; key?: string; timeoutMs?: number }): Promise<TlsProbe> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: fs.readFileSync(opts.ca),
      ...(opts.cert !== undefined ? { cert: fs.readFileSync(opts.cert), key: fs.readFileSync(opts.key!) } : {}),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, error: 'timeout' });
    }, opts.timeoutMs ?? 5_000);
    // The handshake alone proves little under TLS 1.3 (a refused client certificate is reported
    // after it): an ApiVersions v0 request answered proves the broker accepted the connection.
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      const frame = Buffer.alloc(14);
      frame.writeInt32BE(10, 0);
      frame.writeInt16BE(18, 4); // ApiVersions
      frame.writeInt16BE(0, 6); // v0
      frame.writeInt32BE(1, 8); // correlation id
      frame.writeInt16BE(-1, 12); // null client id
      socket.write(frame);
      socket.once('data', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ ok: true, fingerprint256: peer.fingerprint256, serial: peer.serialNumber });
      });
      socket.once('close', () => {
        clearTimeout(timer);
        resolve({ ok: false, error: 'closed by the broker after the handshake' });
      });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: false, error: err.message });
    });
  });
}
