#!/usr/bin/env node
// Thread: main (CLI process). The `strata` command: `strata broker` starts a broker exactly
// as `node dist/src/main.js` does (same flags, env and config file); every other subcommand
// is a Kafka client that speaks only the Kafka protocol, so it works against any broker.
// Exit codes: 0 ok, 1 failure (broker unreachable, Kafka error), 2 usage error.
import { Options, parseCliArgs } from './args.js';
import { CliError } from './client/connection.js';
import { KafkaClient } from './client/kafka-client.js';
import { consumeCommand } from './commands/consume.js';
import { groupsCommand } from './commands/groups.js';
import { produceCommand } from './commands/produce.js';
import { topicsCommand } from './commands/topics.js';
import type { OutputFormat } from './output.js';

const HELP = `strata — Kafka-compatible broker and its command-line tools

Usage:
  strata broker [--config FILE] [--name=value …]     start a broker (what npm start runs)
  strata topics list
  strata topics describe TOPIC
  strata topics create TOPIC [--partitions N] [--replication-factor R] [--config k=v …]
  strata topics delete TOPIC
  strata topics alter TOPIC [--config k=v …] [--delete-config k …] [--partitions N]
  strata groups list
  strata groups describe GROUP
  strata groups reset-offsets GROUP --topic T (--to-earliest|--to-latest|--to-offset N|--to-datetime ISO)
                              [--partition P] [--execute]
  strata groups delete GROUP
  strata produce TOPIC [--key-separator SEP] [--header k=v …] [--compression none|gzip]
                       [--partition P] [--batch-size N] [--acks all|1] [--progress]
  strata consume TOPIC [--from-beginning] [--group G] [--partition P] [--offset N]
                       [--max-messages N] [--timeout-ms MS] [--format '{offset} {key} {value}']

Common options:
  --bootstrap-server HOST:PORT[,…]   default 127.0.0.1:9092 (env STRATA_BOOTSTRAP_SERVER)
  --output table|json                default table
  --timeout-ms MS                    request timeout (consume: idle time before exiting)
`;

const ACTIONS: Record<string, string[]> = {
  topics: ['list', 'describe', 'create', 'delete', 'alter'],
  groups: ['list', 'describe', 'reset-offsets', 'delete'],
};

const COMMON_OPTIONS = ['bootstrap-server', 'output', 'timeout-ms', 'help'];
const OPTIONS: Record<string, string[]> = {
  topics: ['partitions', 'replication-factor', 'config', 'delete-config'],
  groups: ['topic', 'execute', 'dry-run', 'partition', 'to-earliest', 'to-latest', 'to-offset', 'to-datetime'],
  produce: ['key-separator', 'header', 'compression', 'batch-size', 'partition', 'acks', 'progress', 'no-progress'],
  consume: ['from-beginning', 'group', 'partition', 'offset', 'max-messages', 'format'],
};

async function run(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command === 'broker') {
    // Identical to dist/src/main.js: it reads process.argv.slice(2) and the STRATA_* env.
    process.argv.splice(2, 1);
    await import('../main.js');
    return -1; // the broker keeps the process alive and exits on its own
  }
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === 'version') {
    process.stdout.write('strata 0.1.0\n');
    return 0;
  }
  const o = new Options(parseCliArgs(argv.slice(1)));
  if (o.flag('help')) {
    process.stdout.write(HELP);
    return 0;
  }
  const format = (o.str('output') ?? 'table') as OutputFormat;
  if (format !== 'table' && format !== 'json') throw new CliError(`--output: table or json, got "${format}"`, 'STRATA_ERR_CLI_USAGE');
  const bootstrap = o.str('bootstrap-server') ?? process.env.STRATA_BOOTSTRAP_SERVER ?? '127.0.0.1:9092';
  const handlers: Record<string, (c: KafkaClient) => Promise<void>> = {
    topics: (c) => topicsCommand(c, o, format),
    groups: (c) => groupsCommand(c, o, format),
    produce: (c) => produceCommand(c, o, format),
    consume: (c) => consumeCommand(c, o, format),
  };
  const handler = handlers[command];
  if (!handler) throw new CliError(`unknown command "${command}" (strata --help lists them)`, 'STRATA_ERR_CLI_USAGE');
  o.allowOnly([...COMMON_OPTIONS, ...(OPTIONS[command] ?? [])]);
  const actions = ACTIONS[command];
  const action = o.positional[0];
  if (actions && action !== undefined && !actions.includes(action)) {
    throw new CliError(`strata ${command}: unknown action "${action}" (${actions.join(', ')})`, 'STRATA_ERR_CLI_USAGE');
  }
  // consume reads --timeout-ms itself (idle timeout); elsewhere it bounds each request.
  const requestTimeoutMs = command === 'consume' ? 30_000 : (o.int('timeout-ms', 1) ?? 30_000);
  const client = await KafkaClient.connect(bootstrap, requestTimeoutMs);
  try {
    await handler(client);
  } finally {
    client.close();
  }
  return 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`strata: error: ${err.message}\n`);
      process.exitCode = err.code === 'STRATA_ERR_CLI_USAGE' ? 2 : 1;
    } else {
      process.stderr.write(`strata: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
