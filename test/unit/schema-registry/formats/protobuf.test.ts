// Unit: Protobuf compatibility matrix (the hand-written rules in
// src/schema-registry/formats/protobuf.ts, after Confluent's protobuf differences).
import { describe, expect, it } from 'vitest';
import { compatibilityErrors, type CompatibilityLevel } from '../../../../src/schema-registry/compatibility.js';
import { protobufFormat } from '../../../../src/schema-registry/formats/protobuf.js';
import { RegistryError } from '../../../../src/schema-registry/errors.js';

const p3 = (body: string, pkg = 'acme') => `syntax = "proto3";\npackage ${pkg};\n${body}`;
const parse = (s: string) => protobufFormat.parse(s, []);

const rows: Array<[string, string, string, CompatibilityLevel, boolean]> = [
  ['field added', p3('message M { int32 a = 1; }'), p3('message M { int32 a = 1; string b = 2; }'), 'FULL', true],
  ['field removed', p3('message M { int32 a = 1; string b = 2; }'), p3('message M { int32 a = 1; }'), 'FULL', true],
  ['field renamed', p3('message M { int32 a = 1; }'), p3('message M { int32 z = 1; }'), 'FULL', true],
  ['int32 → int64 (same wire group)', p3('message M { int32 a = 1; }'), p3('message M { int64 a = 1; }'), 'FULL', true],
  ['int32 → string (FIELD_SCALAR_KIND_CHANGED)', p3('message M { int32 a = 1; }'), p3('message M { string a = 1; }'), 'BACKWARD', false],
  ['string ↔ bytes', p3('message M { string a = 1; }'), p3('message M { bytes a = 1; }'), 'FULL', true],
  ['sint32 → int32 (different zigzag encoding)', p3('message M { sint32 a = 1; }'), p3('message M { int32 a = 1; }'), 'BACKWARD', false],
  ['scalar → message (FIELD_KIND_CHANGED)', p3('message N { int32 x = 1; } message M { int32 a = 1; }'), p3('message N { int32 x = 1; } message M { N a = 1; }'), 'BACKWARD', false],
  ['message type changed (FIELD_NAMED_TYPE_CHANGED)', p3('message N { int32 x = 1; } message O { int32 x = 1; } message M { N a = 1; }'), p3('message N { int32 x = 1; } message O { int32 x = 1; } message M { O a = 1; }'), 'BACKWARD', false],
  ['message removed (MESSAGE_REMOVED)', p3('message M { int32 a = 1; } message N { int32 b = 1; }'), p3('message M { int32 a = 1; }'), 'BACKWARD', false],
  ['message added, BACKWARD', p3('message M { int32 a = 1; }'), p3('message M { int32 a = 1; } message N { int32 b = 1; }'), 'BACKWARD', true],
  ['message added, FORWARD (the old schema lacks it)', p3('message M { int32 a = 1; }'), p3('message M { int32 a = 1; } message N { int32 b = 1; }'), 'FORWARD', false],
  ['package changed', p3('message M { int32 a = 1; }'), p3('message M { int32 a = 1; }', 'other'), 'BACKWARD', false],
  ['numeric repeated ↔ singular (FIELD_NUMERIC_LABEL_CHANGED)', p3('message M { int32 a = 1; }'), p3('message M { repeated int32 a = 1; }'), 'BACKWARD', false],
  ['string repeated ↔ singular', p3('message M { string a = 1; }'), p3('message M { repeated string a = 1; }'), 'FULL', true],
  ['field moved into an existing oneof', p3('message M { int32 a = 1; oneof o { int32 b = 2; } }'), p3('message M { oneof o { int32 a = 1; int32 b = 2; } }'), 'BACKWARD', false],
  ['new oneof', p3('message M { int32 a = 1; }'), p3('message M { int32 a = 1; oneof o { int32 b = 2; } }'), 'FULL', true],
  ['enum value added', p3('enum E { A = 0; } message M { E e = 1; }'), p3('enum E { A = 0; B = 1; } message M { E e = 1; }'), 'FULL', true],
  ['required field added (proto2)', 'syntax = "proto2"; package acme; message M { optional int32 a = 1; }', 'syntax = "proto2"; package acme; message M { optional int32 a = 1; required int32 b = 2; }', 'BACKWARD', false],
  ['anything goes with NONE', p3('message M { int32 a = 1; }'), p3('message M { string a = 1; }'), 'NONE', true],
];

describe('Protobuf compatibility (hand-written, Confluent differences)', () => {
  it.each(rows)('%s', (_d, oldText, newText, level, expected) => {
    const errors = compatibilityErrors(protobufFormat, level, parse(newText), [{ version: 1, schema: parse(oldText) }]);
    expect(errors.length === 0, errors.join('\n')).toBe(expected);
  });

  it('rejects unparsable schemas and unresolved types with 42201', () => {
    for (const bad of ['message {', p3('message M { Nope a = 1; }'), p3('import "missing.proto"; message M { int32 a = 1; }')]) {
      let caught: unknown;
      try {
        parse(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught, bad).toBeInstanceOf(RegistryError);
      expect((caught as RegistryError).errorCode).toBe(42201);
    }
  });

  it('resolves imports from references and google well-known types', () => {
    const ref = { name: 'common/money.proto', schemaType: 'PROTOBUF' as const, schema: p3('message Money { int64 cents = 1; }', 'common') };
    const main = p3('import "common/money.proto";\nimport "google/protobuf/timestamp.proto";\nmessage Order { common.Money total = 1; google.protobuf.Timestamp at = 2; }');
    const parsed = protobufFormat.parse(main, [ref]);
    expect((parsed.parsed as { ownMessages: string[] }).ownMessages).toEqual(['.acme.Order']);
  });
});
