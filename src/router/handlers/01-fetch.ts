// Thread: main. Fetch (key 1), versions 4–17.
// Returns whole record batches, starting with the one that contains the fetch offset, up to
// the partition's max.bytes and the response's max.bytes (the first non-empty partition
// always gets at least one whole batch, as Kafka guarantees progress). Long poll: when less
// than min.bytes is available the request parks until an append moves a requested
// partition's high watermark or max.wait.ms passes (handlers/fetch-reads.ts).
// Fetch sessions (KIP-227, v7+; the cache is src/router/fetch-sessions.ts), as Kafka:
//   sessionId 0, epoch -1   full fetch, no session (also every v4–6 request);
//   any id, epoch 0         full fetch that opens a session (closing the given one); the
//                           response carries its id, or 0 when the cache is full;
//   id S, epoch -1          closes S, full fetch without a session;
//   id S, epoch N > 0       incremental: the request's partitions are added or updated in S,
//                           forgottenTopicsData removed; every partition of S is read (and long
//                           polled), and only partitions with records, a changed high watermark,
//                           last stable offset or log start, or an error are answered. S's epoch
//                           advances when a response is produced (not for a closed connection).
//   Unknown S: top-level FETCH_SESSION_ID_NOT_FOUND; wrong N: INVALID_FETCH_SESSION_EPOCH; a
//   session opened with topic ids (v13+) used by an older version or the reverse:
//   FETCH_SESSION_TOPIC_ID_ERROR. A session partition whose topic was deleted is answered once
//   with UNKNOWN_TOPIC_ID (v13+) or UNKNOWN_TOPIC_OR_PARTITION and dropped from the session.
// v13+ names topics by id (requests and forgotten topics). v0–3 are not served: they would
// need down-conversion to message format v0/v1.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): READ on each topic (session partitions too, every fetch), else TOPIC_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeFetchRequest,
  encodeFetchResponse,
  fetchApi,
  type FetchRequest,
  type FetchRequestFetchPartition,
  type FetchResponse,
} from '../../protocol/generated/messages/01-fetch.js';
import { partitionId, type PartitionId } from '../../ipc/partition-id.js';
import type { ReadOutcome, ReadRequestItem } from '../../partitions/partition-engine.js';
import { logPartitionFailure } from '../failure-log.js';
import { FINAL_EPOCH, INITIAL_EPOCH, INVALID_SESSION_ID, nextEpoch, type FetchSession } from '../fetch-sessions.js';
import { readForFetch } from './fetch-reads.js';
import { topicIdFromWire } from './topic-ids.js';
import { AclOperation, topicChecker } from './authz.js';
import { leadershipError } from './leadership.js';
import { defineHandler, type RequestContext } from './types.js';
import { countPartitionError, countRecords, topicCounters } from '../../http/metrics.js';

type TopicData = FetchResponse['responses'][number];
type PartitionData = TopicData['partitions'][number];

const EMPTY_RECORDS = Buffer.alloc(0);
const NO_ENDPOINTS: FetchResponse['nodeEndpoints'] = [];

function partitionData(partitionIndex: number, errorCode: number): PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    // Kafka sends an empty record set, never null: librdkafka rejects a null one.
    records: EMPTY_RECORDS,
  };
}

/** Fills a partition's answer from its read outcome (failures logged with their cause). */
function fill(ctx: RequestContext, topic: string, p: PartitionData, r: ReadOutcome): PartitionData {
  p.errorCode = r.errorCode;
  p.highWatermark = BigInt(r.highWatermark);
  p.lastStableOffset = BigInt(r.lastStableOffset);
  p.logStartOffset = BigInt(r.logStartOffset);
  p.records = r.records !== null && r.records.length > 0 ? r.records : EMPTY_RECORDS;
  if (r.errorCode !== ErrorCode.NONE) logPartitionFailure(ctx, topic, p.partitionIndex, r.errorCode, r.cause);
  return p;
}

function unknownTopicCode(apiVersion: number): number {
  return apiVersion >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
}

/** Counts the response's traffic (bytes and records out per topic, partition errors) and builds it. */
function respond(errorCode: number, sessionId: number, responses: TopicData[]): FetchResponse {
  for (const t of responses) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) countPartitionError(1, p.errorCode);
      else if (p.records && p.records.length > 0) {
        const c = topicCounters(t.topic);
        c.bytesOut += p.records.length;
        c.recordsOut += countRecords(p.records);
      }
    }
  }
  return { throttleTimeMs: 0, errorCode, sessionId, responses, nodeEndpoints: NO_ENDPOINTS };
}

