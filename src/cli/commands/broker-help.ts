// Thread: main (CLI process). `strata broker --help`: every broker setting with its type and
// default, read from the zod schema in src/config/broker-config.ts (the only definition).
import { brokerConfigSchema } from '../../config/broker-config.js';
import { envNameFor } from '../../config/load-config.js';

interface ZodLike {
  def?: { type?: string; innerType?: ZodLike; defaultValue?: unknown; entries?: Record<string, string>; options?: readonly ZodLike[] };
}

/** `int`, `bool`, `string`, `a|b|c` for one schema field (defaults and optionals unwrapped). */
export function settingType(field: ZodLike): string {
  let f: ZodLike | undefined = field;
  while (f?.def && (f.def.type === 'default' || f.def.type === 'optional') && f.def.innerType) f = f.def.innerType;
  const def = f?.def;
  switch (def?.type) {
    case 'enum':
      return Object.values(def.entries ?? {}).join('|');
    case 'number':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'union':
      return def.options?.some((o) => o.def?.type === 'boolean') ? 'bool' : 'value';
    case 'pipe':
      return 'bool';
    case 'string':
      return 'string';
    default:
      return def?.type ?? 'value';
  }
}

export interface SettingRow {
  name: string;
  type: string;
  default: string;
  env: string;
}

export function brokerSettings(): SettingRow[] {
  const defaults = brokerConfigSchema.parse({}) as Record<string, unknown>;
  const shape = brokerConfigSchema.shape as unknown as Record<string, ZodLike>;
  return Object.keys(shape).map((name) => {
    const d = defaults[name];
    return { name, type: settingType(shape[name]!), default: d === undefined ? '(unset)' : d === '' ? '""' : String(d), env: envNameFor(name) };
  });
}

export function brokerHelp(): string {
  const rows = brokerSettings();
  const w1 = Math.max(...rows.map((r) => r.name.length)) + 2;
  const w2 = Math.max(...rows.map((r) => r.default.length)) + 2;
  const w3 = Math.max(...rows.map((r) => r.env.length)) + 2;
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(w1)}${b.padEnd(w2)}${c.padEnd(w3)}${d}\n`;
  const header = line('SETTING', 'DEFAULT', 'ENV', 'TYPE');
  return `strata broker — start a broker (what npm start runs)

Usage:
  strata broker [--config FILE] [--name=value …]

Settings come from defaults < the properties file (--config FILE or STRATA_CONFIG)
< STRATA_* environment variables < --name=value flags; every value is validated at start.

${header}${rows.map((r) => line(r.name, r.default, r.env, r.type)).join('')}`;
}
