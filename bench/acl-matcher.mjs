// Thread: main (bench script). The ACL matcher's cost per check (src/auth/acl-index.ts, from
// dist/): indexes of --acls (1k, 10k, 50k by default) literal and prefixed ACLs over 100
// principals, then --checks lookups of the kind a Produce or Fetch makes (principal, host, READ on
// a topic), three rounds each; prints the build time and µs per check (best round) and writes
// bench/results/acl-matcher-<timestamp>.json. Bounded by the counts; needs `npm run build`.
//   node bench/acl-matcher.mjs [--acls=1000,10000,50000] [--checks=200000]
import { isMain, parseArgs } from './lib/cli.mjs';
import { REPO_DIR, round, writeResult } from './lib/results.mjs';

export async function run(opts) {
  const { AclIndex } = await import(`${REPO_DIR}/dist/src/auth/acl-index.js`);
  const sizes = String(opts.acls).split(',').map(Number);
  const checks = Number(opts.checks);
  const rows = [];
  for (const size of sizes) {
    const bindings = Array.from({ length: size }, (_, i) => ({ resourceType: 2, resourceName: `topic-${i}`, patternType: i % 2 === 0 ? 3 : 4, principal: `User:u${i % 100}`, host: '*', operation: 3, permissionType: 3 }));
    const t0 = performance.now();
    const index = new AclIndex(bindings);
    const buildMs = performance.now() - t0;
    let best = Infinity;
    let allowed = 0;
    for (let round_ = 0; round_ < 3; round_++) {
      const t = performance.now();
      for (let i = 0; i < checks; i++) if (index.authorize(`User:u${i % 100}`, '10.0.0.1', 3, 2, `topic-${i % size}`) === 'ALLOWED') allowed++;
      best = Math.min(best, ((performance.now() - t) * 1000) / checks);
    }
    rows.push({ acls: size, buildMs: round(buildMs, 1), usPerCheck: round(best, 2), allowedShare: round(allowed / (3 * checks), 3) });
    console.log(`${String(size).padStart(7)} ACLs: index built in ${round(buildMs, 1)} ms, ${round(best, 2)} µs per check`);
  }
  const file = writeResult('acl-matcher', { checks, rows });
  console.log(`wrote ${file}`);
  return rows;
}

if (isMain(import.meta.url)) {
  await run(parseArgs(process.argv.slice(2), { acls: '1000,10000,50000', checks: 200000 }));
}
