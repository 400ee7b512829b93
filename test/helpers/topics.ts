// Thread: vitest test worker. A unique topic name per test: `t-<test>-<random>`, legal in
// Kafka (letters, digits, '.', '_', '-', at most 249 chars).
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
}

/** `t-<current test name>-<8 hex chars>`; pass `label` to tell several topics of one test apart. */
export function uniqueTopic(label?: string): string {
  let testName = '';
  try {
    testName = expect.getState().currentTestName ?? '';
  } catch {
    // outside a test (e.g. beforeAll)
  }
  const parts = ['t', slug(testName.split(' > ').pop() ?? '') || 'x'];
  if (label) parts.push(slug(label));
  parts.push(randomBytes(4).toString('hex'));
  return parts.join('-');
}
