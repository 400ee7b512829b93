// Thread: worker (bench). The peer latency benches' producer, on its own thread like
// bench/lib/latency-producer.mjs so that its schedule neither delays nor is delayed by the
// consumer on the main thread. It imports the peer module named in workerData.moduleUrl and
// publishes through its createLatencyPublisher(options) → { publish(payloads) → Promise that
// resolves when all are acknowledged, close() }. Tick k is due at T0 + k·tickMs (process.hrtime,
// shared by all threads; the schedule is lib/schedule.mjs, the same as Strata's producer) and
// publishes perTick payloads carrying that *scheduled* time. The run stops early, with the reason reported (not sustained),
// when more than maxInflight records are unacknowledged or the thread falls more than maxLagMs
// behind its schedule, so a peer that cannot keep up costs bounded time and memory.
import { parentPort, workerData } from 'node:worker_threads';
import { Histogram, histogramToData } from '../lib/histogram.mjs';
import { makePayload } from './common.mjs';
import { nowMs, runSchedule } from '../lib/schedule.mjs';

const d = workerData;
const sendLag = new Histogram();
const ackLatency = new Histogram();
const failures = [];
let sent = 0;
let acked = 0;
let inflight = 0;
let maxInflight = 0;
let lastSend = 0;
let stoppedEarly = null;
let publisher;

function sendTick(T0, tick) {
  const scheduled = T0 + tick * d.tickMs;
  const actual = nowMs();
  lastSend = actual;
  const payloads = new Array(d.perTick);
  for (let i = 0; i < d.perTick; i++) payloads[i] = makePayload(tick * d.perTick + i, scheduled, actual);
  if (tick >= d.warmupTicks) sendLag.record((actual - scheduled) * 1000, d.perTick);
  sent += d.perTick;
  inflight += d.perTick;
  if (inflight > maxInflight) maxInflight = inflight;
  let p;
  try {
    p = publisher.publish(payloads);
  } catch (err) {
    p = Promise.reject(err);
  }
  p.then(
    () => {
      inflight -= d.perTick;
      acked += d.perTick;
      if (tick >= d.warmupTicks) ackLatency.record((nowMs() - scheduled) * 1000, d.perTick);
    },
    (err) => {
      inflight -= d.perTick;
      if (failures.length < 5) failures.push(`publish: ${err?.message ?? err}`);
    },
  );
}

async function finish() {
  const deadline = nowMs() + d.drainSeconds * 1000;
  while (inflight > 0 && nowMs() < deadline) await new Promise((r) => setTimeout(r, 5));
  if (inflight > 0) failures.push(`${inflight} published records unacknowledged ${d.drainSeconds} s after the last send`);
  try {
    await publisher.close();
  } catch {
    // closing is best effort; the main thread terminates this thread anyway
  }
  parentPort.postMessage({ type: 'done', lastSend, sent, acked, failures, stoppedEarly, maxInflight, sendLag: histogramToData(sendLag), ackLatency: histogramToData(ackLatency) });
}

function run(T0) {
  runSchedule({
    T0,
    tickMs: d.tickMs,
    totalTicks: d.totalTicks,
    send: (tick) => sendTick(T0, tick),
    shouldStop: (tick) => {
      if (failures.length > 0) return true;
      const lag = nowMs() - (T0 + tick * d.tickMs);
      if (inflight < d.maxInflight && lag <= d.maxLagMs) return false;
      stoppedEarly = inflight >= d.maxInflight
        ? `more than ${d.maxInflight} records unacknowledged after ${sent} sent`
        : `the producer fell ${Math.round(lag)} ms behind its schedule after ${sent} sent`;
      return true;
    },
    done: finish,
  });
}

try {
  const mod = await import(d.moduleUrl);
  publisher = await mod.createLatencyPublisher(d.options);
  parentPort.on('message', (m) => {
    if (m.type === 'start') run(m.T0);
  });
  parentPort.postMessage({ type: 'ready' });
} catch (err) {
  parentPort.postMessage({ type: 'error', error: err.message });
}
