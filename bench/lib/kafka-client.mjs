// Thread: main (bench). Minimal raw Kafka client over node:net built on the project's generated
// codecs: pipelined requests matched by correlation id, request header v1/v2 and response header
// v0/v1 chosen by the API version's flexibility, and pre-encoded request templates whose big
// record-batch chunks are shared between sends (only the small head chunk is copied to patch
// the correlation id). Used only by the benchmarks.
import net from 'node:net';
import { FrameDecoder } from '../../dist/src/protocol/framing.js';
import { Reader } from '../../dist/src/protocol/reader.js';
import { Writer } from '../../dist/src/protocol/writer.js';
import { encodeRequestHeader, requestHeaderVersion, responseHeaderVersion, decodeResponseHeader } from '../../dist/src/protocol/generated/headers.js';
import { apiRegistry } from '../../dist/src/protocol/generated/messages/index.js';

export const ApiKey = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, ApiVersions: 18, CreateTopics: 19, DeleteTopics: 20 };

const CORRELATION_ID_POS = 8; // after int32 size, int16 apiKey, int16 apiVersion

export class KafkaError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export class KafkaClient {
  /** Connect to host:port (loopback only in the benches). */
  static connect({ host = '127.0.0.1', port, clientId = 'strata-bench', maxFrameBytes = 1024 * 1024 * 1024 }) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new KafkaClient(socket, clientId, maxFrameBytes));
      });
    });
  }

  constructor(socket, clientId, maxFrameBytes) {
    this.socket = socket;
    this.clientId = clientId;
    this.nextCorrelationId = 1;
    this.pending = new Map();
    this.versions = new Map();
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.closed = false;
    // coalesceWrites(): sends made in one event-loop turn leave in one write (see sendEncoded).
    this.coalesce = false;
    this.corked = false;
    this.decoder = new FrameDecoder({ maxFrameBytes });
    socket.on('data', (chunk) => {
      this.bytesIn += chunk.length;
      let frames;
      try {
        frames = this.decoder.push(chunk);
      } catch (err) {
        this.fail(err);
        return;
      }
      for (const frame of frames) this.onFrame(frame);
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by broker')));
  }

  fail(err) {
    this.closed = true;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
    this.socket.destroy();
  }

  onFrame(frame) {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) {
      this.fail(new Error(`response with unknown correlation id ${correlationId}`));
      return;
    }
    this.pending.delete(correlationId);
    const latencyNs = process.hrtime.bigint() - p.t0;
    try {
      const r = new Reader(frame);
      decodeResponseHeader(r, responseHeaderVersion(p.apiKey, p.version));
      const response = p.raw ? frame.subarray(r.offset) : apiRegistry.get(p.apiKey).decodeResponse(r, p.version);
      p.resolve({ response, latencyUs: Number(latencyNs) / 1000, frameBytes: frame.length + 4 });
    } catch (err) {
      p.reject(err);
    }
  }

  /**
   * From now on, requests sent in the same turn (e.g. the refills made while handling one
   * chunk of responses) are written with one writev instead of one write each: the socket is
   * corked at the first send and uncorked on process.nextTick, which runs after the promise
   * callbacks of that turn. For small-request load generators, whose own syscalls would
   * otherwise dominate the machine.
   */
  coalesceWrites() {
    this.coalesce = true;
    return this;
  }

  /** Encode a request (frame size + header + body) into chunks, with correlation id 0. */
  encode(apiKey, version, body) {
    const codec = apiRegistry.get(apiKey);
    if (!codec) throw new Error(`no codec for api key ${apiKey}`);
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(w, requestHeaderVersion(apiKey, version), { requestApiKey: apiKey, requestApiVersion: version, correlationId: 0, clientId: this.clientId });
    codec.encodeRequest(w, version, body);
    w.patchInt32(0, w.length - 4);
    const chunks = w.chunks();
    if (chunks[0].length < CORRELATION_ID_POS + 4) throw new Error('request head chunk too short');
    return { apiKey, version, chunks, bytes: w.length };
  }

  /**
   * Send a pre-encoded request (from encode()). The head chunk is copied (it is small) so the
   * correlation id can be patched while earlier sends of the same template are still queued;
   * large chunks (record batches) are written as they are, never copied.
   * Resolves { response, latencyUs, frameBytes }; with raw: true, response is the body bytes.
   */
  sendEncoded(tpl, { raw = false } = {}) {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    const correlationId = this.nextCorrelationId++;
    if (this.nextCorrelationId > 0x7fffffff) this.nextCorrelationId = 1;
    const head = Buffer.from(tpl.chunks[0]);
    head.writeInt32BE(correlationId, CORRELATION_ID_POS);
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, { apiKey: tpl.apiKey, version: tpl.version, raw, resolve, reject, t0: process.hrtime.bigint() });
      const s = this.socket;
      if (this.coalesce) {
        if (!this.corked) {
          this.corked = true;
          s.cork();
          process.nextTick(() => {
            this.corked = false;
            s.uncork();
          });
        }
        s.write(head);
        for (let i = 1; i < tpl.chunks.length; i++) s.write(tpl.chunks[i]);
      } else {
        s.cork();
        s.write(head);
        for (let i = 1; i < tpl.chunks.length; i++) s.write(tpl.chunks[i]);
        s.uncork();
      }
      this.bytesOut += tpl.bytes + 4;
    });
  }

  /** Encode and send one request; resolves with the decoded response body. */
  async request(apiKey, version, body, opts) {
    const { response } = await this.sendEncoded(this.encode(apiKey, version, body), opts);
    return response;
  }

  /** ApiVersions (v3, falling back to v0); fills this.versions. */
  async apiVersions() {
    let res = await this.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'strata-bench', clientSoftwareVersion: '0.1.0' });
    if (res.errorCode === 35) res = await this.request(ApiKey.ApiVersions, 0, { clientSoftwareName: '', clientSoftwareVersion: '' });
    if (res.errorCode !== 0) throw new KafkaError(`ApiVersions failed: error ${res.errorCode}`, res.errorCode);
    for (const k of res.apiKeys) this.versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
    return this.versions;
  }

  /**
   * Version to use for apiKey: `preferred` when the broker supports it, else the highest
   * version both the broker and the codec support.
   */
  pickVersion(apiKey, preferred) {
    const b = this.versions.get(apiKey);
    const codec = apiRegistry.get(apiKey);
    if (!b) throw new Error(`broker does not advertise api key ${apiKey}`);
    if (preferred !== undefined && preferred >= b.min && preferred <= b.max && preferred <= codec.maxVersion) return preferred;
    const v = Math.min(b.max, codec.maxVersion);
    if (v < b.min) throw new Error(`no common version for api key ${apiKey}`);
    return v;
  }

  close() {
    this.closed = true;
    this.socket.end();
    this.socket.destroy();
  }
}

