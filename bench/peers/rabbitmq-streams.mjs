// Thread: main (bench), also loaded by the peer latency producer thread. RabbitMQ stream queues
// through amqplib (AMQP 0.9.1, no stream plugin needed): a durable queue declared with
// `x-queue-type: stream`, publish on a confirm channel with at most 2,000 unconfirmed messages
// (a nack is a failure), consume with basic.consume from `x-stream-offset: first` with a
// prefetch of 2,000 and manual acks (one `multiple` ack per 500 messages), until every record
// is read; latency = the fixed-rate driver of ./common.mjs (confirmed publishes from the
// producer thread, basic.consume here). Queues are deleted afterwards. No private RabbitMQ node
// is started: when nothing listens on the port, the peer is reported as skipped.
import amqp from 'amqplib';
import {
  AckWindow,
  HOST,
  emptyResult,
  isInterrupted,
  locateServer,
  makePayload,
  measureThroughput,
  nowMs,
  peerPlan,
  registerCleanup,
  runLatencies,
  runLatencyAt,
  uniqueSuffix,
} from './common.mjs';

const CONFIRM_WINDOW = 2000; // unconfirmed publishes
const PREFETCH = 2000;
const ACK_EVERY = 500; // basic.ack multiple=true every N deliveries

const STREAM_ARGS = { 'x-queue-type': 'stream' };

const rabbitConnect = (port, name) => amqp.connect({ protocol: 'amqp', hostname: HOST, port, clientProperties: { connection_name: name } }, { timeout: 5000 });

/** A confirmed publish of `content`; resolves on ack, rejects on nack. Waits for 'drain' when the socket buffer is full. */
function confirmedSend(ch, queue, content) {
  let writable = true;
  const acked = new Promise((resolve, reject) => {
    writable = ch.sendToQueue(queue, content, {}, (err) => (err ? reject(new Error(`nack from the broker${err.message ? `: ${err.message}` : ''}`)) : resolve()));
  });
  return { acked, writable };
}

/** Used by ./latency-producer.mjs on its own thread. */
export async function createLatencyPublisher({ port, queue }) {
  const conn = await rabbitConnect(port, 'strata-bench-latency-producer');
  conn.on('error', () => {});
  const ch = await conn.createConfirmChannel();
  ch.on('error', () => {});
  return {
    publish: (payloads) => Promise.all(payloads.map((b) => confirmedSend(ch, queue, b).acked)),
    close: () => conn.close(),
  };
}

async function publishAll(ch, queue, n, timeoutMs) {
  const t0 = performance.now();
  const deadline = t0 + timeoutMs;
  const win = new AckWindow(CONFIRM_WINDOW);
  let acked = 0;
  let error = null;
  let i = 0;
  let drained = null;
  ch.on('drain', () => {
    const d = drained;
    drained = null;
    d?.();
  });
  for (; i < n && !error && performance.now() < deadline && !isInterrupted(); i++) {
    const wait = win.acquire();
    if (wait) await wait;
    if (error) {
      win.release();
      break;
    }
    const { acked: p, writable } = confirmedSend(ch, queue, makePayload(i, nowMs()));
    p.then(
      () => {
        acked++;
        win.release();
      },
      (err) => {
        error ??= err;
        win.release();
        win.wake();
      },
    );
    if (!writable) await new Promise((resolve) => (drained = resolve));
  }
  const left = await win.drain(deadline + 10000);
  return { sent: i, acked, seconds: (performance.now() - t0) / 1000, error, timedOut: !error && (i < n || left > 0) };
}

/** basic.consume from the first offset with manual acks; `onMessage(content)` per delivery. */
async function startConsumer(conn, queue, onMessage) {
  const ch = await conn.createChannel();
  let channelError = null;
  ch.on('error', (err) => {
    channelError = err;
  });
  await ch.prefetch(PREFETCH);
  let unacked = 0;
  const { consumerTag } = await ch.consume(
    queue,
    (msg) => {
      if (msg === null) {
        channelError ??= new Error('consumer cancelled by the broker');
        return;
      }
      onMessage(msg.content);
      if (++unacked >= ACK_EVERY) {
        ch.ack(msg, true);
        unacked = 0;
      }
    },
    { noAck: false, arguments: { 'x-stream-offset': 'first' } },
  );
  return {
    error: () => channelError,
    stop: async () => {
      if (channelError) return;
      await ch.cancel(consumerTag);
      await ch.close();
    },
  };
}