/** Full fetch: every requested partition is answered; with `openSession` a session remembers them. */
async function fullFetch(ctx: RequestContext, req: FetchRequest, openSession: boolean): Promise<FetchResponse> {
  const { broker, apiVersion } = ctx;
  const responses: TopicData[] = [];
  const reads: ReadRequestItem[] = [];
  const keys: PartitionId[] = [];
  /** Index-aligned with reads: the answer to fill, topic name, topic id and request of each read. */
  const targets: PartitionData[] = [];
  const names: string[] = [];
  const topicIds: string[] = [];
  const asked: FetchRequestFetchPartition[] = [];
  const responseMaxBytes = Math.max(0, req.maxBytes);
  let notLeader: number = ErrorCode.NONE;
  const canRead = topicChecker(ctx, AclOperation.READ);
  for (const t of req.topics) {
    const name = apiVersion >= 13 ? broker.topics.nameById(topicIdFromWire(t.topicId)) : t.topic;
    const topic = name === undefined ? undefined : broker.topics.get(name);
    const partitions: PartitionData[] = [];
    responses.push({ topic: name ?? '', topicId: t.topicId, partitions });
    for (const p of t.partitions) {
      // ACLs (as Kafka): an unknown id first, then READ on the name, then existence.
      if (name !== undefined && !canRead(name)) partitions.push(partitionData(p.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
      else if (!topic) partitions.push(partitionData(p.partition, unknownTopicCode(apiVersion)));
      else if (p.partition < 0 || p.partition >= topic.partitions) partitions.push(partitionData(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      else if (broker.leadership !== undefined && (notLeader = leadershipError(broker, topic.topicId, p.partition, p.currentLeaderEpoch)) !== ErrorCode.NONE) partitions.push(partitionData(p.partition, notLeader));
      else {
        const key = partitionId(topic.topicId, p.partition);
        const target = partitionData(p.partition, ErrorCode.NONE);
        partitions.push(target);
        targets.push(target);
        names.push(name!);
        topicIds.push(topic.topicId);
        asked.push(p);
        keys.push(key);
        reads.push({ key, fetchOffset: Number(p.fetchOffset), maxBytes: Math.max(0, Math.min(p.partitionMaxBytes, responseMaxBytes)), minOneBatch: true });
      }
    }
  }
  if (reads.length === 0 && !openSession) return respond(ErrorCode.NONE, INVALID_SESSION_ID, responses);
  const results = reads.length === 0 ? [] : await readForFetch(ctx, { reads, keys }, { minBytes: req.minBytes, maxWaitMs: req.maxWaitMs, responseMaxBytes, budgetStart: 0 });
  for (let i = 0; i < results.length; i++) fill(ctx, names[i]!, targets[i]!, results[i]!);
  let sessionId = INVALID_SESSION_ID;
  if (openSession && !ctx.conn.closed) {
    const session = broker.fetchSessions.create(apiVersion >= 13, reads.length, Date.now());
    if (session) {
      for (let i = 0; i < reads.length; i++) {
        const p = asked[i]!;
        const cp = session.upsert(names[i]!, topicIds[i]!, p.partition, keys[i]!, reads[i]!.fetchOffset, p.partitionMaxBytes);
        cp.mustRespond(results[i]!, true);
      }
      sessionId = session.id;
    }
  }
  return respond(ErrorCode.NONE, sessionId, responses);
}

/** The response's entry for `topic`: the last one when it is the same topic (consecutive partitions share it). */
function topicEntry(responses: TopicData[], topic: string, topicIdWire: Buffer): PartitionData[] {
  const last = responses[responses.length - 1];
  if (last && last.topic === topic && last.topicId.equals(topicIdWire)) return last.partitions;
  const partitions: PartitionData[] = [];
  responses.push({ topic, topicId: topicIdWire, partitions });
  return partitions;
}

/** Merges the request's added/updated and forgotten partitions into the session; answers the bad ones. */
function mergeIntoSession(ctx: RequestContext, req: FetchRequest, session: FetchSession, responses: TopicData[]): void {
  const { broker, apiVersion } = ctx;
  let notLeader: number = ErrorCode.NONE;
  const canRead = topicChecker(ctx, AclOperation.READ);
  for (const t of req.topics) {
    const name = apiVersion >= 13 ? broker.topics.nameById(topicIdFromWire(t.topicId)) : t.topic;
    const topic = name === undefined ? undefined : broker.topics.get(name);
    for (const p of t.partitions) {
      if (name !== undefined && !canRead(name)) {
        topicEntry(responses, name, t.topicId).push(partitionData(p.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        if (topic) session.forget(partitionId(topic.topicId, p.partition));
      } else if (!topic) topicEntry(responses, name ?? t.topic, t.topicId).push(partitionData(p.partition, unknownTopicCode(apiVersion)));
      else if (p.partition < 0 || p.partition >= topic.partitions) topicEntry(responses, name!, t.topicId).push(partitionData(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      else if (broker.leadership !== undefined && (notLeader = leadershipError(broker, topic.topicId, p.partition, p.currentLeaderEpoch)) !== ErrorCode.NONE) {
        // Not led here (any more): answered, and out of the session until the client sends it again.
        topicEntry(responses, name!, t.topicId).push(partitionData(p.partition, notLeader));
        session.forget(partitionId(topic.topicId, p.partition));
      } else session.upsert(name!, topic.topicId, p.partition, partitionId(topic.topicId, p.partition), Number(p.fetchOffset), p.partitionMaxBytes);
    }
  }
  for (const f of req.forgottenTopicsData) {
    if (apiVersion >= 13) {
      const id = topicIdFromWire(f.topicId);
      for (const p of f.partitions) session.forget(partitionId(id, p));
    } else {
      const topic = broker.topics.get(f.topic);
      for (const p of f.partitions) if (!(topic && session.forget(partitionId(topic.topicId, p)))) session.forgetByName(f.topic, p);
    }
  }
  // Partitions of deleted topics: answered once, then gone from the session.
  // Partitions whose READ was revoked since they joined the session: answered once, then gone.
  for (const cp of session.partitions()) {
    if (broker.topics.nameById(cp.topicId) !== cp.topic) {
      topicEntry(responses, cp.topic, cp.topicIdWire).push(partitionData(cp.partition, unknownTopicCode(apiVersion)));
      session.forget(cp.key);
    } else if (!canRead(cp.topic)) {
      topicEntry(responses, cp.topic, cp.topicIdWire).push(partitionData(cp.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
      session.forget(cp.key);
    }
  }
}

function sessionError(errorCode: number): FetchResponse {
  return { throttleTimeMs: 0, errorCode, sessionId: INVALID_SESSION_ID, responses: [], nodeEndpoints: NO_ENDPOINTS };
}

/** Incremental fetch in session `req.sessionId` at epoch `req.sessionEpoch` (> 0). */
async function incrementalFetch(ctx: RequestContext, req: FetchRequest): Promise<FetchResponse> {
  const { broker, apiVersion } = ctx;
  const cache = broker.fetchSessions;
  const session = cache.get(req.sessionId);
  if (!session) return sessionError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  const epoch = req.sessionEpoch;
  if (session.epoch !== epoch) return sessionError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  if (session.usesTopicIds !== apiVersion >= 13) return sessionError(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
  const responses: TopicData[] = [];
  mergeIntoSession(ctx, req, session, responses);
  if (session.size === 0) {
    // Nothing left to fetch: the session closes, as Kafka's (answered without one).
    cache.remove(session.id);
    return respond(ErrorCode.NONE, INVALID_SESSION_ID, responses);
  }
  cache.touch(session, Date.now());
  const responseMaxBytes = Math.max(0, req.maxBytes);
  const parts = session.partitions();
  const reads = session.reads();
  const n = parts.length;
  for (let i = 0; i < n; i++) reads[i]!.maxBytes = Math.max(0, Math.min(parts[i]!.partitionMaxBytes, responseMaxBytes));
  const start = session.cursor % n;
  const results = await readForFetch(ctx, { reads, keys: session.keys() }, { minBytes: req.minBytes, maxWaitMs: req.maxWaitMs, responseMaxBytes, budgetStart: start });
  // Closed or evicted meanwhile, or a duplicate request of this epoch answered first.
  if (cache.get(session.id) !== session) return sessionError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  if (session.epoch !== epoch) return sessionError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  // Nobody will read this answer: the session stays as it was, and the client may retry the epoch.
  if (ctx.conn.closed) return sessionError(ErrorCode.NONE);
  for (let i = 0; i < n; i++) {
    const r = results[i]!;
    const cp = parts[i]!;
    if (cp.mustRespond(r, true)) topicEntry(responses, cp.topic, cp.topicIdWire).push(fill(ctx, cp.topic, partitionData(cp.partition, ErrorCode.NONE), r));
  }
  // Next time the byte budget starts after the last partition (in budget order) that got records.
  for (let j = n - 1; j >= 0; j--) {
    const i = start + j < n ? start + j : start + j - n;
    const records = results[i]!.records;
    if (records !== null && records.length > 0) {
      session.cursor = i + 1 < n ? i + 1 : 0;
      break;
    }
  }
  session.epoch = nextEpoch(epoch);
  return respond(ErrorCode.NONE, session.id, responses);
}

export const fetchHandler = defineHandler<FetchRequest, FetchResponse>({
  apiKey: fetchApi.apiKey,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 17,
  decodeRequest: decodeFetchRequest,
  encodeResponse: encodeFetchResponse,
  handle(ctx, req) {
    // v4–6 carry no session fields: the decoder's defaults (0, -1) make them sessionless.
    if (req.sessionEpoch === FINAL_EPOCH || req.sessionEpoch === INITIAL_EPOCH) {
      if (req.sessionId !== INVALID_SESSION_ID) ctx.broker.fetchSessions.remove(req.sessionId);
      return fullFetch(ctx, req, req.sessionEpoch === INITIAL_EPOCH);
    }
    return incrementalFetch(ctx, req);
  },
});
