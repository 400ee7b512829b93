// Thread: vitest test worker. src/console/value-format.ts: how the message browser shows bytes.
import { describe, expect, it } from 'vitest';
import { formatValue, MAX_HEX_BYTES, MAX_TEXT_BYTES, type SchemaDecoder } from '../../../src/console/value-format.js';

describe('formatValue', () => {
  it.each([
    ['null', null, { kind: 'null' }],
    ['JSON object, pretty-printed', Buffer.from('{"a":1,"b":[true,null]}'), { kind: 'json', size: 23, text: '{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}', truncated: false }],
    ['JSON string', Buffer.from('"hi"'), { kind: 'json', size: 4, text: '"hi"', truncated: false }],
    ['text that starts like JSON but is not', Buffer.from('{oops'), { kind: 'text', size: 5, text: '{oops', truncated: false }],
    ['plain UTF-8 with newlines and tabs', Buffer.from('héllo\n\tworld'), { kind: 'text', size: 13, text: 'héllo\n\tworld', truncated: false }],
    ['a bare number stays text', Buffer.from('42'), { kind: 'text', size: 2, text: '42', truncated: false }],
    ['control characters: hex', Buffer.from([0x41, 0x01, 0x42]), { kind: 'hex', size: 3, hex: '410142', truncated: false }],
    ['invalid UTF-8: hex', Buffer.from([0xc3, 0x28]), { kind: 'hex', size: 2, hex: 'c328', truncated: false }],
    ['empty', Buffer.alloc(0), { kind: 'text', size: 0, text: '', truncated: false }],
    ['magic byte 0 + schema id, no registry', Buffer.from([0, 0, 0, 1, 2, 0xaa]), { kind: 'schema', size: 6, schemaId: 258, hex: '00000001' + '02aa', truncated: false }],
    ['a leading 0 shorter than a header: hex', Buffer.from([0, 1, 2]), { kind: 'hex', size: 3, hex: '000102', truncated: false }],
  ])('%s', async (_name, input, expected) => {
    expect(await formatValue(input)).toEqual(expected);
  });

  it('bounds what it returns: long text and long binary are cut', async () => {
    const text = await formatValue(Buffer.from('x'.repeat(MAX_TEXT_BYTES + 10)));
    expect(text).toMatchObject({ kind: 'text', size: MAX_TEXT_BYTES + 10, truncated: true });
    expect((text as { text: string }).text.length).toBeLessThanOrEqual(MAX_TEXT_BYTES);
    const bin = await formatValue(Buffer.alloc(MAX_HEX_BYTES * 3, 0xff));
    expect(bin).toMatchObject({ kind: 'hex', size: MAX_HEX_BYTES * 3, truncated: true });
    expect((bin as { hex: string }).hex.length).toBe(MAX_HEX_BYTES * 2);
  });

  it('decodes framed values through the schema decoder, and shows its failure with the hex', async () => {
    const seen: Array<[number, string]> = [];
    const decoder: SchemaDecoder = {
      decode: async (id, payload) => {
        seen.push([id, payload.toString('hex')]);
        if (id === 7) throw new Error('schema 7 not found');
        return { name: 'ada', big: 12n };
      },
    };
    expect(await formatValue(Buffer.from([0, 0, 0, 0, 3, 0x10]), decoder)).toEqual({ kind: 'json', size: 6, schemaId: 3, text: '{\n  "name": "ada",\n  "big": "12"\n}', truncated: false });
    expect(await formatValue(Buffer.from([0, 0, 0, 0, 7, 0x10]), decoder)).toMatchObject({ kind: 'schema', schemaId: 7, error: 'schema 7 not found', hex: '000000000710' });
    expect(seen).toEqual([
      [3, '10'],
      [7, '10'],
    ]);
  });
});

describe('readMessageIndexes (Confluent protobuf framing)', () => {
  it('reads the shorthand 0, explicit paths, and refuses truncated or absurd ones', async () => {
    const { readMessageIndexes } = await import('../../../src/console/schema-decoder.js');
    expect(readMessageIndexes(Buffer.from([0, 0x08]))).toEqual({ indexes: [0], offset: 1 });
    expect(readMessageIndexes(Buffer.from([4, 2, 6, 0x08]))).toEqual({ indexes: [1, 3], offset: 3 });
    expect(() => readMessageIndexes(Buffer.from([4, 2]))).toThrow(RangeError);
    expect(() => readMessageIndexes(Buffer.from([0xfe, 0x01]))).toThrow(RangeError);
    expect(() => readMessageIndexes(Buffer.alloc(0))).toThrow(RangeError);
  });
});
