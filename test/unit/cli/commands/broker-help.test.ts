import { describe, expect, it } from 'vitest';
import { brokerConfigSchema } from '../../../../src/config/broker-config.js';
import { brokerHelp, brokerSettings } from '../../../../src/cli/commands/broker-help.js';

describe('strata broker --help', () => {
  it('lists every setting of the schema with its default, type and env name', () => {
    const rows = brokerSettings();
    expect(rows.map((r) => r.name)).toEqual(Object.keys(brokerConfigSchema.shape));
    const byName = new Map(rows.map((r) => [r.name, r]));
    expect(byName.get('listeners')).toEqual({ name: 'listeners', type: 'string', default: 'PLAINTEXT://127.0.0.1:9092', env: 'STRATA_LISTENERS' });
    expect(byName.get('num.partitions')).toMatchObject({ type: 'int', default: '1' });
    expect(byName.get('auto.create.topics.enable')).toMatchObject({ type: 'bool', default: 'true', env: 'STRATA_AUTO_CREATE_TOPICS_ENABLE' });
    expect(byName.get('log.message.timestamp.type')).toMatchObject({ type: 'CreateTime|LogAppendTime', default: 'CreateTime' });
    expect(byName.get('redis.url')).toMatchObject({ default: '(unset)' });
    const help = brokerHelp();
    for (const r of rows) expect(help).toMatch(new RegExp(`^${r.name.replace(/\./g, '\\.')}\\s+.*\\s${r.env}\\s+${r.type.replace(/\|/g, '\\|')}$`, 'm'));
  });
});
