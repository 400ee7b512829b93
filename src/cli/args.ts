// Thread: main (CLI process). Argument parsing for `strata`, driven by the command table in
// commands.ts: global options anywhere (before or after the subcommand), `--name value`,
// `--name=value`, repeatable options (collected in order), flags, `--` to end options.
// Unknown options, missing values and extra positional arguments are usage errors (exit 2).
import { CliError } from './client/connection.js';

export interface OptionSpec {
  name: string;
  /** Placeholder of the value (`N`, `HOST:PORT`); absent for a flag. */
  value?: string;
  help: string;
}

export interface ActionSpec {
  name: string;
  /** Positional arguments after the action (all required), e.g. ['TOPIC']. */
  args: string[];
  usage: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Sub-actions (`topics list`); the first one is the default when none is given. */
  actions?: ActionSpec[];
  /** Positional arguments of a command without actions (all required). */
  args?: string[];
  usage: string[];
  options: OptionSpec[];
}

export interface Parsed {
  positional: string[];
  options: Map<string, string[]>;
}

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: 'bootstrap-server', value: 'HOST:PORT[,…]', help: 'brokers to connect to (default 127.0.0.1:9092, or env STRATA_BOOTSTRAP_SERVER)' },
  { name: 'output', value: 'table|json', help: 'output format (default table)' },
  { name: 'timeout-ms', value: 'MS', help: 'request timeout (default 30000); for consume: idle time before exiting' },
  { name: 'help', help: 'show help (also -h)' },
];

function usage(message: string): CliError {
  return new CliError(message, 'STRATA_ERR_CLI_USAGE');
}

/** The first positional argument, skipping global options (and their values) before it. */
export function findCommand(argv: string[]): { command: string | undefined; index: number } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return i + 1 < argv.length ? { command: argv[i + 1], index: i + 1 } : { command: undefined, index: -1 };
    if (arg === '-h') continue;
    if (arg.startsWith('--')) {
      const spec = GLOBAL_OPTIONS.find((o) => o.name === arg.slice(2).split('=')[0]);
      if (!spec) return { command: undefined, index: -1 };
      if (spec.value !== undefined && !arg.includes('=')) i++;
      continue;
    }
    return { command: arg, index: i };
  }
  return { command: undefined, index: -1 };
}

/**
 * Parses every argument except the command word at `commandIndex` (-1: none), accepting the
 * global options and the command's own. Positionals are returned in order.
 */
export function parseCliArgs(argv: string[], command?: CommandSpec, commandIndex = -1): Parsed {
  const out: Parsed = { positional: [], options: new Map() };
  const specs = [...GLOBAL_OPTIONS, ...(command?.options ?? [])];
  const where = command ? `strata ${command.name}` : 'strata';
  for (let i = 0; i < argv.length; i++) {
    if (i === commandIndex) continue;
    const arg = argv[i]!;
    if (arg === '--') {
      for (let j = i + 1; j < argv.length; j++) if (j !== commandIndex) out.positional.push(argv[j]!);
      break;
    }
    if (arg === '-h') {
      add(out, 'help', 'true');
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.positional.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw usage(`unknown option ${arg} for ${where} (see ${where} --help)`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw usage(`unknown option --${name} for ${where} (see ${where} --help)`);
    if (spec.value === undefined) {
      if (eq >= 0) throw usage(`--${name} is a flag and takes no value`);
      add(out, name, 'true');
    } else if (eq >= 0) add(out, name, arg.slice(eq + 1));
    else if (i + 1 < argv.length && i + 1 !== commandIndex) add(out, name, argv[++i]!);
    else throw usage(`--${name} needs a value (${spec.value})`);
  }
  return out;
}

/** Checks the positional arguments against the command's actions; returns the action (if any). */
export function checkPositionals(command: CommandSpec, positional: string[]): string | undefined {
  if (command.actions) {
    const action = positional[0] ?? command.actions[0]!.name;
    const spec = command.actions.find((a) => a.name === action);
    if (!spec) throw usage(`strata ${command.name}: unknown action "${action}" (${command.actions.map((a) => a.name).join(', ')})`);
    const given = positional.slice(1);
    if (given.length < spec.args.length) throw usage(`strata ${command.name} ${action}: missing ${spec.args.slice(given.length).join(' ')} (usage: ${spec.usage})`);
    if (given.length > spec.args.length) throw usage(`strata ${command.name} ${action}: unexpected argument "${given[spec.args.length]}" (usage: ${spec.usage})`);
    return action;
  }
  const args = command.args ?? [];
  if (positional.length < args.length) throw usage(`strata ${command.name}: missing ${args.slice(positional.length).join(' ')} (usage: ${command.usage[0]})`);
  if (positional.length > args.length) throw usage(`strata ${command.name}: unexpected argument "${positional[args.length]}" (usage: ${command.usage[0]})`);
  return undefined;
}

function add(p: Parsed, name: string, value: string): void {
  const list = p.options.get(name) ?? [];
  list.push(value);
  p.options.set(name, list);
}

export class Options {
  private readonly used = new Set<string>();
  constructor(private readonly parsed: Parsed) {}

  get positional(): string[] {
    return this.parsed.positional;
  }

  str(name: string): string | undefined {
    this.used.add(name);
    const v = this.parsed.options.get(name);
    return v ? v[v.length - 1] : undefined;
  }

  all(name: string): string[] {
    this.used.add(name);
    return this.parsed.options.get(name) ?? [];
  }

  flag(name: string): boolean {
    const v = this.str(name);
    return v !== undefined && v !== 'false';
  }

  int(name: string, min = Number.MIN_SAFE_INTEGER): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v) || Number(v) < min) throw usage(`--${name}: expected an integer >= ${min}, got "${v}"`);
    return Number(v);
  }

  /** `k=v` pairs of a repeatable option (`--config a=1 --config b=2`, also `a=1,b=2`). */
  pairs(name: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const raw of this.all(name)) {
      for (const item of raw.split(',')) {
        const eq = item.indexOf('=');
        if (eq <= 0) throw usage(`--${name}: expected key=value, got "${item}"`);
        out[item.slice(0, eq).trim()] = item.slice(eq + 1);
      }
    }
    return out;
  }

  /** Throws on options this action did not read (`topics list --partitions 3`). */
  rejectUnknown(what = 'this command'): void {
    for (const name of this.parsed.options.keys()) {
      if (!this.used.has(name)) throw usage(`option --${name} does not apply to ${what}`);
    }
  }
}
