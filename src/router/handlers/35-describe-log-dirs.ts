// Thread: main. DescribeLogDirs (key 35), versions 0–4.
// One log dir: the first entry of log.dirs (the only one this broker writes), as an absolute
// path, with each hosted partition's size in bytes on local disk (all segments and nothing
// else; remote segments of tiered storage are not local), offsetLag 0 (the log is its own
// leader) and isFutureKey false. topics null = every partition; otherwise only the requested
// partitions this broker hosts, unknown ones left out (as Kafka does). A log dir whose
// partitions cannot be read answers KAFKA_STORAGE_ERROR for that dir.
// Version notes: v1 is v0; v2 is flexible; v3 adds the top-level errorCode; v4 adds
// totalBytes and usableBytes (statfs of the dir; -1 when unavailable).
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED and no log dirs.
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeDescribeLogDirsRequest,
  describeLogDirsApi,
  encodeDescribeLogDirsResponse,
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
} from '../../protocol/generated/messages/35-describe-log-dirs.js';
import { partitionId, type PartitionId } from '../../ipc/partition-id.js';
import { toKafkaErrorCode } from '../../errors.js';
import { logPartitionFailure, logRequestFailure } from '../failure-log.js';
import { AclOperation, authorizeCluster } from './authz.js';
import { defineHandler } from './types.js';

type LogDirResult = DescribeLogDirsResponse['results'][number];

async function diskSpace(dir: string): Promise<{ totalBytes: bigint; usableBytes: bigint }> {
  try {
    const s = await fs.promises.statfs(dir, { bigint: true });
    return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}

export const describeLogDirsHandler = defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  apiKey: describeLogDirsApi.apiKey,
  name: 'DescribeLogDirs',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeDescribeLogDirsRequest,
  encodeResponse: encodeDescribeLogDirsResponse,
  async handle(ctx, req) {
    const { broker } = ctx;
    // ACLs (as Kafka): DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED and no log dirs.
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const logDir = path.resolve(broker.config['log.dirs'].split(',')[0]!.trim());
    // The partitions asked about that exist here, by topic, in request order.
    const wanted: Array<{ name: string; partitions: Array<{ index: number; key: PartitionId }> }> = [];
    const requested = req.topics ?? broker.topics.names().map((name) => ({ topic: name, partitions: null as number[] | null }));
    const seen = new Set<string>();
    for (const t of requested) {
      const topic = broker.topics.get(t.topic);
      if (!topic) continue;
      const indexes = t.partitions ?? Array.from({ length: topic.partitions }, (_, p) => p);
      const partitions: Array<{ index: number; key: PartitionId }> = [];
      for (const p of indexes) {
        const key = partitionId(topic.topicId, p);
        if (p < 0 || p >= topic.partitions || seen.has(key)) continue;
        seen.add(key);
        partitions.push({ index: p, key });
      }
      if (partitions.length > 0) wanted.push({ name: t.topic, partitions });
    }
    const { totalBytes, usableBytes } = await diskSpace(logDir);
    const result: LogDirResult = { errorCode: ErrorCode.NONE, logDir, topics: [], totalBytes, usableBytes };
    const keys = wanted.flatMap((t) => t.partitions.map((p) => p.key));
    if (keys.length > 0) {
      try {
        const sizes = new Map((await broker.engine.logSize(keys)).map((r) => [r.key, r]));
        for (const t of wanted) {
          for (const p of t.partitions) {
            const r = sizes.get(p.key);
            if (r && r.errorCode !== ErrorCode.NONE) logPartitionFailure(ctx, t.name, p.index, r.errorCode, r.cause);
          }
          const partitions = t.partitions
            .filter((p) => sizes.get(p.key)?.errorCode === ErrorCode.NONE)
            .map((p) => ({ partitionIndex: p.index, partitionSize: BigInt(sizes.get(p.key)!.sizeBytes), offsetLag: 0n, isFutureKey: false }));
          if (partitions.length > 0) result.topics.push({ name: t.name, partitions });
        }
      } catch (err) {
        result.errorCode = toKafkaErrorCode(err);
        logRequestFailure(ctx, err, result.errorCode, { partitions: keys.length });
        result.topics = [];
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [result] };
  },
});
