// Thread: main (bench), also loaded by the peer latency producer thread. Redis Streams through
// ioredis, the usual Node client: publish = pipelined XADD (chunks of 1,000 commands, 4 chunks
// in flight on one connection), consume = XREAD COUNT 10000 from id 0 until every record is
// read; latency = the fixed-rate driver of ./common.mjs (one pipelined XADD burst per tick from
// the producer thread, XREAD BLOCK on another connection here). Keys are `strata-bench:<...>`
// with a random suffix and are UNLINKed afterwards; never FLUSHALL/FLUSHDB (the Redis at
// 127.0.0.1:6379 is shared with the tests). When nothing listens on the port, a private
// redis-server is started on a free port (no persistence) and stopped by PID afterwards.
import Redis from 'ioredis';
import {
  HOST,
  emptyResult,
  findExecutable,
  isInterrupted,
  locateServer,
  nowMs,
  makePayload,
  measureThroughput,
  peerPlan,
  registerCleanup,
  runLatencies,
  runLatencyAt,
  startPrivateServer,
  uniqueSuffix,
} from './common.mjs';

const CHUNK = 1000; // XADD commands per pipeline
const CHUNKS_IN_FLIGHT = 4;
const XREAD_COUNT = 10000;
const KEY_TTL_SECONDS = 3600; // a safety net: keys left behind by a killed run expire

function connect(port, name) {
  const r = new Redis({ host: HOST, port, lazyConnect: true, connectionName: name, maxRetriesPerRequest: 1, enableOfflineQueue: true, retryStrategy: () => null });
  r.on('error', () => {}); // surfaced by the failing command
  return r;
}

function startRedis() {
  const bin = findExecutable('redis-server');
  if (!bin) return null;
  return startPrivateServer({
    name: 'redis',
    command: bin,
    args: (port, dir) => ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'no'],
  });
}

/** Used by ./latency-producer.mjs on its own thread. */
export async function createLatencyPublisher({ port, key }) {
  const r = connect(port, 'strata-bench-latency-producer');
  await r.connect();
  let first = true;
  return {
    async publish(payloads) {
      const p = r.pipeline();
      for (const b of payloads) p.xadd(key, '*', 'd', b);
      if (first) p.expire(key, KEY_TTL_SECONDS);
      first = false;
      const res = await p.exec();
      for (const [err] of res) if (err) throw err;
    },
    close: () => r.quit(),
  };
}

async function publishAll(r, key, n, timeoutMs) {
  const t0 = performance.now();
  const deadline = t0 + timeoutMs;
  let next = 0;
  let acked = 0;
  let error = null;
  const lane = async () => {
    while (next < n && !error && performance.now() < deadline && !isInterrupted()) {
      const first = next;
      const count = Math.min(CHUNK, n - next);
      next += count;
      const p = r.pipeline();
      for (let i = 0; i < count; i++) p.xadd(key, '*', 'd', makePayload(first + i, nowMs()));
      if (first === 0) p.expire(key, KEY_TTL_SECONDS);
      try {
        const res = await p.exec();
        for (const [err] of res) if (err) throw err;
        acked += count;
      } catch (err) {
        error ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: CHUNKS_IN_FLIGHT }, lane));
  return { acked, seconds: (performance.now() - t0) / 1000, error, timedOut: acked < n && !error };
}

async function consumeAll(r, key, verifier, n, timeoutMs) {
  const t0 = performance.now();
  const deadline = t0 + timeoutMs;
  let last = '0';
  let reads = 0;
  while (verifier.received < n && performance.now() < deadline) {
    const res = await r.xreadBuffer('COUNT', XREAD_COUNT, 'STREAMS', key, last);
    reads++;
    if (!res || res.length === 0) break; // nothing more to read
    const entries = res[0][1];
    if (entries.length === 0) break;
    for (const [, fields] of entries) verifier.see(fields[1]);
    last = entries[entries.length - 1][0];
  }
  const seconds = (performance.now() - t0) / 1000;
  // One more read (not timed): anything after the n-th entry is a duplicate or foreign entry.
  const extra = await r.xreadBuffer('COUNT', XREAD_COUNT, 'STREAMS', key, last);
  for (const [, fields] of extra?.[0]?.[1] ?? []) verifier.see(fields[1]);
  return { seconds, reads, timedOut: verifier.received < n && performance.now() >= deadline };
}

