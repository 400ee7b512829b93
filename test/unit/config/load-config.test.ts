import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envNameFor, loadBrokerConfig, parseArgs, parseProperties } from '../../../src/config/load-config.js';

function tempFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-config-'));
  const file = path.join(dir, 'server.properties');
  fs.writeFileSync(file, text);
  return file;
}

describe('loadBrokerConfig', () => {
  it('uses the embedded defaults with nothing set', () => {
    const { config } = loadBrokerConfig({ argv: [], env: {} });
    expect(config['listeners']).toBe('PLAINTEXT://127.0.0.1:9092');
    expect(config['log.dirs']).toBe('./data');
    expect(config['num.partitions']).toBe(1);
    expect(config['auto.create.topics.enable']).toBe(true);
    expect(config['socket.request.max.bytes']).toBe(104857600);
  });

  it('applies flags over env over file over defaults', () => {
    const file = tempFile('num.partitions=2\nlog.dirs=/from-file\nmessage.max.bytes=1000\n# comment\n');
    const env = { STRATA_NUM_PARTITIONS: '3', STRATA_LOG_DIRS: '/from-env' };
    const { config, explicit } = loadBrokerConfig({ argv: ['--config', file, '--num.partitions=4'], env });
    expect(config['num.partitions']).toBe(4);
    expect(config['log.dirs']).toBe('/from-env');
    expect(config['message.max.bytes']).toBe(1000);
    expect(explicit.get('num.partitions')).toBe('flag');
    expect(explicit.get('log.dirs')).toBe('env');
    expect(explicit.get('message.max.bytes')).toBe('file');
  });

  it('lists every bad value by name at once', () => {
    let error: unknown;
    try {
      loadBrokerConfig({ argv: ['--num.partitions=zero', '--listeners=nonsense', '--no.such.setting=1'], env: { STRATA_MESSAGE_MAX_BYTES: '-5' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('num.partitions');
    expect(problems).toContain('listeners');
    expect(problems).toContain('message.max.bytes');
    expect(problems).toContain('--no.such.setting: unknown setting');
  });

  it('parses booleans from strings', () => {
    const { config } = loadBrokerConfig({ argv: ['--auto.create.topics.enable=false'], env: {} });
    expect(config['auto.create.topics.enable']).toBe(false);
  });

  it('reports a missing config file as a problem', () => {
    expect(() => loadBrokerConfig({ argv: ['--config=/nonexistent/strata.properties'], env: {} })).toThrow(/nonexistent/);
  });
});

describe('parsing helpers', () => {
  it('maps dotted names to STRATA_ env names', () => {
    expect(envNameFor('log.dirs')).toBe('STRATA_LOG_DIRS');
    expect(envNameFor('advertised.listeners')).toBe('STRATA_ADVERTISED_LISTENERS');
  });

  it('reads java properties with continuations and both separators', () => {
    expect(parseProperties('a=1\nb: two\n! note\nc=x\\\n  y\n')).toEqual({ a: '1', b: 'two', c: 'xy' });
  });

  it('reads --name value and --name=value flags', () => {
    expect(parseArgs(['--a=1', '--b', '2', 'pos', '--flag'])).toEqual({ settings: { a: '1', b: '2', flag: 'true' }, positional: ['pos'] });
  });
});
