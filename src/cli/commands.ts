// Thread: main (CLI process). The table of `strata` subcommands: their actions, positional
// arguments and options, which drive both the parser (args.ts) and every --help text.
import { GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from './args.js';

/** Default idle timeout of `consume --max-messages N` runs without --timeout-ms. */
export const DEFAULT_MAX_MESSAGES_IDLE_MS = 10_000;

export const FORMAT_PLACEHOLDERS = ['key', 'value', 'headers', 'offset', 'timestamp', 'partition', 'topic'] as const;

export const COMMANDS: Record<string, CommandSpec> = {
  topics: {
    name: 'topics',
    summary: 'list, describe, create, alter and delete topics',
    actions: [
      { name: 'list', args: [], usage: 'strata topics list' },
      { name: 'describe', args: ['TOPIC'], usage: 'strata topics describe TOPIC' },
      { name: 'create', args: ['TOPIC'], usage: 'strata topics create TOPIC [--partitions N] [--replication-factor R] [--config k=v …]' },
      { name: 'delete', args: ['TOPIC'], usage: 'strata topics delete TOPIC' },
      { name: 'alter', args: ['TOPIC'], usage: 'strata topics alter TOPIC [--config k=v …] [--delete-config k …] [--partitions N]' },
    ],
    usage: [],
    options: [
      { name: 'partitions', value: 'N', help: 'create: partition count (broker default num.partitions); alter: new total' },
      { name: 'replication-factor', value: 'R', help: 'create: replication factor (broker default)' },
      { name: 'config', value: 'k=v', help: 'create/alter: topic config, repeatable or comma-separated' },
      { name: 'delete-config', value: 'k', help: 'alter: reset a topic config to its default, repeatable' },
    ],
  },
  groups: {
    name: 'groups',
    summary: 'list, describe (members, offsets, lag), reset offsets of and delete consumer groups',
    actions: [
      { name: 'list', args: [], usage: 'strata groups list' },
      { name: 'describe', args: ['GROUP'], usage: 'strata groups describe GROUP' },
      {
        name: 'reset-offsets',
        args: ['GROUP'],
        usage: 'strata groups reset-offsets GROUP --topic T (--to-earliest|--to-latest|--to-offset N|--to-datetime ISO) [--partition P] [--execute]',
      },
      { name: 'delete', args: ['GROUP'], usage: 'strata groups delete GROUP' },
    ],
    usage: [],
    options: [
      { name: 'topic', value: 'T', help: 'reset-offsets: the topic whose offsets to reset' },
      { name: 'partition', value: 'P', help: 'reset-offsets: only this partition' },
      { name: 'to-earliest', help: 'reset-offsets: to the log start' },
      { name: 'to-latest', help: 'reset-offsets: to the log end' },
      { name: 'to-offset', value: 'N', help: 'reset-offsets: to offset N (clamped to the log)' },
      { name: 'to-datetime', value: 'ISO', help: 'reset-offsets: to the first offset at or after this time' },
      { name: 'execute', help: 'reset-offsets: commit the plan (default: print it only)' },
      { name: 'dry-run', help: 'reset-offsets: print the plan only (the default)' },
    ],
  },
  cluster: {
    name: 'cluster',
    summary: 'show the brokers, the controller and who leads what (Metadata); move a partition to another broker',
    actions: [
      { name: 'show', args: [], usage: 'strata cluster [show] [--topic T]' },
      { name: 'move', args: ['TOPIC', 'PARTITION'], usage: 'strata cluster move TOPIC PARTITION --broker N' },
    ],
    usage: [],
    options: [
      { name: 'topic', value: 'T', help: 'also the leader of every partition of T, and whether it can move' },
      { name: 'broker', value: 'N', help: 'move: the broker to lead the partition' },
    ],
  },
  placement: {
    name: 'placement',
    summary: "show which worker slot holds each partition, move one by hand (the broker's HTTP listener)",
    actions: [
      { name: 'show', args: [], usage: 'strata placement [show] [--http HOST:PORT]' },
      { name: 'move', args: ['TOPIC', 'PARTITION'], usage: 'strata placement move TOPIC PARTITION --slot N [--http HOST:PORT]' },
    ],
    usage: [],
    options: [
      { name: 'http', value: 'HOST:PORT', help: "the broker's http.listeners address (default 127.0.0.1:8080, or env STRATA_HTTP)" },
      { name: 'slot', value: 'N', help: 'move: the worker slot to move the partition to' },
    ],
  },
  quotas: {
    name: 'quotas',
    summary: 'set, list and remove client quotas of users and client ids (DescribeClientQuotas/AlterClientQuotas)',
    actions: [
      {
        name: 'set',
        args: [],
        usage: 'strata quotas set (--user U|--default-user) [--client-id C|--default-client-id] [--producer-byte-rate N] [--consumer-byte-rate N] [--request-percentage P]',
      },
      { name: 'list', args: [], usage: 'strata quotas list [--user U|--default-user] [--client-id C|--default-client-id]' },
      { name: 'remove', args: [], usage: 'strata quotas remove (--user U|--default-user) [--client-id C|--default-client-id] [--key K …]' },
    ],
    usage: [],
    options: [
      { name: 'user', value: 'U', help: 'the user (principal name without User:)' },
      { name: 'default-user', help: 'the default user entity (<default>: every user without a quota of its own)' },
      { name: 'client-id', value: 'C', help: 'the client id (with --user: that user with that client id)' },
      { name: 'default-client-id', help: 'the default client-id entity (<default>)' },
      { name: 'producer-byte-rate', value: 'N', help: 'set: produce bytes per second' },
      { name: 'consumer-byte-rate', value: 'N', help: 'set: fetch bytes per second' },
      { name: 'request-percentage', value: 'P', help: "set: percent of one thread's time per quota window" },
      { name: 'key', value: 'K', help: 'remove: only this quota key, repeatable (default: all three)' },
    ],
  },
  users: {
    name: 'users',
    summary: 'create, list and delete SCRAM users (AlterUserScramCredentials; or the credential store directly for the first user)',
    actions: [
      { name: 'create', args: ['NAME'], usage: 'strata users create NAME --password P [--mechanism SCRAM-SHA-256|SCRAM-SHA-512] [--iterations N] [--data-dir DIR | --redis-url URL]' },
      { name: 'list', args: [], usage: 'strata users list [--data-dir DIR | --redis-url URL]' },
      { name: 'delete', args: ['NAME'], usage: 'strata users delete NAME [--mechanism M] [--data-dir DIR | --redis-url URL]' },
    ],
    usage: [],
    options: [
      { name: 'password', value: 'P', help: 'create: the password (salted here; never sent or stored in clear)' },
      { name: 'mechanism', value: 'M', help: 'SCRAM-SHA-256 or SCRAM-SHA-512, repeatable (create default: both; delete default: all the user has)' },
      { name: 'iterations', value: 'N', help: `create: PBKDF2 iterations, ${'4096'}–16384 (default 4096)` },
      { name: 'data-dir', value: 'DIR', help: "write the broker's credential file in DIR directly (its first log dir), no broker connection: the first user" },
      { name: 'redis-url', value: 'URL', help: "write a cluster's credential hash in Redis directly, no broker connection: the first user" },
      { name: 'redis-key-prefix', value: 'P', help: 'with --redis-url: the brokers\' redis.key.prefix (default strata:)' },
    ],
  },
  acls: {
    name: 'acls',
    summary: 'add, list and remove ACLs (CreateAcls/DescribeAcls/DeleteAcls; needs ALTER or DESCRIBE on the cluster)',
    actions: [
      {
        name: 'add',
        args: [],
        usage: 'strata acls add (--allow|--deny) PRINCIPAL --operation OP [--operation OP …] (--topic T|--group G|--transactional-id X|--cluster) [--prefixed] [--host H]',
      },
      { name: 'list', args: [], usage: 'strata acls list [--principal P] [--topic T|--group G|--transactional-id X|--cluster] [--prefixed] [--operation OP]' },
      { name: 'remove', args: [], usage: 'strata acls remove [--allow|--deny|--principal P] [--operation OP …] [--topic T|--group G|--transactional-id X|--cluster] [--prefixed] [--host H]' },
    ],
    usage: [],
    options: [
      { name: 'allow', value: 'PRINCIPAL', help: 'add/remove: an ALLOW for this principal (User:alice; User:* for everyone)' },
      { name: 'deny', value: 'PRINCIPAL', help: 'add/remove: a DENY for this principal (a DENY wins over any ALLOW)' },
      { name: 'principal', value: 'P', help: 'list/remove: only ACLs of this principal, ALLOW or DENY' },
      { name: 'operation', value: 'OP', help: 'ALL, READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE; repeatable' },
      { name: 'topic', value: 'T', help: 'the topic (a name prefix with --prefixed; * for every topic)' },
      { name: 'group', value: 'G', help: 'the consumer group (a name prefix with --prefixed; * for every group)' },
      { name: 'transactional-id', value: 'X', help: 'the transactional id' },
      { name: 'cluster', help: 'the cluster (kafka-cluster)' },
      { name: 'prefixed', help: 'the name is a prefix (PREFIXED pattern); default LITERAL' },
      { name: 'host', value: 'H', help: 'add: the client address the ACL applies to (default *: any)' },
    ],
  },
  produce: {
    name: 'produce',
    summary: 'produce one record per stdin line',
    args: ['TOPIC'],
    usage: [
      'strata produce TOPIC [--key-separator SEP] [--header k=v …] [--compression none|gzip|snappy|lz4|zstd]',
      '                     [--partition P] [--batch-size N] [--acks all|1] [--progress]',
    ],
    options: [
      { name: 'key-separator', value: 'SEP', help: 'split each line into key SEP value (lines without SEP have no key)' },
      { name: 'header', value: 'k=v', help: 'header on every record, repeatable' },
      { name: 'compression', value: 'CODEC', help: 'none (default), gzip, snappy, lz4 or zstd' },
      { name: 'partition', value: 'P', help: 'send every record to partition P' },
      { name: 'batch-size', value: 'N', help: 'records per batch and partition (default 500)' },
      { name: 'acks', value: 'all|1', help: 'acknowledgement level (default all)' },
      { name: 'progress', help: 'progress on stderr (the default when stderr is a terminal; never otherwise)' },
      { name: 'no-progress', help: 'no progress line' },
    ],
  },
  consume: {
    name: 'consume',
    summary: 'print records of a topic',
    args: ['TOPIC'],
    usage: [
      'strata consume TOPIC [--from-beginning] [--group G] [--partition P] [--offset N]',
      "                     [--max-messages N] [--timeout-ms MS] [--format '{offset} {key} {value}']",
    ],
    options: [
      { name: 'from-beginning', help: 'start at the log start where there is no committed offset (auto.offset.reset=earliest); default: the log end' },
      { name: 'group', value: 'G', help: 'join group G, read its share, start from and commit its offsets' },
      { name: 'partition', value: 'P', help: 'only partition P (with --group: commit as a standalone consumer)' },
      { name: 'offset', value: 'N', help: 'start at offset N (needs --partition); out of range is an error' },
      { name: 'max-messages', value: 'N', help: `stop after N records; idle timeout ${DEFAULT_MAX_MESSAGES_IDLE_MS / 1000} s unless --timeout-ms` },
      { name: 'format', value: 'TEMPLATE', help: `placeholders {${FORMAT_PLACEHOLDERS.join('} {')}}, escapes \\t \\n (default {value})` },
    ],
  },
};

function optionLines(options: OptionSpec[]): string {
  const left = options.map((o) => `  --${o.name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 3;
  return options.map((o, i) => `${left[i]!.padEnd(width)}${o.help}\n`).join('');
}

export function commandHelp(spec: CommandSpec): string {
  const usage = spec.actions ? spec.actions.map((a) => a.usage) : spec.usage;
  return `strata ${spec.name} — ${spec.summary}\n\nUsage:\n${usage.map((u) => `  ${u}\n`).join('')}\nOptions:\n${optionLines(spec.options)}\nCommon options (also before the command):\n${optionLines(GLOBAL_OPTIONS)}`;
}

export function mainHelp(): string {
  const lines = Object.values(COMMANDS).flatMap((c) => (c.actions ? c.actions.map((a) => a.usage) : c.usage));
  return `strata — Kafka-compatible broker and its command-line tools

Usage:
  strata broker [--config FILE] [--name=value …]     start a broker (what npm start runs)
${lines.map((l) => `  ${l}\n`).join('')}
Common options (before or after the command):
${optionLines(GLOBAL_OPTIONS)}
strata COMMAND --help shows a command's options; strata broker --help lists every broker setting.
Exit codes: 0 ok, 1 failure, 2 usage error.
`;
}
