import { describe, expect, it } from 'vitest';
import { checkPositionals, findCommand, Options, parseCliArgs } from '../../../src/cli/args.js';
import { COMMANDS, commandHelp, mainHelp } from '../../../src/cli/commands.js';

const topics = COMMANDS.topics!;
const consume = COMMANDS.consume!;

function parse(argv: string[]): { command: string | undefined; o: Options } {
  const { command, index } = findCommand(argv);
  return { command, o: new Options(parseCliArgs(argv, command ? COMMANDS[command] : undefined, index)) };
}

describe('strata argument parsing', () => {
  it('reads positionals, --k v, --k=v, repeatable options and flags', () => {
    const { command, o } = parse(['topics', 'create', 't', '--partitions', '3', '--config', 'a=1', '--config=b=2,c=3', '--output=json']);
    expect(command).toBe('topics');
    expect(o.positional).toEqual(['create', 't']);
    expect(o.int('partitions', 1)).toBe(3);
    expect(o.pairs('config')).toEqual({ a: '1', b: '2', c: '3' });
    expect(o.str('output')).toBe('json');
    expect(() => o.rejectUnknown()).not.toThrow();
  });

  it('accepts global options before the subcommand', () => {
    const { command, o } = parse(['--bootstrap-server', 'h:1', '--output=json', 'topics', 'list']);
    expect(command).toBe('topics');
    expect(o.positional).toEqual(['list']);
    expect(o.str('bootstrap-server')).toBe('h:1');
    expect(o.str('output')).toBe('json');
    const c = parse(['--timeout-ms', '5', 'consume', 't', '--from-beginning']);
    expect(c.command).toBe('consume');
    expect(c.o.positional).toEqual(['t']);
    expect(c.o.flag('from-beginning')).toBe(true);
  });

  it('knows flags from value options, so a flag before a positional does not swallow it', () => {
    const { o } = parse(['consume', '--from-beginning', 'orders', '--max-messages', '5']);
    expect(o.positional).toEqual(['orders']);
    expect(o.int('max-messages', 1)).toBe(5);
  });

  it('names unknown options, with the command they were given to', () => {
    expect(() => parse(['topics', 'list', '--bootstrap-servers', 'x'])).toThrow(/unknown option --bootstrap-servers for strata topics/);
    expect(() => parse(['consume', 't', '--partitons', '1'])).toThrow(/unknown option --partitons for strata consume \(see strata consume --help\)/);
    expect(() => parse(['produce', 't', '-x'])).toThrow(/unknown option -x for strata produce/);
    // A command's own option given before the command is not a global option.
    expect(() => parse(['--from-beginning', 'consume', 't'])).toThrow(/unknown option --from-beginning for strata\b/);
  });

  it('rejects flags given a value and value options without one', () => {
    expect(() => parse(['consume', 't', '--from-beginning=yes'])).toThrow(/--from-beginning is a flag and takes no value/);
    expect(() => parse(['consume', 't', '--group'])).toThrow(/--group needs a value \(G\)/);
  });

  it('rejects bad integers and bad pairs', () => {
    expect(() => parse(['topics', 'create', 't', '--partitions', 'x']).o.int('partitions', 1)).toThrow(/expected an integer/);
    expect(() => parse(['topics', 'create', 't', '--partitions', '0']).o.int('partitions', 1)).toThrow(/>= 1/);
    expect(() => parse(['topics', 'create', 't', '--config', 'novalue']).o.pairs('config')).toThrow(/key=value/);
  });

  it('rejects options that do not apply to the action', () => {
    const { o } = parse(['topics', 'list', '--partitions', '3']);
    expect(() => o.rejectUnknown()).toThrow(/option --partitions does not apply/);
  });

  it('checks positional arguments: missing, extra, unknown action, default action', () => {
    expect(checkPositionals(topics, [])).toBe('list');
    expect(checkPositionals(topics, ['describe', 'orders'])).toBe('describe');
    expect(() => checkPositionals(topics, ['describe'])).toThrow(/missing TOPIC/);
    expect(() => checkPositionals(topics, ['describe', 'a', 'b'])).toThrow(/unexpected argument "b"/);
    expect(() => checkPositionals(topics, ['list', 'extra'])).toThrow(/unexpected argument "extra"/);
    expect(() => checkPositionals(topics, ['frobnicate'])).toThrow(/unknown action "frobnicate"/);
    expect(() => checkPositionals(consume, ['orders', 'billing'])).toThrow(/strata consume: unexpected argument "billing"/);
    expect(() => checkPositionals(consume, [])).toThrow(/missing TOPIC/);
  });

  it('-- ends the options', () => {
    const { o } = parse(['consume', '--', '--weird-topic']);
    expect(o.positional).toEqual(['--weird-topic']);
  });

  it('has help for every command listing every option', () => {
    for (const spec of Object.values(COMMANDS)) {
      const help = commandHelp(spec);
      for (const opt of spec.options) expect(help).toContain(`--${opt.name}`);
      expect(help).toContain('--bootstrap-server');
      expect(mainHelp()).toContain(`strata ${spec.name}`);
    }
    expect(parse(['consume', '--help']).o.flag('help')).toBe(true);
    expect(parse(['-h', 'groups']).o.flag('help')).toBe(true);
  });
});
