// Thread: worker (bench). The latency bench's producer, on its own thread so that its precise
// schedule neither delays nor is delayed by the consumer on the main thread. The schedule itself
// (tick k due at T0 + k·tickMs) is lib/schedule.mjs, shared with the peers' producer.
import { parentPort, workerData } from 'node:worker_threads';
import { encodeRecordBatch } from '../../dist/src/protocol/records.js';
import { Histogram, histogramToData } from './histogram.mjs';
import { ApiKey, KafkaClient, produceBody } from './kafka-client.mjs';

import { VALUE_HEADER } from './latency-producer-layout.mjs';
import { nowMs, runSchedule } from './schedule.mjs';

const d = workerData;
const client = await KafkaClient.connect({ port: d.port, clientId: 'strata-bench-latency-producer' });
const padding = Buffer.alloc(d.recordBytes - VALUE_HEADER, 0x61);
const sendLag = new Histogram();
const ackLatency = new Histogram();
const failures = [];
let sent = 0;
let acked = 0;
let inflight = 0;
let maxInflight = 0;
let lastSend = 0;

function sendTick(T0, tick) {
  const scheduled = T0 + tick * d.tickMs;
  const actual = nowMs();
  lastSend = actual;
  const header = Buffer.allocUnsafe(VALUE_HEADER);
  header.writeDoubleBE(scheduled, 0);
  header.writeDoubleBE(actual, 8);
  header.writeUInt32BE(tick, 16);
  const value = Buffer.concat([header, padding]);
  const batch = encodeRecordBatch({ baseTimestamp: Date.now(), records: Array.from({ length: d.perTick }, () => ({ key: null, value })) });
  const tpl = client.encode(ApiKey.Produce, d.produceVersion, produceBody({ topic: d.topic, acks: 1, batches: [{ partition: tick % d.partitions, records: batch }] }));
  if (tick >= d.warmupTicks) sendLag.record((actual - scheduled) * 1000, d.perTick);
  sent += d.perTick;
  inflight++;
  if (inflight > maxInflight) maxInflight = inflight;
  client.sendEncoded(tpl).then(
    ({ response }) => {
      inflight--;
      const pr = response.responses[0].partitionResponses[0];
      if (pr.errorCode !== 0) {
        if (failures.length < 5) failures.push(`produce: error ${pr.errorCode} ${pr.errorMessage ?? ''}`);
        return;
      }
      acked += d.perTick;
      if (tick >= d.warmupTicks) ackLatency.record((nowMs() - scheduled) * 1000, d.perTick);
    },
    (err) => {
      inflight--;
      if (failures.length < 5) failures.push(`produce: ${err.message}`);
    },
  );
}

async function finish() {
  const deadline = nowMs() + d.drainSeconds * 1000;
  while (inflight > 0 && nowMs() < deadline) await new Promise((r) => setTimeout(r, 5));
  if (inflight > 0) failures.push(`${inflight} produce request(s) unanswered ${d.drainSeconds} s after the last send`);
  parentPort.postMessage({ type: 'done', lastSend, sent, acked, failures, maxInflight, sendLag: histogramToData(sendLag), ackLatency: histogramToData(ackLatency) });
  client.close();
}

function run(T0) {
  runSchedule({
    T0,
    tickMs: d.tickMs,
    totalTicks: d.totalTicks,
    send: (tick) => sendTick(T0, tick),
    shouldStop: () => {
      if (failures.length > 0) return true;
      if (inflight < d.maxInflight) return false;
      failures.push(`more than ${d.maxInflight} produce requests in flight: the broker cannot keep up`);
      return true;
    },
    done: finish,
  });
}

await client.apiVersions();
parentPort.on('message', (m) => {
  if (m.type === 'start') run(m.T0);
});
parentPort.postMessage({ type: 'ready', now: nowMs() });