async function consumeAll(conn, queue, verifier, n, timeoutMs) {
  const t0 = performance.now();
  let resolveDone;
  const done = new Promise((resolve) => {
    resolveDone = resolve;
  });
  const consumer = await startConsumer(conn, queue, (content) => {
    verifier.see(content);
    if (verifier.received >= n) resolveDone(false);
  });
  const timer = setTimeout(() => resolveDone(true), timeoutMs);
  const poll = setInterval(() => consumer.error() && resolveDone(false), 50);
  const timedOut = await done;
  const seconds = (performance.now() - t0) / 1000;
  clearTimeout(timer);
  clearInterval(poll);
  // Linger (not timed) so that deliveries beyond the n-th show up as duplicates.
  if (!timedOut) await new Promise((resolve) => setTimeout(resolve, 200));
  const error = consumer.error();
  await consumer.stop();
  return { seconds, timedOut, error };
}

/** RabbitMQ stream queues: publish / consume throughput and latency at fixed rates. */
export async function runRabbitmq(opts = {}) {
  const plan = peerPlan(opts);
  const result = emptyResult('RabbitMQ streams', 'amqplib');
  result.method = { queueType: 'stream', confirmWindow: CONFIRM_WINDOW, prefetch: PREFETCH, ackEvery: ACK_EVERY, records: plan.records, recordBytes: 100 };
  const where = await locateServer({ label: 'RabbitMQ', port: opts.port ?? 5672, start: null });
  if (!where.port) {
    result.skipped = `${where.reason} (the bench does not start a private RabbitMQ node)`;
    return result;
  }
  const { port } = where;
  result.server = { host: HOST, port, version: null, startedByBench: false, pid: where.pid ?? null };
  const queues = [];
  let conn = null;
  let admin = null;
  const newQueue = async (tag) => {
    const queue = `strata-bench-${tag}-${uniqueSuffix()}`;
    await admin.assertQueue(queue, { durable: true, arguments: STREAM_ARGS });
    queues.push(queue);
    return queue;
  };
  // A channel of its own per delete: a channel error elsewhere must not prevent the cleanup.
  const deleteQueue = async (queue) => {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    await ch.deleteQueue(queue);
    await ch.close();
    queues.splice(queues.indexOf(queue), 1);
  };
  const unregister = registerCleanup(() => Promise.all([...queues].map((q) => deleteQueue(q))));
  try {
    conn = await rabbitConnect(port, 'strata-bench-peers');
    conn.on('error', () => {});
    result.server.version = conn.connection?.serverProperties?.version ?? null;
    admin = await conn.createChannel();
    admin.on('error', (err) => result.failures.push(`channel: ${err.message}`));

    // Throughput: publish N, then consume N from the first offset.
    const queue = await newQueue('throughput');
    const pubCh = await conn.createConfirmChannel();
    pubCh.on('error', () => {});
    await measureThroughput(result, plan, where.pid, {
      publish: (n, timeoutMs) => publishAll(pubCh, queue, n, timeoutMs),
      afterPublish: () => pubCh.close().catch(() => {}),
      consume: (verifier, n, timeoutMs) => consumeAll(conn, queue, verifier, n, timeoutMs),
      ackWord: 'confirmed',
    });
    await deleteQueue(queue);

    await runLatencies(result, {
      ...plan,
      prepare: async (rate) => {
        const lq = await newQueue(`latency-${rate}`);
        try {
          return await runLatencyAt({
            rate,
            seconds: plan.seconds,
            warmup: plan.warmup,
            serverPid: where.pid,
            publisher: { moduleUrl: import.meta.url, options: { port, queue: lq } },
            startConsumer: (onRecord) => startConsumer(conn, lq, (content) => onRecord(content)),
          });
        } finally {
          await deleteQueue(lq);
        }
      },
    });
  } catch (err) {
    result.failures.push(err.message);
  } finally {
    for (const q of [...queues]) {
      try {
        await deleteQueue(q);
      } catch (err) {
        result.failures.push(`cleanup: could not delete queue ${q}: ${err.message}`);
      }
    }
    unregister();
    if (conn) await conn.close().catch(() => {});
  }
  result.ok = result.failures.length === 0;
  return result;
}
