// Thread: main. Collects broker settings from defaults < properties file < STRATA_* env
// < --name=value flags, and validates them all at once through the zod schema.
import fs from 'node:fs';
import { StrataError } from '../errors.js';
import { brokerConfigKeys, brokerConfigSchema, type BrokerConfig } from './broker-config.js';
import { listenerSecurityProblems } from './listener-security.js';
import { workerSlotProblems } from './worker-slots.js';
import { applyClusterDefaults, clusterSettingProblems } from './cluster-settings.js';

export class ConfigError extends StrataError {
  constructor(readonly problems: string[]) {
    super('STRATA_ERR_CONFIG', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Java-style .properties: `key=value` or `key: value`, `#`/`!` comments, `\` continuations. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.trim();
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
    else out[line] = '';
  }
  return out;
}

/** `log.dirs` → `STRATA_LOG_DIRS`. */
export function envNameFor(key: string): string {
  return 'STRATA_' + key.toUpperCase().replace(/[.-]/g, '_');
}

export interface ParsedArgs {
  configFile?: string;
  settings: Record<string, string>;
  positional: string[];
}

/** Accepts `--config FILE`, `--config=FILE`, `--name=value` and `--name value`. */
export function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { settings: {}, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i]!;
    else value = 'true';
    if (name === 'config') out.configFile = value;
    else out.settings[name] = value;
  }
  return out;
}

export interface ConfigSources {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: BrokerConfig;
  /** Where each explicitly set key came from, for DescribeConfigs sources. */
  explicit: Map<string, 'file' | 'env' | 'flag'>;
  warnings: string[];
}

export function loadBrokerConfig(sources: ConfigSources = {}): LoadedConfig {
  const argv = sources.argv ?? process.argv.slice(2);
  const env = sources.env ?? process.env;
  const args = parseArgs(argv);
  const problems: string[] = [];
  const warnings: string[] = [];
  const merged: Record<string, string> = {};
  const explicit = new Map<string, 'file' | 'env' | 'flag'>();
  const known = new Set<string>(brokerConfigKeys);

  const configFile = args.configFile ?? env.STRATA_CONFIG;
  if (configFile) {
    let text: string | undefined;
    try {
      text = fs.readFileSync(configFile, 'utf8');
    } catch (e) {
      problems.push(`config file ${configFile}: ${(e as Error).message}`);
    }
    if (text !== undefined) {
      for (const [k, v] of Object.entries(parseProperties(text))) {
        if (!known.has(k)) warnings.push(`config file ${configFile}: unknown setting "${k}" ignored`);
        else {
          merged[k] = v;
          explicit.set(k, 'file');
        }
      }
    }
  }
  const envNames = new Map(brokerConfigKeys.map((k) => [envNameFor(k), k]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('STRATA_') || value === undefined || name === 'STRATA_CONFIG') continue;
    const key = envNames.get(name);
    if (key) {
      merged[key] = value;
      explicit.set(key, 'env');
    } else warnings.push(`environment variable ${name} does not name a setting; ignored`);
  }
  for (const [k, v] of Object.entries(args.settings)) {
    if (!known.has(k)) problems.push(`--${k}: unknown setting`);
    else {
      merged[k] = v;
      explicit.set(k, 'flag');
    }
  }
  const parsed = brokerConfigSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.') || '(root)';
      const source = explicit.get(key);
      const given = key in merged ? ` (got "${merged[key]}" from ${source})` : '';
      problems.push(`${key}: ${issue.message}${given}`);
    }
  } else {
    problems.push(...listenerSecurityProblems(parsed.data));
    problems.push(...workerSlotProblems(parsed.data, explicit));
    problems.push(...clusterSettingProblems(parsed.data, env));
    problems.push(...applyClusterDefaults(parsed.data, explicit));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: parsed.data!, explicit, warnings };
}
