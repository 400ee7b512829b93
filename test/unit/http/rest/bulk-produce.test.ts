// Unit: an NDJSON line → a record: record objects (key, value, partition, headers) against
// bare values (objects with other fields, strings, numbers, null), text vs JSON bytes, and
// the errors a bad line gets.
import { describe, expect, it } from 'vitest';
import { ndjsonRecord, textBytes } from '../../../../src/http/rest/bulk-produce.js';
import { RestError } from '../../../../src/http/rest/rest-errors.js';

const str = (b: Buffer | null | undefined) => (b === null || b === undefined ? b : b.toString());

describe('ndjsonRecord', () => {
  it('reads record objects', () => {
    const r = ndjsonRecord('{"key":"k","value":{"a":1},"partition":2,"headers":{"h":"v"}}', 1, 3, 't');
    expect(str(r.key)).toBe('k');
    expect(str(r.value)).toBe('{"a":1}');
    expect(r.partition).toBe(2);
    expect(r.headers?.map((h) => [h.key, str(h.value)])).toEqual([['h', 'v']]);
    expect(ndjsonRecord('{"value":null}', 1, 1, 't')).toEqual({ key: null, value: null });
    expect(ndjsonRecord('{"value":"x","headers":[{"name":"a","value":"1"}]}', 1, 1, 't').headers?.map((h) => h.key)).toEqual(['a']);
  });

  it('takes anything else as a bare value', () => {
    expect(str(ndjsonRecord('{"value":1,"other":2}', 1, 1, 't').value)).toBe('{"value":1,"other":2}');
    expect(str(ndjsonRecord('{"id":7}', 1, 1, 't').value)).toBe('{"id":7}');
    expect(str(ndjsonRecord('"text"', 1, 1, 't').value)).toBe('text');
    expect(str(ndjsonRecord('[1,2]', 1, 1, 't').value)).toBe('[1,2]');
    expect(ndjsonRecord('null', 1, 1, 't').value).toBeNull();
  });

  it('rejects bad lines with their number', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return [(err as RestError).errorCode, (err as RestError).message];
      }
      return undefined;
    };
    expect(code(() => ndjsonRecord('{"value":', 7, 1, 't'))).toEqual([42201, expect.stringMatching(/^line 7: malformed JSON/)]);
    expect(code(() => ndjsonRecord('{"value":1,"partition":-1}', 3, 1, 't'))).toEqual([42201, 'line 3: partition must be a non-negative integer']);
    expect(code(() => ndjsonRecord('{"value":1,"partition":5}', 3, 2, 't'))?.[0]).toBe(40402);
    expect(code(() => ndjsonRecord('{"value":1,"headers":5}', 4, 1, 't'))?.[0]).toBe(42201);
  });

  it('textBytes: strings as text, the rest as JSON', () => {
    expect(str(textBytes('é'))).toBe('é');
    expect(str(textBytes(12))).toBe('12');
    expect(textBytes(undefined)).toBeNull();
  });
});
