#!/usr/bin/env node
// Thread: main (CLI process). The `strata` command: `strata broker` starts a broker exactly
// as `node dist/src/main.js` does (same flags, env and config file); `strata placement` talks
// to the broker's operator HTTP listener (worker-slot placement is Strata's own); every other
// subcommand is a Kafka client that speaks only the Kafka protocol, so it works against any broker.
// Exit codes: 0 ok, 1 failure (broker unreachable, Kafka error), 2 usage error.
import { checkPositionals, findCommand, Options, parseCliArgs } from './args.js';
import { CliError } from './client/connection.js';
import { KafkaClient } from './client/kafka-client.js';
import { COMMANDS, commandHelp, mainHelp } from './commands.js';
import { brokerHelp } from './commands/broker-help.js';
import { aclsCommand } from './commands/acls.js';
import { consumeCommand } from './commands/consume.js';
import { clusterCommand } from './commands/cluster.js';
import { groupsCommand } from './commands/groups.js';
import { placementCommand } from './commands/placement.js';
import { produceCommand } from './commands/produce.js';
import { quotasCommand } from './commands/quotas.js';
import { topicsCommand } from './commands/topics.js';
import { usersCommand } from './commands/users.js';
import type { OutputFormat } from './output.js';

const HANDLERS: Record<string, (c: KafkaClient, o: Options, format: OutputFormat) => Promise<void>> = {
  topics: topicsCommand,
  groups: groupsCommand,
  cluster: clusterCommand,
  produce: produceCommand,
  consume: consumeCommand,
  quotas: quotasCommand,
  users: usersCommand,
  acls: aclsCommand,
};

async function run(argv: string[]): Promise<number> {
  const { command, index } = findCommand(argv);
  if (command === 'broker') {
    const rest = argv.slice(index + 1);
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(brokerHelp());
      return 0;
    }
    // Identical to dist/src/main.js: it reads process.argv.slice(2) and the STRATA_* env.
    process.argv.splice(2, process.argv.length - 2, ...rest);
    await import('../main.js');
    return -1; // the broker keeps the process alive and exits on its own
  }
  if (command === '--version' || command === 'version') {
    process.stdout.write('strata 0.1.0\n');
    return 0;
  }
  if (command === 'help') {
    const topic = argv[index + 1];
    if (topic === 'broker') process.stdout.write(brokerHelp());
    else if (topic !== undefined && COMMANDS[topic]) process.stdout.write(commandHelp(COMMANDS[topic]));
    else process.stdout.write(mainHelp());
    return 0;
  }
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (command !== undefined && !spec) throw new CliError(`unknown command "${command}" (strata --help lists them)`, 'STRATA_ERR_CLI_USAGE');
  const o = new Options(parseCliArgs(argv, spec, index));
  if (!spec) {
    process.stdout.write(mainHelp());
    return o.flag('help') ? 0 : 2;
  }
  if (o.flag('help')) {
    process.stdout.write(commandHelp(spec));
    return 0;
  }
  checkPositionals(spec, o.positional);
  const format = (o.str('output') ?? 'table') as OutputFormat;
  if (format !== 'table' && format !== 'json') throw new CliError(`--output: table or json, got "${format}"`, 'STRATA_ERR_CLI_USAGE');
  // Strata-specific: speaks to the broker's HTTP listener, not the Kafka port.
  if (spec.name === 'placement') {
    await placementCommand(o, format);
    return 0;
  }
  const bootstrap = o.str('bootstrap-server') ?? process.env.STRATA_BOOTSTRAP_SERVER ?? '127.0.0.1:9092';
  // consume reads --timeout-ms itself (idle timeout); elsewhere it bounds each request.
  const requestTimeoutMs = command === 'consume' ? 30_000 : (o.int('timeout-ms', 1) ?? 30_000);
  const client = KafkaClient.lazy(bootstrap, requestTimeoutMs);
  try {
    await HANDLERS[spec.name]!(client, o, format);
  } finally {
    client.close();
  }
  return 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    // A command may have set its own code already (consume: 130 after Ctrl-C).
    if (code >= 0 && !process.exitCode) process.exitCode = code;
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
