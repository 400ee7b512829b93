// Unit: the streamed-body splitter of v3 produce — objects split at any byte (inside strings,
// escapes and multi-byte UTF-8), whitespace between objects, bad input and the object bound.
import { describe, expect, it } from 'vitest';
import { JsonObjectSplitter } from '../../../../src/http/rest/json-object-stream.js';
import { RestError } from '../../../../src/http/rest/rest-errors.js';

const objects = [{ a: 1, s: 'br}ace { "quoted" \\ back' }, { value: { type: 'JSON', data: [1, { x: '€ ✓' }] } }, {}];
const text = objects.map((o) => JSON.stringify(o)).join('\n ') + '\n';

describe('JsonObjectSplitter', () => {
  it('gives every object back whatever the chunk boundaries', () => {
    const bytes = Buffer.from(text);
    for (let size = 1; size <= bytes.length; size += 3) {
      const s = new JsonObjectSplitter(1024);
      const out: string[] = [];
      for (let i = 0; i < bytes.length; i += size) out.push(...s.push(bytes.subarray(i, i + size)));
      s.end();
      expect(out.map((t) => JSON.parse(t))).toEqual(objects);
    }
  });

  it('objects back to back without whitespace', () => {
    const s = new JsonObjectSplitter(1024);
    expect(s.push(Buffer.from('{"a":1}{"b":2}{"c"')).map((t) => JSON.parse(t))).toEqual([{ a: 1 }, { b: 2 }]);
    expect(s.push(Buffer.from(':3}')).map((t) => JSON.parse(t))).toEqual([{ c: 3 }]);
  });

  it('rejects a non-object, a truncated object and an object over the bound', () => {
    expect(() => new JsonObjectSplitter(1024).push(Buffer.from('[1]'))).toThrow(RestError);
    const s = new JsonObjectSplitter(1024);
    s.push(Buffer.from('{"a":'));
    expect(() => s.end()).toThrow(/ends inside an object/);
    const small = new JsonObjectSplitter(10);
    try {
      small.push(Buffer.from('{"a":"0123456789"}'));
      expect.unreachable();
    } catch (err) {
      expect((err as RestError).status).toBe(413);
    }
  });
});
