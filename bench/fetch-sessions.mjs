// Thread: main (bench). What KIP-227 fetch sessions save the broker on the consume side (issue
// 13): 16 consumers long-poll at the tail (maxWaitMs 500, minBytes 1) over P partitions each
// (consumer c owns partitions c·P … c·P+P−1 of a 16·P-partition topic) while a producer sends
// Produce requests (acks=1) on an absolute 1 ms schedule, each carrying a one-record batch for
// ONE partition of every consumer, rotating through the P (so each wake-up of a consumer finds
// one changed partition of P: the case sessions are for). Raw requests, Fetch v13 (topic ids):
//   sessionless  every fetch is full: all P partitions with their offsets (sessionId 0, epoch −1);
//   session      the first fetch opens a session (epoch 0), then each fetch is incremental:
//                only the partitions whose position moved since the last request, as the Java
//                client's FetchSessionHandler sends them, and the answer carries only changed ones.
// Parts (--parts=tail,idle):
//   tail   the above; broker µs per fetch = (broker cores with consumers − baseline cores) /
//          fetches per s, the baseline being the same producer alone first (another topic of the
//          same shape). On a busy machine the subtraction is noisy (± tens of µs).
//   idle   no producer: every fetch long-polls --idle-wait-ms (1) at the tail and times out, so
//          the broker's CPU is all the fetches' and µs per fetch = broker CPU / fetches, with no
//          baseline to subtract: the per-request cost a fleet of idle tailing consumers pays.
// Each (part, mode, P) run gets a fresh broker (127.0.0.1, fresh log directory, stopped by PID).
// Verified: every consumer read every record of each of its partitions, no gap or overlap;
// ListOffsets = records acknowledged; in session mode every answer kept the session.
//
// Usage: node bench/fetch-sessions.mjs [--quick] [--parts=tail,idle] [--partitions=1,64]
//          [--modes=sessionless,session] [--idle-wait-ms=1]
//          [--consumers=16] [--rate=500 (produce requests/s, each one record per consumer)]
//          [--seconds=8] [--repeat=1 (runs per mode and P, interleaved; medians reported)]
//          [--worker-threads=N] [--cpu-prof-dir=DIR]
import { scheduledProducer } from './lib/scheduled-producer.mjs';
import path from 'node:path';
import { fmt, isMain, parseArgs } from './lib/cli.mjs';
import { buildBatch, walkBatches } from './lib/batches.mjs';
import { ApiKey, createTopic, listOffsets, produceBody, topicId } from './lib/kafka-client.mjs';
import { REPO_DIR, machineInfo, round, writeResult } from './lib/results.mjs';
import { microsPerRequest } from './lib/small-requests-math.mjs';
import { connectN, finishRun, measured, withBroker } from './small-requests.mjs';

export const FETCH_SESSIONS_DEFAULTS = {
  quick: false,
  partitions: '1,64',
  modes: 'sessionless,session',
  parts: 'tail,idle',
  /** idle part: maxWaitMs of each long poll (nothing is produced, so every fetch waits it out). */
  'idle-wait-ms': 1,
  consumers: 16,
  rate: 500,
  seconds: 8,
  /** Runs per (mode, P), interleaved; the summary gives the median µs per fetch. */
  repeat: 1,
  'record-bytes': 100,
  'worker-threads': 0,
  'cpu-prof-dir': '',
};

const MAX_WAIT_MS = 500;
const MiB = 1024 * 1024;

/**
 * Produce requests on an absolute 1 ms schedule for `seconds`; request k carries one record for
 * partition c·P + (k mod P) of every consumer c (tpls[k mod P]).
 */
function tailProducer({ client, tpls, partitions, rate, seconds }) {
  return scheduledProducer({ client, tpls, partitions, requestsPerSec: rate, totalRequests: Math.round(rate * seconds) });
}

