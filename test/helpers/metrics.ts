// Thread: vitest test worker. Reads a test broker's operator HTTP endpoints: the bound HTTP port
// (from its 'broker ready' log line) and /metrics as a name{labels} → value map.
import { expect } from 'vitest';
import type { BrokerHandle } from './broker.js';

export function httpPortOf(broker: BrokerHandle): number {
  const ready = [...broker.logLines()].reverse().find((l) => l.msg === 'broker ready');
  const port = ready?.httpPort;
  if (typeof port !== 'number') throw new Error(`no httpPort in the broker ready line:\n${broker.logs()}`);
  return port;
}

export async function httpGet(port: number, path: string): Promise<{ status: number; body: string; contentType: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') };
}

/** Prometheus text → `name{labels}` → value (labels as printed). */
export async function scrapeMetrics(port: number): Promise<Map<string, number>> {
  const { status, body } = await httpGet(port, '/metrics');
  expect(status).toBe(200);
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
