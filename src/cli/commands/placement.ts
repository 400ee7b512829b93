// Thread: main (CLI process). `strata placement [show] | move TOPIC PARTITION --slot N`: where a
// broker's partitions live on its worker slots (utilisation, bytes/s per partition) and moving
// one by hand. Unlike the other commands this one is Strata-specific and speaks to the
// broker's operator HTTP listener (/admin/placement, src/http/admin-api.ts), not the Kafka port.
import type { Options } from '../args.js';
import { CliError } from '../client/connection.js';
import { json, out, table, type OutputFormat } from '../output.js';

interface PlacementView {
  slots: Array<{ slot: number; retiring: boolean; utilization: number; partitions: Array<{ topic: string; partition: number; bytesPerSec: number }> }>;
  moving: number;
  movesTotal: number;
}

/** host:port of the broker's HTTP listener: --http, else STRATA_HTTP, else 127.0.0.1:8080. */
function baseUrl(o: Options): string {
  const target = o.str('http') ?? process.env.STRATA_HTTP ?? '127.0.0.1:8080';
  return /^https?:\/\//.test(target) ? target.replace(/\/+$/, '') : `http://${target}`;
}

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new CliError(`cannot reach the broker's HTTP listener at ${url}: ${(err as Error).message} (set --http HOST:PORT, the broker's http.listeners)`, 'STRATA_ERR_CLI_CONNECTION');
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    throw new CliError(`${url} answered ${res.status} without JSON (is this a Strata broker's HTTP listener?): ${text.slice(0, 200)}`, 'STRATA_ERR_CLI_CONNECTION');
  }
}

export async function placementCommand(o: Options, format: OutputFormat): Promise<void> {
  const [action = 'show', topic, partitionArg] = o.positional;
  const base = baseUrl(o);
  const timeoutMs = o.int('timeout-ms', 1) ?? 30_000;
  switch (action) {
    case 'show': {
      o.rejectUnknown('placement show');
      const { status, body } = await call(`${base}/admin/placement`, {}, timeoutMs);
      if (status !== 200) throw new CliError(`GET /admin/placement: ${status} ${String(body.error ?? '')}`, 'STRATA_ERR_CLI_CONNECTION');
      const view = body as unknown as PlacementView;
      if (format === 'json') return out(json(view) + '\n');
      const rows = view.slots.flatMap((s) =>
        s.partitions.length === 0
          ? [[s.slot, (s.utilization * 100).toFixed(0) + '%', s.retiring ? 'retiring' : '', '-', '-', '-']]
          : s.partitions.map((p) => [s.slot, (s.utilization * 100).toFixed(0) + '%', s.retiring ? 'retiring' : '', p.topic, p.partition, p.bytesPerSec]),
      );
      out(table(['SLOT', 'BUSY', 'STATE', 'TOPIC', 'PARTITION', 'BYTES/S'], rows));
      out(`${view.slots.length} slot(s), ${view.movesTotal} move(s) so far${view.moving > 0 ? `, ${view.moving} moving now` : ''}\n`);
      return;
    }
    case 'move': {
      const slot = o.int('slot', 0);
      o.rejectUnknown('placement move');
      const partition = Number(partitionArg);
      if (topic === undefined || partitionArg === undefined || !Number.isInteger(partition) || partition < 0) throw new CliError('usage: strata placement move TOPIC PARTITION --slot N', 'STRATA_ERR_CLI_USAGE');
      if (slot === undefined) throw new CliError('strata placement move: --slot N is required', 'STRATA_ERR_CLI_USAGE');
      const { status, body } = await call(`${base}/admin/placement/moves`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic, partition, slot }) }, timeoutMs);
      if (status !== 200) throw new CliError(`cannot move ${topic}-${partition} to slot ${slot}: ${String(body.error ?? status)}`, 'STRATA_ERR_CLI');
      if (format === 'json') return out(json(body) + '\n');
      out(`moved ${topic}-${partition} from slot ${String(body.from)} to slot ${String(body.to)} (paused ${String(body.pauseMs)} ms)\n`);
      return;
    }
    default:
      throw new CliError(`strata placement: unknown action "${action}" (show or move)`, 'STRATA_ERR_CLI_USAGE');
  }
}
