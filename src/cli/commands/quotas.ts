// Thread: main (CLI process). `strata quotas set | list | remove`: client quotas of users,
// client ids and both (`--default-user` / `--default-client-id` name the `<default>` entities),
// over DescribeClientQuotas and AlterClientQuotas, so it works against Kafka too.
// `list` filters like kafka-configs --describe: a named or default entity matches exactly,
// and without either option every entity of every type is listed.
import type { Options } from '../args.js';
import { CliError } from '../client/connection.js';
import type { KafkaClient } from '../client/kafka-client.js';
import { json, out, table, type OutputFormat } from '../output.js';

const KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage'] as const;
const usage = (msg: string) => new CliError(msg, 'STRATA_ERR_CLI_USAGE');

/** `undefined`: not part of the entity; null: the default; else the name. */
function part(o: Options, name: 'user' | 'client-id'): string | null | undefined {
  const named = o.str(name);
  const dflt = o.flag(`default-${name}`);
  if (named !== undefined && dflt) throw usage(`--${name} and --default-${name} exclude each other`);
  if (named === '') throw usage(`--${name}: empty name (use --default-${name} for <default>)`);
  return dflt ? null : named;
}

function entityOf(o: Options): Array<{ entityType: string; entityName: string | null }> {
  const user = part(o, 'user');
  const clientId = part(o, 'client-id');
  const entity: Array<{ entityType: string; entityName: string | null }> = [];
  if (user !== undefined) entity.push({ entityType: 'user', entityName: user });
  if (clientId !== undefined) entity.push({ entityType: 'client-id', entityName: clientId });
  if (entity.length === 0) throw usage('name an entity: --user U, --default-user, --client-id C or --default-client-id');
  return entity;
}

function rate(o: Options, name: string, integral: boolean): number | undefined {
  const v = o.str(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || (integral && !Number.isInteger(n))) {
    throw usage(`--${name}: expected a positive ${integral ? 'integer' : 'number'}, got "${v}"`);
  }
  return n;
}

export async function quotasCommand(client: KafkaClient, o: Options, format: OutputFormat): Promise<void> {
  const [action] = o.positional;
  switch (action) {
    case 'set': {
      const entity = entityOf(o);
      const ops: Record<string, number> = {};
      const p = rate(o, 'producer-byte-rate', true);
      const c = rate(o, 'consumer-byte-rate', true);
      const r = rate(o, 'request-percentage', false);
      if (p !== undefined) ops.producer_byte_rate = p;
      if (c !== undefined) ops.consumer_byte_rate = c;
      if (r !== undefined) ops.request_percentage = r;
      o.rejectUnknown('quotas set');
      if (Object.keys(ops).length === 0) throw usage('strata quotas set: give --producer-byte-rate, --consumer-byte-rate and/or --request-percentage');
      await client.alterClientQuotas(entity, ops);
      return;
    }
    case 'remove': {
      const entity = entityOf(o);
      const keys = o.all('key');
      o.rejectUnknown('quotas remove');
      for (const k of keys) if (!(KEYS as readonly string[]).includes(k)) throw usage(`--key: one of ${KEYS.join(', ')}, got "${k}"`);
      await client.alterClientQuotas(entity, Object.fromEntries((keys.length > 0 ? keys : KEYS).map((k) => [k, null])));
      return;
    }
    case 'list':
    case undefined: {
      const user = part(o, 'user');
      const clientId = part(o, 'client-id');
      o.rejectUnknown('quotas list');
      const components: Array<{ entityType: string; matchType: number; match: string | null }> = [];
      if (user !== undefined) components.push({ entityType: 'user', matchType: user === null ? 1 : 0, match: user });
      if (clientId !== undefined) components.push({ entityType: 'client-id', matchType: clientId === null ? 1 : 0, match: clientId });
      const entries = await client.describeClientQuotas(components, false);
      if (format === 'json') {
        out(json(entries) + '\n');
        return;
      }
      const name = (v: string | null | undefined) => (v === undefined ? '' : v === null ? '<default>' : v);
      out(
        table(
          ['USER', 'CLIENT-ID', 'QUOTAS'],
          entries.map((e) => [name(e.entity.user), name(e.entity['client-id']), Object.entries(e.quotas).map(([k, v]) => `${k}=${v}`).join(' ')]),
        ),
      );
      return;
    }
    default:
      throw usage(`strata quotas: unknown action "${action}" (set, list, remove)`);
  }
}
