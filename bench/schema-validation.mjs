// Thread: main (bench). The cost of broker-side schema validation (issue 17): the same produce
// load (batches of 100 records with 100-byte values, each value framed as a schema-registry
// serializer frames it: magic byte 0 + 4-byte schema id) to a topic without validation and to
// one with confluent.value.schema.validation=true, uncompressed and lz4. One fresh embedded
// broker (127.0.0.1, fresh log directory, stopped by PID); each case runs --seconds with one
// connection and --inflight requests outstanding, acks=1. Prints records/s and broker CPU µs
// per record (/proc utime+stime over the window) and writes bench/results/schema-validation-*.json.
// Verified: every response errorCode 0; ListOffsets(latest) = records acknowledged.
//
// Usage: node bench/schema-validation.mjs [--seconds=5] [--inflight=16] [--records=100]
import { MiB, fmt, isMain, parseArgs } from './lib/cli.mjs';
import { startBroker } from './lib/broker.mjs';
import { drive } from './lib/drive.mjs';
import { ApiKey, KafkaClient, createTopic, listOffsets, produceBody } from './lib/kafka-client.mjs';
import { machineInfo, processCpuSeconds, round, writeResult } from './lib/results.mjs';
import { encodeRecordBatch } from '../dist/src/protocol/records.js';

const DEFAULTS = { seconds: 5, inflight: 16, records: 100 };

export async function runSchemaValidation(opts) {
  let httpPort;
  const broker = await startBroker({
    config: { 'redis.url': '' },
    onStdoutLine: (line) => {
      if (httpPort === undefined && line.includes('"broker ready"')) httpPort = JSON.parse(line).httpPort;
    },
  });
  const results = [];
  let admin;
  try {
    admin = await KafkaClient.connect({ port: broker.port, clientId: 'strata-bench-sr' });
    await admin.apiVersions();
    const schema = JSON.stringify({ type: 'record', name: 'Bench', fields: [{ name: 'b', type: { type: 'fixed', name: 'F', size: 94 } }] });
    const stamp = Date.now();
    const topics = { plain: `bench-sr-plain-${stamp}`, validated: `bench-sr-validated-${stamp}` };
    await createTopic(admin, topics.plain, 1);
    await createTopic(admin, topics.validated, 1, { configs: { 'confluent.value.schema.validation': 'true' } });
    const res = await fetch(`http://127.0.0.1:${httpPort}/subjects/${topics.validated}-value/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema }) });
    const { id } = await res.json();
    const value = Buffer.alloc(100, 7);
    value[0] = 0;
    value.writeUInt32BE(id, 1);
    const version = admin.pickVersion(ApiKey.Produce, 9);
    for (const compression of ['none', 'lz4']) {
      const batch = encodeRecordBatch({ compression, records: Array.from({ length: opts.records }, () => ({ key: null, value })) });
      for (const kind of ['plain', 'validated']) {
        const topic = topics[kind];
        const before = Number((await listOffsets(admin, topic, 1))[0]);
        const tpl = admin.encode(ApiKey.Produce, version, produceBody({ topic, acks: 1, batches: [{ partition: 0, records: batch }] }));
        const conn = await KafkaClient.connect({ port: broker.port, clientId: 'strata-bench-sr' });
        await conn.apiVersions();
        let acked = 0;
        const errors = {};
        const cpu0 = processCpuSeconds(broker.pid);
        const t0 = performance.now();
        const d = await drive({
          clients: [conn],
          inflight: opts.inflight,
          untilMs: t0 + opts.seconds * 1000,
          next: () => ({ tpl }),
          onResponse(_job, { response }) {
            const pr = response.responses[0].partitionResponses[0];
            if (pr.errorCode !== 0) errors[pr.errorCode] = (errors[pr.errorCode] ?? 0) + 1;
            else acked++;
          },
        });
        const seconds = (performance.now() - t0) / 1000;
        const cpu = processCpuSeconds(broker.pid) - cpu0;
        conn.socket.destroy();
        const after = Number((await listOffsets(admin, topic, 1))[0]);
        const records = acked * opts.records;
        const problems = [...d.errors.slice(0, 3).map(String), ...(Object.keys(errors).length ? [`errors by code ${JSON.stringify(errors)}`] : []), ...(after - before !== records ? [`end offset moved ${after - before}, acknowledged ${records}`] : [])];
        results.push({ compression, topic: kind, records, seconds: round(seconds, 2), recordsPerSec: Math.round(records / seconds), mibPerSec: round((acked * batch.length) / MiB / seconds, 1), brokerCpuMicrosPerRecord: round((cpu * 1e6) / records, 2), problems });
      }
    }
  } finally {
    admin?.socket.destroy();
    await broker.stop();
  }
  return results;
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const results = await runSchemaValidation({ seconds: Number(opts.seconds), inflight: Number(opts.inflight), records: Number(opts.records) });
  console.log(`schema validation: ${opts.records}-record batches of 100-byte framed values, 1 connection × ${opts.inflight} in flight, acks=1, ${opts.seconds} s per case`);
  console.log('compression  topic       records/s   MiB/s  broker CPU µs/record  problems');
  for (const r of results) console.log(`${r.compression.padEnd(12)} ${r.topic.padEnd(10)} ${fmt(r.recordsPerSec).padStart(10)} ${String(r.mibPerSec).padStart(7)} ${String(r.brokerCpuMicrosPerRecord).padStart(20)}  ${r.problems.join('; ') || '-'}`);
  console.log(`results: ${writeResult('schema-validation', { opts, results, machine: machineInfo() })}`);
}