// ---- helpers for the requests the benches need -------------------------------------------

/** CreateTopics one topic; throws on an error other than TOPIC_ALREADY_EXISTS (36) when allowed. */
export async function createTopic(client, name, numPartitions, { configs = {}, allowExisting = false } = {}) {
  const version = client.pickVersion(ApiKey.CreateTopics, 5);
  const res = await client.request(ApiKey.CreateTopics, version, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: String(v) })) }],
    timeoutMs: 30000,
    validateOnly: false,
  });
  const t = res.topics[0];
  if (t.errorCode !== 0 && !(allowExisting && t.errorCode === 36)) throw new KafkaError(`CreateTopics ${name}: error ${t.errorCode} ${t.errorMessage ?? ''}`, t.errorCode);
  return t;
}

/** Metadata for topics; returns the decoded response. */
export async function metadata(client, topics) {
  const version = client.pickVersion(ApiKey.Metadata, 12);
  return client.request(ApiKey.Metadata, version, {
    topics: topics === null ? null : topics.map((name) => ({ topicId: Buffer.alloc(16), name })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
}

/** Topic id (16 bytes) of a topic, from Metadata. */
export async function topicId(client, topic) {
  const md = await metadata(client, [topic]);
  const t = md.topics.find((x) => x.name === topic);
  if (!t || t.errorCode !== 0) throw new KafkaError(`Metadata ${topic}: error ${t?.errorCode}`, t?.errorCode);
  return t.topicId;
}

/**
 * ListOffsets for every partition of topic at `timestamp` (-1 latest = high watermark, -2 earliest).
 * Returns an array of numbers indexed by partition; throws on a partition error.
 */
export async function listOffsets(client, topic, numPartitions, timestamp = -1n) {
  const version = client.pickVersion(ApiKey.ListOffsets, 7);
  const res = await client.request(ApiKey.ListOffsets, version, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: Array.from({ length: numPartitions }, (_, i) => ({ partitionIndex: i, currentLeaderEpoch: -1, timestamp: BigInt(timestamp), maxNumOffsets: 1 })) }],
    timeoutMs: 30000,
  });
  const out = new Array(numPartitions).fill(null);
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new KafkaError(`ListOffsets ${topic}-${p.partitionIndex}: error ${p.errorCode}`, p.errorCode);
      out[p.partitionIndex] = version === 0 ? Number(p.oldStyleOffsets[0] ?? -1n) : Number(p.offset);
    }
  }
  return out;
}

/** A Fetch request body; `partitions` = [{ partition, fetchOffset }]. */
export function fetchBody({ topic, topicId: id, partitions, maxWaitMs, minBytes, maxBytes, partitionMaxBytes }) {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs,
    minBytes,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: id ?? Buffer.alloc(16),
        partitions: partitions.map((p) => ({
          partition: p.partition,
          currentLeaderEpoch: -1,
          fetchOffset: BigInt(p.fetchOffset),
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes,
          replicaDirectoryId: Buffer.alloc(16),
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** A Produce request body with one record batch per listed partition. */
export function produceBody({ topic, acks, timeoutMs = 30000, batches }) {
  return {
    transactionalId: null,
    acks,
    timeoutMs,
    topicData: [{ name: topic, partitionData: batches.map((b) => ({ index: b.partition, records: b.records })) }],
  };
}
