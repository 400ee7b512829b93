import { describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../../../src/config/load-config.js';
import { configProblems } from './fixtures/config-problems.js';
import { clusterSettings } from '../../../src/config/cluster-settings.js';

const problemsOf = configProblems;

describe('cluster settings', () => {
  it('are off by default, even with a Redis: a broker stays a single broker', () => {
    const { config } = loadBrokerConfig({ argv: ['--redis.url=redis://127.0.0.1:6379'], env: {} });
    expect(config['cluster.enable']).toBe(false);
    expect(config['broker.heartbeat.interval.ms']).toBe(2_000);
    expect(config['broker.session.timeout.ms']).toBe(9_000);
    expect(config['broker.rack']).toBeUndefined();
    expect(clusterSettings(config, {})).toBeUndefined();
  });

  it('cluster.enable with redis.url (or REDIS_URL) turns cluster mode on with its timings and rack', () => {
    const argv = ['--cluster.enable=true', '--redis.key.prefix=p:', '--broker.heartbeat.interval.ms=200', '--broker.session.timeout.ms=1000', '--broker.rack=eu-1a'];
    const fromFlag = loadBrokerConfig({ argv: [...argv, '--redis.url=redis://h:1'], env: {} }).config;
    expect(clusterSettings(fromFlag, {})).toEqual({ redisUrl: 'redis://h:1', keyPrefix: 'p:', commandTimeoutMs: 2_000, heartbeatIntervalMs: 200, sessionTimeoutMs: 1_000, rack: 'eu-1a' });
    const fromEnv = loadBrokerConfig({ argv, env: { REDIS_URL: 'redis://e:2' } }).config;
    expect(clusterSettings(fromEnv, { REDIS_URL: 'redis://e:2' })?.redisUrl).toBe('redis://e:2');
    const viaStrataEnv = loadBrokerConfig({ argv: [], env: { STRATA_CLUSTER_ENABLE: 'true', STRATA_REDIS_URL: 'redis://s:3' } }).config;
    expect(clusterSettings(viaStrataEnv, {})?.redisUrl).toBe('redis://s:3');
  });

  it('refuses a heartbeat not below the session timeout, naming both settings', () => {
    const problems = problemsOf(['--broker.heartbeat.interval.ms=1000', '--broker.session.timeout.ms=1000']);
    expect(problems).toEqual([expect.stringContaining('broker.heartbeat.interval.ms (1000) must be below broker.session.timeout.ms (1000)')]);
    expect(problemsOf(['--broker.heartbeat.interval.ms=999', '--broker.session.timeout.ms=1000'])).toEqual([]);
  });

  it('refuses cluster.enable without any Redis (an empty redis.url wins over REDIS_URL)', () => {
    expect(problemsOf(['--cluster.enable=true'])).toEqual([expect.stringContaining('cluster.enable=true needs a Redis')]);
    expect(problemsOf(['--cluster.enable=true', '--redis.url='], { REDIS_URL: 'redis://e:2' })).toEqual([expect.stringContaining('cluster.enable=true needs a Redis')]);
    expect(problemsOf(['--cluster.enable=true'], { REDIS_URL: 'redis://e:2' })).toEqual([]);
  });

  it('rejects a bad value with the setting named', () => {
    expect(problemsOf(['--broker.session.timeout.ms=abc'])).toEqual([expect.stringContaining('broker.session.timeout.ms')]);
    expect(problemsOf(['--cluster.enable=maybe'])).toEqual([expect.stringContaining('cluster.enable')]);
  });

  it('cluster.enable turns on the shared metadata store and partition leadership unless they are set', () => {
    const load = (argv: string[]) => loadBrokerConfig({ argv: ['--redis.url=redis://127.0.0.1:6379', ...argv], env: {} }).config;
    expect(load([])).toMatchObject({ 'cluster.metadata.store': 'local', 'cluster.partition.leadership.enable': false });
    expect(load(['--cluster.enable=true'])).toMatchObject({ 'cluster.metadata.store': 'redis', 'cluster.partition.leadership.enable': true });
    expect(load(['--cluster.enable=true', '--cluster.metadata.store=local'])).toMatchObject({ 'cluster.metadata.store': 'local', 'cluster.partition.leadership.enable': false });
    expect(load(['--cluster.enable=true', '--cluster.partition.leadership.enable=false'])).toMatchObject({ 'cluster.metadata.store': 'redis', 'cluster.partition.leadership.enable': false });
    expect(problemsOf(['--redis.url=redis://127.0.0.1:6379', '--cluster.enable=true', '--cluster.metadata.store=local', '--cluster.partition.leadership.enable=true'])).toEqual([
      expect.stringContaining('needs cluster.metadata.store=redis'),
    ]);
  });
});
