// Unit: JSON Schema compatibility matrix (the hand-written subset of Confluent's rules in
// src/schema-registry/formats/json-schema-compat.ts). Each row: old, new, level, verdict.
import { describe, expect, it } from 'vitest';
import { compatibilityErrors, type CompatibilityLevel } from '../../../../src/schema-registry/compatibility.js';
import { jsonSchemaFormat } from '../../../../src/schema-registry/formats/json-schema.js';
import { RegistryError } from '../../../../src/schema-registry/errors.js';

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({ type: 'object', properties, ...extra });
const closed = { additionalProperties: false };
const str = { type: 'string' };
const int = { type: 'integer' };
const num = { type: 'number' };
const parse = (s: string) => jsonSchemaFormat.parse(s, []);

const rows: Array<[string, string, string, CompatibilityLevel, boolean]> = [
  ['optional property added to a closed model, BACKWARD', obj({ a: str }, closed), obj({ a: str, b: int }, closed), 'BACKWARD', true],
  ['optional property added to an open model, BACKWARD (PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL)', obj({ a: str }), obj({ a: str, b: int }), 'BACKWARD', false],
  ['property removed from an open model, BACKWARD', obj({ a: str, b: int }), obj({ a: str }), 'BACKWARD', true],
  ['property removed from a closed model, BACKWARD', obj({ a: str, b: int }, closed), obj({ a: str }, closed), 'BACKWARD', false],
  ['required property added, BACKWARD', obj({ a: str }, closed), obj({ a: str, b: int }, { ...closed, required: ['b'] }), 'BACKWARD', false],
  ['required property added, FORWARD (old open reader ignores it)', obj({ a: str }), obj({ a: str, b: int }, { required: ['b'] }), 'FORWARD', true],
  ['required property added, FORWARD (old closed reader rejects it)', obj({ a: str }, closed), obj({ a: str, b: int }, { ...closed, required: ['b'] }), 'FORWARD', false],
  ['required removed, BACKWARD', obj({ a: str }, { required: ['a'] }), obj({ a: str }), 'BACKWARD', true],
  ['required removed, FORWARD', obj({ a: str }, { required: ['a'] }), obj({ a: str }), 'FORWARD', false],
  ['integer widened to number, BACKWARD', obj({ n: int }), obj({ n: num }), 'BACKWARD', true],
  ['number narrowed to integer, BACKWARD', obj({ n: num }), obj({ n: int }), 'BACKWARD', false],
  ['integer widened to number, FULL', obj({ n: int }), obj({ n: num }), 'FULL', false],
  ['type changed string → integer', obj({ a: str }), obj({ a: int }), 'BACKWARD', false],
  ['type union widened, BACKWARD', obj({ a: str }), obj({ a: { type: ['string', 'null'] } }), 'BACKWARD', true],
  ['enum extended, BACKWARD', JSON.stringify({ enum: ['A', 'B'] }), JSON.stringify({ enum: ['A', 'B', 'C'] }), 'BACKWARD', true],
  ['enum narrowed, BACKWARD', JSON.stringify({ enum: ['A', 'B'] }), JSON.stringify({ enum: ['A'] }), 'BACKWARD', false],
  ['enum extended, FORWARD', JSON.stringify({ enum: ['A', 'B'] }), JSON.stringify({ enum: ['A', 'B', 'C'] }), 'FORWARD', false],
  ['maxLength decreased, BACKWARD', JSON.stringify({ type: 'string', maxLength: 10 }), JSON.stringify({ type: 'string', maxLength: 5 }), 'BACKWARD', false],
  ['maxLength increased, BACKWARD', JSON.stringify({ type: 'string', maxLength: 5 }), JSON.stringify({ type: 'string', maxLength: 10 }), 'BACKWARD', true],
  ['maximum added, BACKWARD', JSON.stringify(num), JSON.stringify({ ...num, maximum: 3 }), 'BACKWARD', false],
  ['pattern added, BACKWARD', JSON.stringify(str), JSON.stringify({ ...str, pattern: '^a' }), 'BACKWARD', false],
  ['pattern removed, BACKWARD', JSON.stringify({ ...str, pattern: '^a' }), JSON.stringify(str), 'BACKWARD', true],
  ['array items narrowed, BACKWARD', JSON.stringify({ type: 'array', items: num }), JSON.stringify({ type: 'array', items: int }), 'BACKWARD', false],
  ['array items widened, BACKWARD', JSON.stringify({ type: 'array', items: int }), JSON.stringify({ type: 'array', items: num }), 'BACKWARD', true],
  ['uniqueItems added, BACKWARD', JSON.stringify({ type: 'array' }), JSON.stringify({ type: 'array', uniqueItems: true }), 'BACKWARD', false],
  ['additionalProperties closed, BACKWARD', obj({ a: str }), obj({ a: str }, closed), 'BACKWARD', false],
  ['additionalProperties opened, BACKWARD', obj({ a: str }, closed), obj({ a: str }), 'BACKWARD', true],
  ['oneOf alternative added, BACKWARD', JSON.stringify({ oneOf: [str, int] }), JSON.stringify({ oneOf: [str, int, { type: 'boolean' }] }), 'BACKWARD', true],
  ['oneOf alternative removed, BACKWARD', JSON.stringify({ oneOf: [str, int] }), JSON.stringify({ oneOf: [str] }), 'BACKWARD', false],
  ['nested property type changed through $ref', JSON.stringify({ definitions: { X: JSON.parse(obj({ a: str })) }, $ref: '#/definitions/X' }), JSON.stringify({ definitions: { X: JSON.parse(obj({ a: int })) }, $ref: '#/definitions/X' }), 'BACKWARD', false],
  ['anything goes with NONE', obj({ a: str }), obj({ a: int }), 'NONE', true],
];

describe('JSON Schema compatibility (hand-written subset of Confluent rules)', () => {
  it.each(rows)('%s', (_d, oldText, newText, level, expected) => {
    const errors = compatibilityErrors(jsonSchemaFormat, level, parse(newText), [{ version: 1, schema: parse(oldText) }]);
    expect(errors.length === 0, errors.join('\n')).toBe(expected);
  });

  it('names the Confluent difference in the message', () => {
    const errors = compatibilityErrors(jsonSchemaFormat, 'BACKWARD', parse(obj({ a: str, b: int })), [{ version: 1, schema: parse(obj({ a: str })) }]);
    expect(errors.join()).toMatch(/PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL/);
  });

  it('rejects schemas ajv cannot compile with 42201', () => {
    for (const bad of ['{', '{"type":"nosuch"}', '{"type":"object","properties":{"a":{"minLength":"x"}}}', '42']) {
      expect(() => parse(bad), bad).toThrow(RegistryError);
    }
  });

  it('resolves $ref to a reference by name', () => {
    const ref = { name: 'other.json', schemaType: 'JSON' as const, schema: obj({ x: str }) };
    const main = obj({ o: { $ref: 'other.json' } });
    const parsed = jsonSchemaFormat.parse(main, [ref]);
    const changed = jsonSchemaFormat.parse(main, [{ ...ref, schema: obj({ x: int }) }]);
    expect(jsonSchemaFormat.readErrors(changed, parsed).join()).toMatch(/type string of the writer/);
    expect(() => jsonSchemaFormat.parse(main, [])).toThrow(RegistryError);
  });
});
