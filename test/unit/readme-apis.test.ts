// The README's "Kafka APIs served" table is the handler registry, so docs cannot drift from
// what ApiVersions advertises.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { handlers } from '../../src/router/handlers/index.js';

describe('README: Kafka APIs served', () => {
  it('lists exactly the registered handlers with their versions', () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.split('## Kafka APIs served')[1]?.split('\n## ')[0] ?? '';
    const rows = [...section.matchAll(/^\| (\d+) \| (\w+) \| (\d+)–(\d+) \|$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}-${m[4]}`);
    const served = [...handlers].sort((a, b) => a.apiKey - b.apiKey).map((h) => `${h.apiKey} ${h.name} ${h.minVersion}-${h.maxVersion}`);
    expect(rows).toEqual(served);
  });
});
