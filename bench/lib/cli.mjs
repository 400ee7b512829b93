// Thread: main (bench). Tiny `--name=value` / `--flag` argument parser shared by the bench scripts.

/**
 * Parse argv into an object. `--a=1` → { a: '1' }, `--flag` → { flag: true }, `--no-flag` → { flag: false }.
 * Defaults are applied with their type: numbers are parsed as numbers, booleans accept true/false/1/0.
 */
export function parseArgs(argv, defaults = {}) {
  const out = { ...defaults };
  for (const arg of argv) {
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg} (use --name=value)`);
    const eq = arg.indexOf('=');
    let key = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    let raw = eq < 0 ? true : arg.slice(eq + 1);
    if (eq < 0 && key.startsWith('no-')) {
      key = key.slice(3);
      raw = false;
    }
    const def = defaults[key];
    if (typeof def === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new Error(`--${key} needs a number, got ${raw}`);
      out[key] = n;
    } else if (typeof def === 'boolean') {
      out[key] = raw === true || raw === 'true' || raw === '1';
    } else {
      out[key] = raw;
    }
  }
  return out;
}

/** True when the module at `url` is the script node was started with. */
export function isMain(url) {
  const entry = process.argv[1];
  if (!entry) return false;
  return new URL(url).pathname === new URL(`file://${entry.startsWith('/') ? entry : `${process.cwd()}/${entry}`}`).pathname;
}

export const MiB = 1024 * 1024;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Format a number with thousands separators and `digits` decimals. */
export function fmt(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
