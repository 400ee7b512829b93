// Thread: main (bench), also loaded by the peer latency producer thread. NATS JetStream through
// the `nats` client: a stream on a unique subject (file storage, the default a user gets),
// asynchronous publish (js.publish promises, at most 2,000 unacknowledged; each PubAck must name
// the stream and not be a duplicate), consume through an ordered consumer (pull-based, batches
// of 10,000) until every record is read; latency = the fixed-rate driver of ./common.mjs
// (js.publish from the producer thread, an ordered consumer here). Streams are deleted
// afterwards. When nothing listens on the port, a private `nats-server -js` is started on a free
// port with a temp store directory and stopped by PID afterwards.
import { StorageType, connect } from 'nats';
import {
  AckWindow,
  HOST,
  emptyResult,
  findExecutable,
  isInterrupted,
  locateServer,
  makePayload,
  measureThroughput,
  nowMs,
  peerPlan,
  registerCleanup,
  runLatencies,
  runLatencyAt,
  startPrivateServer,
  uniqueSuffix,
} from './common.mjs';

const PUBLISH_WINDOW = 2000; // outstanding js.publish acks
const CONSUME_BATCH = 10000; // ordered consumer max_messages per pull

function startNats() {
  const bin = findExecutable('nats-server');
  if (!bin) return null;
  return startPrivateServer({ name: 'nats', command: bin, args: (port, dir) => ['-a', HOST, '-p', String(port), '-js', '-sd', dir] });
}

// noAsyncTraces: the client's documented switch that stops it capturing a stack trace for every
// request (js.publish is a request) just to decorate a possible timeout error.
const natsConnect = (port, name) => connect({ servers: `${HOST}:${port}`, name, reconnect: false, timeout: 5000, noAsyncTraces: true });

function checkAck(pa, stream) {
  if (pa.stream !== stream) throw new Error(`PubAck from stream ${pa.stream}, expected ${stream}`);
  if (pa.duplicate) throw new Error(`PubAck seq ${pa.seq} flagged duplicate`);
}

/** Used by ./latency-producer.mjs on its own thread. */
export async function createLatencyPublisher({ port, stream, subject }) {
  const nc = await natsConnect(port, 'strata-bench-latency-producer');
  const js = nc.jetstream();
  return {
    publish: (payloads) => Promise.all(payloads.map((b) => js.publish(subject, b).then((pa) => checkAck(pa, stream)))),
    close: () => nc.close(),
  };
}

async function publishAll(js, stream, subject, n, timeoutMs) {
  const t0 = performance.now();
  const deadline = t0 + timeoutMs;
  const win = new AckWindow(PUBLISH_WINDOW);
  let acked = 0;
  let error = null;
  let i = 0;
  for (; i < n && !error && performance.now() < deadline && !isInterrupted(); i++) {
    const wait = win.acquire();
    if (wait) await wait;
    if (error) {
      win.release();
      break;
    }
    js.publish(subject, makePayload(i, nowMs())).then(
      (pa) => {
        try {
          checkAck(pa, stream);
          acked++;
        } catch (err) {
          error ??= err;
        }
        win.release();
      },
      (err) => {
        error ??= err;
        win.release();
        win.wake();
      },
    );
  }
  const left = await win.drain(deadline + 10000);
  return { sent: i, acked, seconds: (performance.now() - t0) / 1000, error, timedOut: !error && (i < n || left > 0) };
}

/** Ordered consumer from the start of the stream; resolves when `n` were seen or at the deadline. */
async function consumeAll(js, stream, verifier, n, timeoutMs) {
  const t0 = performance.now();
  const consumer = await js.consumers.get(stream);
  let resolveDone;
  const done = new Promise((resolve) => {
    resolveDone = resolve;
  });
  const messages = await consumer.consume({
    max_messages: CONSUME_BATCH,
    callback: (m) => {
      verifier.see(m.data);
      if (verifier.received >= n) resolveDone(false);
    },
  });
  const timer = setTimeout(() => resolveDone(true), timeoutMs);
  const timedOut = await done;
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  await messages.close().catch(() => {});
  return { seconds, timedOut };
}

