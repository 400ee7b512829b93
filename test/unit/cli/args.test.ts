import { describe, expect, it } from 'vitest';
import { Options, parseCliArgs } from '../../../src/cli/args.js';

describe('strata argument parsing', () => {
  it('reads positionals, --k v, --k=v, repeatable options and flags', () => {
    const o = new Options(parseCliArgs(['create', 't', '--partitions', '3', '--config', 'a=1', '--config=b=2,c=3', '--from-beginning', '--output=json']));
    expect(o.positional).toEqual(['create', 't']);
    expect(o.int('partitions', 1)).toBe(3);
    expect(o.pairs('config')).toEqual({ a: '1', b: '2', c: '3' });
    expect(o.flag('from-beginning')).toBe(true);
    expect(o.str('output')).toBe('json');
    expect(() => o.rejectUnknown()).not.toThrow();
  });

  it('rejects bad integers, bad pairs, missing values and unknown options', () => {
    expect(() => new Options(parseCliArgs(['--partitions', 'x'])).int('partitions', 1)).toThrow(/expected an integer/);
    expect(() => new Options(parseCliArgs(['--partitions', '0'])).int('partitions', 1)).toThrow(/>= 1/);
    expect(() => new Options(parseCliArgs(['--config', 'novalue'])).pairs('config')).toThrow(/key=value/);
    expect(() => parseCliArgs(['--group'])).toThrow(/needs a value/);
    expect(() => new Options(parseCliArgs(['--bootstrap-servers', 'x'])).allowOnly(['bootstrap-server'])).toThrow(/unknown option --bootstrap-servers/);
  });
});
