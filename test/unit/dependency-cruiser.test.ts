// Thread: vitest test worker. The import rules of .dependency-cruiser.cjs (`npm run
// check:imports`) on a throwaway tree in a temp dir: allowed imports pass, and each forbidden
// one is reported under its rule — so a typo in a rule's path pattern cannot make the CI check
// pass vacuously.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const depcruise = path.join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function cruise(files: Record<string, string>): { status: number | null; violations: string[]; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-import-rules-'));
  temps.push(dir);
  fs.copyFileSync(path.join(repoRoot, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const run = spawnSync(process.execPath, [depcruise, '--config', path.join(repoRoot, '.dependency-cruiser.cjs'), '--output-type', 'err', 'src', 'workers'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  const violations = [...output.matchAll(/error ([\w-]+): (\S+) → (\S+)/g)].map((m) => `${m[1]}: ${m[2]} → ${m[3]}`).sort();
  return { status: run.status, violations, output };
}

const exportOne = 'export const x = 1;\n';

describe('import rules (.dependency-cruiser.cjs)', () => {
  it('allows what ARCHITECTURE.md allows and reports every forbidden import under its rule', () => {
    const r = cruise({
      // allowed
      'src/protocol/reader.ts': "import fs from 'node:fs';\nexport const r = fs;\n",
      'src/protocol/records.ts': "import { r } from './reader.js';\nexport const y = r;\n",
      'src/ipc/tasks.ts': "import { y } from '../protocol/records.js';\nexport const t = y;\n",
      'src/log-format/batch-header.ts': "import { y } from '../protocol/records.js';\nexport const b = y;\n",
      'src/errors.ts': "import { t } from './ipc/tasks.js';\nexport const e = t;\n",
      'workers/partition-log.ts':
        "import { t } from '../src/ipc/tasks.js';\nimport { b } from '../src/log-format/batch-header.js';\nimport { e } from '../src/errors.js';\nimport { w } from './segment.js';\nexport const l = [t, b, e, w];\n",
      'workers/segment.ts': "import { y } from '../src/protocol/records.js';\nexport const w = y;\n",
      'src/router/dispatch.ts': "import { t } from '../ipc/tasks.js';\nimport { x } from '../util/logger.js';\nexport const d = [t, x];\n",
      'src/util/logger.ts': exportOne,
      'src/tier/tier-manager.ts': exportOne,
      // forbidden
      'src/protocol/framing.ts': "import { t } from '../ipc/tasks.js';\nexport const f = t;\n",
      'workers/retention.ts': "import { x } from '../src/util/logger.js';\nexport const z = x;\n",
      'src/log-format/time-index.ts': "import { x } from '../tier/tier-manager.js';\nexport const ti = x;\n",
      'src/broker.ts': "import { w } from '../workers/segment.js';\nexport const br = w;\n",
      'src/main.ts': "import { nope } from './missing.js';\nexport const m = nope;\n",
    });
    expect(r.violations, r.output).toEqual([
      'no-unresolvable-imports: src/main.ts → ./missing.js',
      'nothing-imports-workers: src/broker.ts → workers/segment.ts',
      'protocol-imports-only-itself: src/protocol/framing.ts → src/ipc/tasks.ts',
      'pure-helpers-stay-pure: src/log-format/time-index.ts → src/tier/tier-manager.ts',
      'workers-import-only-protocol-ipc-and-pure-helpers: workers/retention.ts → src/util/logger.ts',
    ]);
    expect(r.status).not.toBe(0);
  });

  it('a clean tree passes with exit status 0', () => {
    const r = cruise({
      'src/protocol/reader.ts': exportOne,
      'workers/segment.ts': "import { x } from '../src/protocol/reader.js';\nexport const w = x;\n",
    });
    expect([r.status, r.violations], r.output).toEqual([0, []]);
  });
});
