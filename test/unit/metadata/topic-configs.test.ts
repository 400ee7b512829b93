import { describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../../../src/config/load-config.js';
import { ConfigSource, describeTopicConfigs, resolveLogConfig, validateTopicConfig } from '../../../src/metadata/topic-configs.js';

const broker = loadBrokerConfig({ argv: ['--log.retention.ms=1000'], env: {} }).config;

describe('topic configs', () => {
  it.each([
    ['retention.ms', '60000', true],
    ['retention.ms', '-1', true],
    ['retention.ms', 'soon', false],
    ['segment.bytes', '10', false],
    ['message.timestamp.type', 'LogAppendTime', true],
    ['message.timestamp.type', 'Whenever', false],
    ['cleanup.policy', 'compact', false],
    ['no.such.config', '1', false],
  ])('validates %s=%s → %s', (name, value, ok) => {
    expect(validateTopicConfig(name, value).ok).toBe(ok);
  });

  it('describes overrides, broker-set and default values with their sources', () => {
    const described = describeTopicConfigs({ 'segment.bytes': '1048576' }, broker, new Set(['log.retention.ms']));
    const byName = new Map(described.map((c) => [c.name, c]));
    expect(byName.get('segment.bytes')).toMatchObject({ value: '1048576', source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    expect(byName.get('segment.bytes')!.synonyms.map((s) => s.name)).toEqual(['segment.bytes', 'log.segment.bytes']);
    expect(byName.get('retention.ms')).toMatchObject({ value: '1000', source: ConfigSource.STATIC_BROKER_CONFIG });
    expect(byName.get('max.message.bytes')).toMatchObject({ value: '1048588', source: ConfigSource.DEFAULT_CONFIG });
  });

  it('resolves a worker LogConfig from overrides over broker defaults', () => {
    const log = resolveLogConfig({ 'segment.bytes': '2048', 'message.timestamp.type': 'LogAppendTime' }, broker);
    expect(log.segmentBytes).toBe(2048);
    expect(log.retentionMs).toBe(1000);
    expect(log.timestampType).toBe('LogAppendTime');
    expect(log.maxMessageBytes).toBe(1048588);
  });
});
