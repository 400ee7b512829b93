// Thread: main (CLI process). Argument parsing for `strata`: positionals, `--name value`,
// `--name=value`, repeatable options (collected in order) and boolean flags.
import { CliError } from './client/connection.js';

export interface Parsed {
  positional: string[];
  options: Map<string, string[]>;
}

/** Options that never take a value. */
const FLAGS = new Set(['from-beginning', 'execute', 'dry-run', 'to-earliest', 'to-latest', 'help', 'progress', 'no-progress', 'if-exists', 'if-not-exists']);

export function parseCliArgs(argv: string[]): Parsed {
  const out: Parsed = { positional: [], options: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      add(out, 'help', 'true');
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (eq >= 0) add(out, name, arg.slice(eq + 1));
    else if (FLAGS.has(name)) add(out, name, 'true');
    else if (i + 1 < argv.length) add(out, name, argv[++i]!);
    else throw new CliError(`--${name} needs a value`, 'STRATA_ERR_CLI_USAGE');
  }
  return out;
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
    if (!/^-?\d+$/.test(v) || Number(v) < min) throw new CliError(`--${name}: expected an integer >= ${min}, got "${v}"`, 'STRATA_ERR_CLI_USAGE');
    return Number(v);
  }

  /** `k=v` pairs of a repeatable option (`--config a=1 --config b=2`, also `a=1,b=2`). */
  pairs(name: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const raw of this.all(name)) {
      for (const item of raw.split(',')) {
        const eq = item.indexOf('=');
        if (eq <= 0) throw new CliError(`--${name}: expected key=value, got "${item}"`, 'STRATA_ERR_CLI_USAGE');
        out[item.slice(0, eq).trim()] = item.slice(eq + 1);
      }
    }
    return out;
  }

  /** Throws on any option not in `known` (checked before connecting, so typos fail fast). */
  allowOnly(known: Iterable<string>): void {
    const allowed = new Set(known);
    for (const name of this.parsed.options.keys()) {
      if (!allowed.has(name)) throw new CliError(`unknown option --${name} (see strata --help)`, 'STRATA_ERR_CLI_USAGE');
    }
  }

  /** Throws on options the command did not read (typos fail loudly). */
  rejectUnknown(): void {
    for (const name of this.parsed.options.keys()) {
      if (!this.used.has(name)) throw new CliError(`unknown option --${name} (see strata --help)`, 'STRATA_ERR_CLI_USAGE');
    }
  }
}
