import { describe, expect, it } from 'vitest';
import { formatRecord } from '../../../../src/cli/commands/consume.js';

describe('consume --format', () => {
  const r = { topic: 't', partition: 2, offset: 41, timestamp: 1700000000000, key: 'k', value: 'v', headers: { a: '1', b: null } };
  it('fills every placeholder and escape', () => {
    expect(formatRecord('{topic}/{partition}@{offset} {timestamp}\\t{key}={value} [{headers}]\\n', r)).toBe('t/2@41 1700000000000\tk=v [a=1,b=]\n');
  });
  it('prints null key/value as empty and leaves unknown braces alone', () => {
    expect(formatRecord('{key}|{value}|{nope}', { ...r, key: null, value: null })).toBe('||{nope}');
  });
});
