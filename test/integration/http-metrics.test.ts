// Integration: the operator HTTP listener of a real broker process — /healthz, /metrics values
// that move when records flow (bytes/records in and out, request latency per API/version,
// fetch error codes, worker slots, group lag, open connections), and /readyz turning unready
// while the broker's Redis (our own redis-server) is stopped, ready again once it is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { GROUP_TEST_FLAGS, RedisServer, freePort, uniqueRedisPrefix } from '../helpers/groups.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { runStrata, strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';
import { httpGet, httpPortOf, scrapeMetrics } from '../helpers/metrics.js';

const get = httpGet;
const scrape = scrapeMetrics;

describe('HTTP endpoints without Redis', () => {
  let broker: BrokerHandle;
  let port: number;

  beforeAll(async () => {
    broker = await startBroker({ args: [...GROUP_TEST_FLAGS, '--redis.url=', '--worker.threads=2'] });
    port = httpPortOf(broker);
  });

  it('logs the bound HTTP port and answers /healthz, /readyz and 404', async () => {
    expect(broker.logLines().some((l) => l.msg === 'http listening' && l.port === port)).toBe(true);
    expect(await get(port, '/healthz')).toMatchObject({ status: 200, body: '{"status":"ok"}\n' });
    const ready = await get(port, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks: { logs: true } });
    expect((await get(port, '/nope')).status).toBe(404);
  });

  it('/metrics moves when records flow', async () => {
    const topic = uniqueTopic('metrics');
    const groupId = `g-${topic}`;
    const bs = ['--bootstrap-server', broker.bootstrap];
    await strataOk(['topics', 'create', topic, '--partitions', '3', ...bs]);
    const before = await scrape(port);
    expect(before.get(`strata_topic_records_in_total{topic="${topic}"}`)).toBeUndefined();
    expect(before.get('strata_nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);

    const lines = Array.from({ length: 40 }, (_, i) => `v${i}`);
    await strataOk(['produce', topic, '--partition', '2', '--batch-size', '10', ...bs], { input: lines.join('\n') + '\n' });
    const afterProduce = await scrape(port);
    expect(afterProduce.get(`strata_topic_records_in_total{topic="${topic}"}`)).toBe(40);
    const bytesIn = afterProduce.get(`strata_topic_bytes_in_total{topic="${topic}"}`)!;
    expect(bytesIn).toBeGreaterThan(40 * 2);
    const produceCount = (m: Map<string, number>) => [...m].filter(([k]) => k.startsWith('strata_request_duration_seconds_count{api="Produce"')).reduce((s, [, v]) => s + v, 0);
    expect(produceCount(afterProduce) - produceCount(before)).toBe(4);

    // Consume 15 of them as group G (commits 15): lag 25 on partition 2, computed at scrape time.
    await strataOk(['consume', topic, '--group', groupId, '--from-beginning', '--partition', '2', '--max-messages', '15', ...bs]);
    const afterConsume = await scrape(port);
    expect(afterConsume.get(`strata_topic_records_out_total{topic="${topic}"}`)).toBeGreaterThanOrEqual(15);
    expect(afterConsume.get(`strata_topic_bytes_out_total{topic="${topic}"}`)).toBeGreaterThan(0);
    expect(afterConsume.get(`strata_consumer_group_lag{group="${groupId}",topic="${topic}",partition="2"}`)).toBe(25);
    const slotPartitions = [...afterConsume].filter(([k]) => k.startsWith('strata_worker_slot_partitions{')).reduce((s, [, v]) => s + v, 0);
    expect(slotPartitions).toBeGreaterThanOrEqual(3);
    expect(afterConsume.has('strata_worker_slot_queue_depth{slot="0"}')).toBe(true);
    expect(afterConsume.get('strata_worker_slot_segments{slot="0"}')! + afterConsume.get('strata_worker_slot_segments{slot="1"}')!).toBeGreaterThanOrEqual(3);

    // A fetch at an offset past the end counts OFFSET_OUT_OF_RANGE (1) for Fetch.
    const oorBefore = afterConsume.get('strata_partition_errors_total{api="Fetch",code="1"}') ?? 0;
    // The CLI reports an explicit out-of-range offset as an error (exit 1) naming the valid range.
    const oor = await runStrata(['consume', topic, '--partition', '2', '--offset', '1000', '--timeout-ms', '200', ...bs]);
    expect(oor.code).toBe(1);
    expect(oor.stderr).toMatch(/out of range/i);
    const afterOor = await scrape(port);
    expect(afterOor.get('strata_partition_errors_total{api="Fetch",code="1"}')).toBe(oorBefore + 1);
    expect(afterOor.get(`strata_consumer_group_lag{group="${groupId}",topic="${topic}",partition="2"}`)).toBe(25);

    // Open connections: a connected KafkaJS producer shows up, and goes away on disconnect.
    const idle = afterOor.get('strata_open_connections')!;
    const producer = kafkaClient(broker.bootstrap).producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'x' }, { value: 'y' }] });
    const connected = await scrape(port);
    expect(connected.get('strata_open_connections')).toBeGreaterThan(idle);
    expect(connected.get(`strata_topic_records_in_total{topic="${topic}"}`)).toBe(42);
    // KafkaJS sends with acks=-1: the append waited for a group-commit fsync, which the worker reports.
    expect(connected.get('strata_fsync_duration_seconds_count')).toBeGreaterThan(afterOor.get('strata_fsync_duration_seconds_count') ?? 0);
    // No object storage configured: nothing waits for upload.
    expect(connected.get('strata_remote_storage_upload_lag_bytes') ?? 0).toBe(0);
    await producer.disconnect();
    await waitFor(async () => (await scrape(port)).get('strata_open_connections')! <= idle, { what: 'connection count back down' });

    // Deleting the topic drops its series (bounded cardinality).
    await strataOk(['topics', 'delete', topic, ...bs]);
    const afterDelete = await scrape(port);
    expect(afterDelete.has(`strata_topic_records_in_total{topic="${topic}"}`)).toBe(false);
  });
});

describe('/readyz follows Redis', () => {
  let redis: RedisServer;
  let broker: BrokerHandle;
  let port: number;

  beforeAll(async () => {
    redis = new RedisServer(await freePort());
    await redis.start();
    broker = await startBroker({ args: [...GROUP_TEST_FLAGS, `--redis.url=${redis.url}`, `--redis.key.prefix=${uniqueRedisPrefix()}`, '--redis.command.timeout.ms=1000'] });
    port = httpPortOf(broker);
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('is ready with Redis up, unready (503) while it is stopped, ready again when it is back', async () => {
    await waitFor(async () => (await get(port, '/readyz')).status === 200, { what: 'ready with Redis' });
    expect(JSON.parse((await get(port, '/readyz')).body)).toEqual({ status: 'ready', checks: { logs: true, redis: true } });

    await redis.stop();
    const down = await waitFor(
      async () => {
        const r = await get(port, '/readyz');
        return r.status === 503 ? r : undefined;
      },
      { what: '/readyz 503 after Redis stopped' },
    );
    expect(JSON.parse(down.body)).toEqual({ status: 'unready', checks: { logs: true, redis: false } });
    // Liveness is unaffected.
    expect((await get(port, '/healthz')).status).toBe(200);

    await redis.start();
    await waitFor(async () => (await get(port, '/readyz')).status === 200, { timeoutMs: 20_000, what: '/readyz 200 after Redis restarted' });
  });
});