async function startLatencyConsumer(port, key, onRecord) {
  const r = connect(port, 'strata-bench-latency-consumer');
  await r.connect();
  let stopping = false;
  let error = null;
  const loop = (async () => {
    let last = '0';
    while (!stopping) {
      const res = await r.xreadBuffer('COUNT', XREAD_COUNT, 'BLOCK', 100, 'STREAMS', key, last);
      if (!res) continue;
      const now = nowMs();
      const entries = res[0][1];
      for (const [, fields] of entries) onRecord(fields[1], now);
      if (entries.length) last = entries[entries.length - 1][0];
    }
  })();
  loop.catch((err) => {
    error = err;
  });
  return {
    error: () => error,
    stop: async () => {
      stopping = true;
      try {
        await loop.catch(() => {});
      } finally {
        r.disconnect();
      }
    },
  };
}

/** Redis Streams: publish / consume throughput and latency at fixed rates. */
export async function runRedis(opts = {}) {
  const plan = peerPlan(opts);
  const result = emptyResult('Redis Streams', 'ioredis');
  result.method = { xaddPipeline: CHUNK, pipelinesInFlight: CHUNKS_IN_FLIGHT, xreadCount: XREAD_COUNT, records: plan.records, recordBytes: 100 };
  const where = await locateServer({ label: 'Redis', port: opts.port ?? 6379, start: opts.start === false ? null : startRedis });
  if (!where.port) {
    result.skipped = where.reason;
    return result;
  }
  const { port } = where;
  result.server = { host: HOST, port, version: null, startedByBench: where.startedByBench, pid: where.pid ?? null };
  if (where.server) Object.assign(result.server, { command: where.server.command, probedPort: where.probedPort });
  const keys = [];
  const r = connect(port, 'strata-bench-peers');
  const unregister = registerCleanup(() => keys.length && r.unlink(...keys));
  try {
    await r.connect();
    const info = await r.info('server');
    result.server.version = /redis_version:(\S+)/.exec(info)?.[1] ?? null;

    // Throughput: publish N, then consume N from the start.
    const key = `strata-bench:throughput:${uniqueSuffix()}`;
    keys.push(key);
    await measureThroughput(result, plan, where.pid, {
      publish: (n, timeoutMs) => publishAll(r, key, n, timeoutMs),
      afterPublish: async (acked) => {
        const len = await r.xlen(key);
        return len === acked ? null : `XLEN ${len} after ${acked} acknowledged XADDs`;
      },
      consume: (verifier, n, timeoutMs) => consumeAll(r, key, verifier, n, timeoutMs),
    });
    await r.unlink(key);
    keys.splice(keys.indexOf(key), 1);

    await runLatencies(result, {
      ...plan,
      prepare: async (rate) => {
        const lkey = `strata-bench:latency-${rate}:${uniqueSuffix()}`;
        keys.push(lkey);
        try {
          return await runLatencyAt({
            rate,
            seconds: plan.seconds,
            warmup: plan.warmup,
            serverPid: where.pid,
            publisher: { moduleUrl: import.meta.url, options: { port, key: lkey } },
            startConsumer: (onRecord) => startLatencyConsumer(port, lkey, onRecord),
          });
        } finally {
          await r.unlink(lkey);
          keys.splice(keys.indexOf(lkey), 1);
        }
      },
    });
  } catch (err) {
    result.failures.push(err.message);
  } finally {
    try {
      if (keys.length) await r.unlink(...keys);
    } catch (err) {
      result.failures.push(`cleanup: could not UNLINK ${keys.join(', ')}: ${err.message}`);
    }
    unregister();
    r.disconnect();
    if (where.server) result.server.stop = await where.server.stop();
  }
  result.ok = result.failures.length === 0;
  return result;
}
