// Unit: Avro compatibility matrix. Each row is a pair of schemas and the verdict of Avro's own
// schema resolution (avsc createResolver: reader new, writer old for BACKWARD); the levels
// combine it in both directions.
import { describe, expect, it } from 'vitest';
import { compatibilityErrors, type CompatibilityLevel } from '../../../../src/schema-registry/compatibility.js';
import { avroFormat } from '../../../../src/schema-registry/formats/avro.js';
import { RegistryError } from '../../../../src/schema-registry/errors.js';

const rec = (fields: unknown[], name = 'R') => JSON.stringify({ type: 'record', name, namespace: 'ns', fields });
const a = { name: 'a', type: 'string' };
const bNoDefault = { name: 'b', type: 'int' };
const bDefault = { name: 'b', type: 'int', default: 0 };
const parse = (s: string) => avroFormat.parse(s, []);

// [description, old, new, level, compatible]
const rows: Array<[string, string, string, CompatibilityLevel, boolean]> = [
  ['add field with default, BACKWARD', rec([a]), rec([a, bDefault]), 'BACKWARD', true],
  ['add field without default, BACKWARD', rec([a]), rec([a, bNoDefault]), 'BACKWARD', false],
  ['add field without default, FORWARD', rec([a]), rec([a, bNoDefault]), 'FORWARD', true],
  ['add field without default, FULL', rec([a]), rec([a, bNoDefault]), 'FULL', false],
  ['add field with default, FULL', rec([a]), rec([a, bDefault]), 'FULL', true],
  ['remove field without default, BACKWARD', rec([a, bNoDefault]), rec([a]), 'BACKWARD', true],
  ['remove field without default, FORWARD', rec([a, bNoDefault]), rec([a]), 'FORWARD', false],
  ['remove field with default, FORWARD', rec([a, bDefault]), rec([a]), 'FORWARD', true],
  ['int promoted to long, BACKWARD', rec([{ name: 'n', type: 'int' }]), rec([{ name: 'n', type: 'long' }]), 'BACKWARD', true],
  ['long narrowed to int, BACKWARD', rec([{ name: 'n', type: 'long' }]), rec([{ name: 'n', type: 'int' }]), 'BACKWARD', false],
  ['int promoted to long, FORWARD', rec([{ name: 'n', type: 'int' }]), rec([{ name: 'n', type: 'long' }]), 'FORWARD', false],
  ['string to bytes, BACKWARD', rec([{ name: 's', type: 'string' }]), rec([{ name: 's', type: 'bytes' }]), 'BACKWARD', true],
  ['type changed string → int', rec([a]), rec([{ name: 'a', type: 'int' }]), 'BACKWARD', false],
  ['anything goes with NONE', rec([a]), rec([{ name: 'a', type: 'int' }]), 'NONE', true],
  ['enum symbol added, BACKWARD', JSON.stringify({ type: 'enum', name: 'E', symbols: ['A', 'B'] }), JSON.stringify({ type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] }), 'BACKWARD', true],
  ['enum symbol added, FORWARD', JSON.stringify({ type: 'enum', name: 'E', symbols: ['A', 'B'] }), JSON.stringify({ type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] }), 'FORWARD', false],
  ['enum symbol added with reader default, FORWARD', JSON.stringify({ type: 'enum', name: 'E', symbols: ['A', 'B'], default: 'A' }), JSON.stringify({ type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] }), 'FORWARD', true],
  ['field type widened to union, BACKWARD', rec([a]), rec([{ name: 'a', type: ['null', 'string'], default: null }]), 'BACKWARD', true],
  ['union narrowed to one branch, BACKWARD', rec([{ name: 'a', type: ['null', 'string'], default: null }]), rec([a]), 'BACKWARD', false],
  ['record renamed, BACKWARD', rec([a], 'R'), rec([a], 'S'), 'BACKWARD', false],
  ['record renamed with alias, BACKWARD', rec([a], 'R'), JSON.stringify({ type: 'record', name: 'S', namespace: 'ns', aliases: ['R'], fields: [a] }), 'BACKWARD', true],
  ['field renamed with alias, BACKWARD', rec([a]), rec([{ name: 'z', type: 'string', aliases: ['a'] }]), 'BACKWARD', true],
  ['primitive string → int', '"string"', '"int"', 'BACKWARD', false],
];

describe('Avro compatibility (avsc schema resolution)', () => {
  it.each(rows)('%s', (_d, oldText, newText, level, expected) => {
    const errors = compatibilityErrors(avroFormat, level, parse(newText), [{ version: 1, schema: parse(oldText) }]);
    expect(errors.length === 0, errors.join('\n')).toBe(expected);
    if (!expected) expect(errors[0]).toMatch(/version 1/);
  });

  it('transitive levels check every version, the others only the latest', () => {
    // v1 {a}, v2 {a='', b=0}, v3 {b=0}. FORWARD (old reads new): v2 reads v3 (a has a default),
    // v1 does not (a has none) — only the transitive level looks at v1.
    const v1 = parse(rec([a]));
    const v2 = parse(rec([{ name: 'a', type: 'string', default: '' }, bDefault]));
    const v3 = parse(rec([bDefault]));
    const prev = [
      { version: 1, schema: v1 },
      { version: 2, schema: v2 },
    ];
    expect(compatibilityErrors(avroFormat, 'FORWARD', v3, prev)).toEqual([]);
    const transitive = compatibilityErrors(avroFormat, 'FORWARD_TRANSITIVE', v3, prev);
    expect(transitive.length).toBe(1);
    expect(transitive[0]).toMatch(/^version 1:/);
  });

  it('normalises whitespace into one canonical text, keeps semantics', () => {
    expect(parse('{ "type" : "record", "name":"R", "fields": [ ] }').canonical).toBe('{"type":"record","name":"R","fields":[]}');
  });

  it('rejects invalid schemas with 42201', () => {
    for (const bad of ['{', '{"type":"record","name":"R"}', '"nosuchtype"', '{"type":"enum","name":"E","symbols":["A","A"]}']) {
      let caught: unknown;
      try {
        parse(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(RegistryError);
      expect((caught as RegistryError).errorCode).toBe(42201);
    }
  });

  it('resolves named types from references', () => {
    const ref = { name: 'ns.Inner', schemaType: 'AVRO' as const, schema: JSON.stringify({ type: 'record', name: 'Inner', namespace: 'ns', fields: [a] }) };
    const outer = JSON.stringify({ type: 'record', name: 'Outer', namespace: 'ns', fields: [{ name: 'i', type: 'ns.Inner' }] });
    expect(() => avroFormat.parse(outer, [ref])).not.toThrow();
    expect(() => avroFormat.parse(outer, [])).toThrow(RegistryError);
  });
});
