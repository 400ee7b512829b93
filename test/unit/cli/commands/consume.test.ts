import { describe, expect, it } from 'vitest';
import { checkFormat, formatRecord } from '../../../../src/cli/commands/consume.js';

describe('consume --format', () => {
  const r = { topic: 't', partition: 2, offset: 41, timestamp: 1700000000000, key: 'k', value: 'v', headers: { a: '1', b: null } };
  it('fills every placeholder and escape', () => {
    expect(formatRecord('{topic}/{partition}@{offset} {timestamp}\\t{key}={value} [{headers}]\\n', r)).toBe('t/2@41 1700000000000\tk=v [a=1,b=]\n');
  });
  it('prints null key/value as empty', () => {
    expect(formatRecord('{key}|{value}', { ...r, key: null, value: null })).toBe('|');
  });
  it('rejects unknown placeholders by name, accepts the known ones and other braces', () => {
    expect(() => checkFormat('{key} {nope}')).toThrow(/unknown placeholder \{nope\} \(known: \{key\} \{value\}/);
    expect(() => checkFormat('{Value} {ofset}')).toThrow(/unknown placeholders \{Value\}, \{ofset\}/);
    expect(() => checkFormat('{partition}@{offset} {key}={value} {headers} {timestamp} {topic}')).not.toThrow();
    expect(() => checkFormat('{"k": "{key}"} {} { value }')).not.toThrow();
  });
});