function fetchBody({ id, first, offsets, indexes, sessionId, epoch, maxWaitMs }) {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs,
    minBytes: 1,
    maxBytes: MiB,
    isolationLevel: 0,
    sessionId,
    sessionEpoch: epoch,
    topics:
      indexes.length === 0
        ? []
        : [
            {
              topic: '',
              topicId: id,
              partitions: indexes.map((i) => ({
                partition: first + i,
                currentLeaderEpoch: -1,
                fetchOffset: BigInt(offsets[i]),
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: MiB,
                replicaDirectoryId: Buffer.alloc(16),
              })),
            },
          ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

async function runOne(opts, part, mode, P) {
  const idle = part === 'idle';
  const maxWaitMs = idle ? opts['idle-wait-ms'] : MAX_WAIT_MS;
  const consumers = opts.consumers;
  const total = consumers * P;
  const run = { ok: false, failures: [], part, mode, partitionsPerConsumer: P, consumers, rate: idle ? 0 : opts.rate, seconds: opts.seconds, maxWaitMs };
  const res = await withBroker(opts, async ({ broker, port, admin, metrics }) => {
    const stamp = Date.now();
    const { batch } = buildBatch({ count: 1, recordBytes: opts['record-bytes'] });
    const produceVersion = admin.pickVersion(ApiKey.Produce, 9);
    const fetchVersion = admin.pickVersion(ApiKey.Fetch, 13);
    if (fetchVersion < 13) throw new Error(`broker serves Fetch up to v${fetchVersion}; this bench needs v13`);
    const makeTpls = (topic) =>
      Array.from({ length: P }, (_, k) =>
        admin.encode(ApiKey.Produce, produceVersion, produceBody({ topic, acks: 1, batches: Array.from({ length: consumers }, (_, c) => ({ partition: c * P + k, records: batch })) })),
      );
    const [producer] = await connectN(port, 1, 'strata-bench-session-producer');
    producer.coalesceWrites();
    const conns = await connectN(port, consumers, 'strata-bench-session-consumer');
    try {
      let base = null;
      if (!idle) {
        const baseTopic = `bench-sessions-base-${stamp}`;
        await createTopic(admin, baseTopic, total);
        base = await measured(broker, metrics, () => tailProducer({ client: producer, tpls: makeTpls(baseTopic), partitions: total, rate: opts.rate, seconds: opts.seconds }));
        run.failures.push(...base.value.failures);
      }

      const topic = `bench-sessions-${stamp}`;
      await createTopic(admin, topic, total);
      const id = await topicId(admin, topic);
      const stats = conns.map(() => ({ offsets: new Array(P).fill(0), records: 0, fetches: 0, empty: 0, discontinuities: 0, answeredPartitions: 0, requestPartitions: 0, sessionId: 0, epoch: 0 }));
      let producerDone = null;
      const m = await measured(broker, metrics, async (t0) => {
        const stopAt = t0 + opts.seconds * 1000;
        const consumerLoop = async (ci) => {
          const s = stats[ci];
          const first = ci * P;
          const all = Array.from({ length: P }, (_, i) => i);
          /** Partitions whose position moved since the last request (session mode). */
          let moved = new Set(all);
          let drainUntil = Infinity;
          while (run.failures.length === 0) {
            if (idle && performance.now() >= stopAt) return;
            if (producerDone) {
              let behind = false;
              for (let i = 0; i < P; i++) if (s.offsets[i] < producerDone.ackedByPartition[first + i]) behind = true;
              if (!behind) return;
              if (drainUntil === Infinity) drainUntil = performance.now() + 10_000;
              if (performance.now() > drainUntil) {
                run.failures.push(`consumer ${ci}: still behind 10 s after the producer stopped`);
                return;
              }
            }
            let body;
            if (mode === 'sessionless') body = fetchBody({ id, first, offsets: s.offsets, indexes: all, sessionId: 0, epoch: -1, maxWaitMs });
            else {
              body = fetchBody({ id, first, offsets: s.offsets, indexes: s.sessionId === 0 ? all : [...moved], sessionId: s.sessionId, epoch: s.epoch, maxWaitMs });
              moved = new Set();
            }
            s.requestPartitions += body.topics[0]?.partitions.length ?? 0;
            let r;
            try {
              r = await conns[ci].request(ApiKey.Fetch, fetchVersion, body);
            } catch (err) {
              run.failures.push(`consumer ${ci}: ${err.message}`);
              return;
            }
            s.fetches++;
            if (r.errorCode !== 0) {
              run.failures.push(`consumer ${ci}: fetch top-level error ${r.errorCode}`);
              return;
            }
            if (mode === 'session') {
              if (r.sessionId === 0) {
                run.failures.push(`consumer ${ci}: the broker answered without a session`);
                return;
              }
              if (s.sessionId === 0) s.sessionId = r.sessionId;
              s.epoch = s.epoch === 0x7fffffff ? 1 : s.epoch + 1;
            }
            let got = 0;
            for (const t of r.responses) {
              for (const pd of t.partitions) {
                s.answeredPartitions++;
                const i = pd.partitionIndex - first;
                if (pd.errorCode !== 0 || i < 0 || i >= P) {
                  run.failures.push(`consumer ${ci}: partition ${pd.partitionIndex} error ${pd.errorCode}`);
                  return;
                }
                const w = walkBatches(pd.records, s.offsets[i]);
                got += w.records;
                s.discontinuities += w.discontinuities;
                if (w.nextOffset !== s.offsets[i]) {
                  s.offsets[i] = w.nextOffset;
                  moved.add(i);
                }
              }
            }
            if (got === 0) s.empty++;
            s.records += got;
          }
        };
        const loops = conns.map((_, ci) => consumerLoop(ci));
        if (idle) {
          await Promise.all(loops);
          return { requests: 0, acked: 0, ackedByPartition: new Array(total).fill(0), failures: [] };
        }
        producerDone = await tailProducer({ client: producer, tpls: makeTpls(topic), partitions: total, rate: opts.rate, seconds: opts.seconds });
        run.failures.push(...producerDone.failures);
        await Promise.all(loops);
        return producerDone;
      });
      const hw = await listOffsets(admin, topic, total, -1n);
      const sum = hw.reduce((a, b) => a + b, 0);
      if (sum !== m.value.acked) run.failures.push(`ListOffsets: ${sum} records, ${m.value.acked} acknowledged`);
      for (const [ci, s] of stats.entries()) {
        if (s.discontinuities > 0) run.failures.push(`consumer ${ci}: ${s.discontinuities} offset gap(s) or overlap(s)`);
        for (let i = 0; i < P; i++) if (s.offsets[i] !== hw[ci * P + i]) run.failures.push(`consumer ${ci}: partition ${ci * P + i} read to ${s.offsets[i]}, high watermark ${hw[ci * P + i]}`);
      }
      const fetches = stats.reduce((a, s) => a + s.fetches, 0);
      const records = stats.reduce((a, s) => a + s.records, 0);
      const empty = stats.reduce((a, s) => a + s.empty, 0);
      const fetchesPerSec = fetches / m.wallSeconds;
      const cores = m.brokerCpuSeconds / m.wallSeconds;
      // Idle: nothing else runs in the broker, so all its CPU is the fetches'.
      const baseCores = base ? base.brokerCpuSeconds / base.wallSeconds : 0;
      Object.assign(run, {
        topic,
        fetchVersion,
        partitions: total,
        producedRecords: m.value.acked,
        produceRequests: m.value.requests,
        fetches,
        emptyFetches: empty,
        recordsRead: records,
        recordsPerFetch: round(records / Math.max(1, fetches - empty), 2),
        partitionsPerRequest: round(stats.reduce((a, s) => a + s.requestPartitions, 0) / Math.max(1, fetches), 2),
        partitionsPerResponse: round(stats.reduce((a, s) => a + s.answeredPartitions, 0) / Math.max(1, fetches), 2),
        fetchesPerSec: round(fetchesPerSec, 0),
        windowSeconds: round(m.wallSeconds, 3),
        brokerCores: round(cores, 2),
        baselineBrokerCores: round(baseCores, 2),
        brokerMicrosPerFetch: round(((cores - baseCores) / fetchesPerSec) * 1e6, 1),
        brokerMicrosPerRequestGross: microsPerRequest(m.brokerCpuSeconds, fetches + m.value.requests),
        brokerCountedFetchRequests: m.brokerFetchRequests,
        cpu: m.usage,
      });
    } finally {
      producer.close();
      for (const c of conns) c.close();
    }
    return {};
  });
  return finishRun(run, res);
}

export async function runFetchSessions(o = {}) {
  const opts = { ...FETCH_SESSIONS_DEFAULTS, ...o };
  if (opts.quick) opts.seconds = Math.min(opts.seconds, 2);
  const partitions = String(opts.partitions).split(',').map(Number);
  const modes = String(opts.modes).split(',').map((s) => s.trim());
  const parts = String(opts.parts).split(',').map((s) => s.trim());
  for (const part of parts) if (part !== 'tail' && part !== 'idle') throw new Error(`unknown part ${part} (tail, idle)`);
  for (const mode of modes) if (mode !== 'sessionless' && mode !== 'session') throw new Error(`unknown mode ${mode} (sessionless, session)`);
  const brokerMain = process.env.STRATA_BENCH_MAIN ?? path.join(REPO_DIR, 'dist', 'src', 'main.js');
  const result = { workload: 'fetch-sessions', ok: false, failures: [], options: opts, brokerMain, runs: [] };
  const t0 = performance.now();
  for (let rep = 0; rep < Math.max(1, opts.repeat); rep++) {
    for (const part of parts) {
      for (const P of partitions) {
        for (const mode of modes) {
          const r = await runOne(opts, part, mode, P);
          result.runs.push(r);
          for (const f of r.failures) result.failures.push(`${part} ${mode} P=${P}: ${f}`);
          printRun(r);
        }
      }
    }
  }
  result.summary = [];
  for (const part of parts) for (const P of partitions) {
    for (const mode of modes) {
      const ok = result.runs.filter((r) => r.ok && r.part === part && r.mode === mode && r.partitionsPerConsumer === P);
      const median = (pick) => {
        const v = ok.map(pick).sort((a, b) => a - b);
        return v.length === 0 ? null : v.length % 2 ? v[(v.length - 1) / 2] : round((v[v.length / 2 - 1] + v[v.length / 2]) / 2, 1);
      };
      result.summary.push({
        part,
        mode,
        partitionsPerConsumer: P,
        runs: ok.length,
        brokerMicrosPerFetch: median((r) => r.brokerMicrosPerFetch),
        allMicrosPerFetch: ok.map((r) => r.brokerMicrosPerFetch),
        fetchesPerSec: median((r) => r.fetchesPerSec),
        partitionsPerRequest: median((r) => r.partitionsPerRequest),
        partitionsPerResponse: median((r) => r.partitionsPerResponse),
        recordsPerFetch: median((r) => r.recordsPerFetch),
      });
    }
  }
  result.totalSeconds = round((performance.now() - t0) / 1000, 1);
  result.ok = result.failures.length === 0;
  return result;
}

function printRun(r) {
  const label = `${r.part} ${r.mode}, ${r.consumers} consumers × ${r.partitionsPerConsumer} partition(s)`;
  if (!r.ok) {
    console.log(`${label}: FAILURE\n  ${r.failures.join('\n  ')}`);
    if (r.brokerLogTail) console.log(r.brokerLogTail);
    return;
  }
  console.log(`${label}: ${fmt(r.fetchesPerSec)} fetches/s, ${r.partitionsPerRequest} partitions per request, ${r.partitionsPerResponse} per response, ${r.recordsPerFetch} records per non-empty fetch (${fmt(r.emptyFetches)} empty of ${fmt(r.fetches)})`);
  if (r.part === 'idle') console.log(`  broker ${r.brokerCores} cores → ${r.brokerMicrosPerFetch} µs per fetch (no producer; each fetch long-polls ${r.maxWaitMs} ms at the tail); load generator ${r.cpu?.loadGeneratorCores ?? '—'} cores, other processes ${r.cpu?.otherProcessesCores ?? '—'} cores`);
  else console.log(`  broker ${r.brokerCores} cores (${r.baselineBrokerCores} with the producer alone) → ${r.brokerMicrosPerFetch} µs per fetch; producer ${fmt(r.rate)} requests/s × ${r.consumers} records; other processes ${r.cpu?.otherProcessesCores ?? '—'} cores`);
}

export function printFetchSessions(res) {
  console.log(`\nfetch sessions (KIP-227), ${res.options.seconds} s per run, broker ${path.relative(process.cwd(), res.brokerMain) || res.brokerMain}: ${res.ok ? 'all records verified' : `FAILURE (${res.failures.length} problem(s))`}`);
  for (const s of res.summary) {
    const label = `${s.part} ${s.mode}, ${res.options.consumers} × ${s.partitionsPerConsumer}`;
    console.log(`  ${label.padEnd(28)} ${s.runs > 0 ? `${fmt(s.fetchesPerSec).padStart(7)} fetch/s ${String(s.brokerMicrosPerFetch).padStart(7)} µs/fetch (median of ${s.runs}: ${s.allMicrosPerFetch.join(', ')})  ${s.partitionsPerRequest} → ${s.partitionsPerResponse} partitions req → resp, ${s.recordsPerFetch} rec/fetch` : 'FAILURE'}`);
  }
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), FETCH_SESSIONS_DEFAULTS);
  const r = await runFetchSessions(opts);
  printFetchSessions(r);
  const file = writeResult('fetch-sessions', { machine: machineInfo(), fetchSessions: r });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  process.exitCode = r.ok ? 0 : 1;
}