async function startLatencyConsumer(js, stream, onRecord) {
  const consumer = await js.consumers.get(stream);
  const messages = await consumer.consume({ max_messages: CONSUME_BATCH, callback: (m) => onRecord(m.data) });
  return { stop: () => messages.close().catch(() => {}) };
}

/** NATS JetStream: publish / consume throughput and latency at fixed rates. */
export async function runNats(opts = {}) {
  const plan = peerPlan(opts);
  const result = emptyResult('NATS JetStream', 'nats');
  result.method = { storage: 'file', publishWindow: PUBLISH_WINDOW, consumer: 'ordered (pull)', consumeBatch: CONSUME_BATCH, records: plan.records, recordBytes: 100 };
  const where = await locateServer({ label: 'NATS', port: opts.port ?? 4222, start: opts.start === false ? null : startNats });
  if (!where.port) {
    result.skipped = where.reason;
    return result;
  }
  const { port } = where;
  result.server = { host: HOST, port, version: null, startedByBench: where.startedByBench, pid: where.pid ?? null };
  if (where.server) Object.assign(result.server, { command: where.server.command, probedPort: where.probedPort });
  const streams = [];
  let nc = null;
  let jsm = null;
  const newStream = async (tag) => {
    const s = uniqueSuffix();
    const stream = `strata-bench-${tag}-${s}`.replace(/[^A-Za-z0-9_-]/g, '_');
    const subject = `strata-bench.${tag}.${s}`.replace(/[^A-Za-z0-9_.-]/g, '_');
    await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File });
    streams.push(stream);
    return { stream, subject };
  };
  const deleteStream = async (stream) => {
    await jsm.streams.delete(stream);
    streams.splice(streams.indexOf(stream), 1);
  };
  const unregister = registerCleanup(() => Promise.all(streams.map((s) => jsm?.streams.delete(s))));
  try {
    nc = await natsConnect(port, 'strata-bench-peers');
    result.server.version = nc.info?.version ?? null;
    if (!nc.info?.jetstream) throw new Error(`NATS at ${HOST}:${port} has JetStream disabled`);
    jsm = await nc.jetstreamManager();
    const js = nc.jetstream();

    // Throughput: publish N, then consume N from the start.
    const { stream, subject } = await newStream('throughput');
    await measureThroughput(result, plan, where.pid, {
      publish: (n, timeoutMs) => publishAll(js, stream, subject, n, timeoutMs),
      afterPublish: async (acked) => {
        const info = await jsm.streams.info(stream);
        return info.state.messages === acked ? null : `stream holds ${info.state.messages} messages after ${acked} acknowledged publishes`;
      },
      consume: (verifier, n, timeoutMs) => consumeAll(js, stream, verifier, n, timeoutMs),
    });
    await deleteStream(stream);

    await runLatencies(result, {
      ...plan,
      prepare: async (rate) => {
        const l = await newStream(`latency-${rate}`);
        try {
          return await runLatencyAt({
            rate,
            seconds: plan.seconds,
            warmup: plan.warmup,
            serverPid: where.pid,
            publisher: { moduleUrl: import.meta.url, options: { port, ...l } },
            startConsumer: (onRecord) => startLatencyConsumer(js, l.stream, onRecord),
          });
        } finally {
          await deleteStream(l.stream);
        }
      },
    });
  } catch (err) {
    result.failures.push(err.message);
  } finally {
    for (const s of [...streams]) {
      try {
        await deleteStream(s);
      } catch (err) {
        result.failures.push(`cleanup: could not delete stream ${s}: ${err.message}`);
      }
    }
    unregister();
    if (nc) await nc.close().catch(() => {});
    if (where.server) result.server.stop = await where.server.stop();
  }
  result.ok = result.failures.length === 0;
  return result;
}
