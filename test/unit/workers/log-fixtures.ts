// Thread: test. Shared fixtures for the partition-log unit tests.
import type { PartitionId } from '../../../src/ipc/partition-id.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogConfig, PartitionSpec } from '../../../src/ipc/tasks.js';
import { encodeRecordBatch, type EncodeBatchInput } from '../../../src/protocol/records.js';
import { PartitionLog, type PartitionLogOptions } from '../../../workers/partition-log.js';

export function logConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return {
    segmentBytes: 1 << 30,
    segmentMs: 7 * 24 * 3600 * 1000,
    segmentIndexBytes: 10 * 1024 * 1024,
    indexIntervalBytes: 4096,
    retentionMs: -1,
    retentionBytes: -1,
    maxMessageBytes: 1024 * 1024,
    timestampType: 'CreateTime',
    flushMessages: Number.MAX_SAFE_INTEGER,
    flushMs: Number.MAX_SAFE_INTEGER,
    remoteStorageEnable: false,
    localRetentionMs: -2,
    localRetentionBytes: -2,
    remotePendingMaxBytes: -1,
    ...overrides,
  };
}

const dirs: string[] = [];

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-log-'));
  dirs.push(dir);
  return dir;
}

export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export function partitionSpec(dir: string, overrides: Partial<LogConfig> = {}, key = 'topic:0'): PartitionSpec {
  return {
    key: key as PartitionId,
    topic: 'topic',
    topicId: '0123456789abcdef0123456789abcdef',
    partition: 0,
    dir: path.join(dir, 'topic-0'),
    config: logConfig(overrides),
  };
}

/** A batch of `count` records with values `${prefix}-${i}`. */
export function makeBatch(count: number, opts: Partial<EncodeBatchInput> & { prefix?: string; valueSize?: number; timestamp?: number } = {}): Buffer {
  const ts = opts.timestamp ?? 1_700_000_000_000;
  return encodeRecordBatch({
    baseTimestamp: ts,
    ...opts,
    records:
      opts.records ??
      Array.from({ length: count }, (_, i) => ({
        key: null,
        value: opts.valueSize !== undefined ? Buffer.alloc(opts.valueSize, i % 256) : Buffer.from(`${opts.prefix ?? 'v'}-${i}`),
        timestamp: ts + i,
      })),
  });
}

/** A mutable fake clock. */
export function fakeClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms), set: (ms) => (t = ms) };
}

const openLogs: PartitionLog[] = [];

/** Opens a partition log in `dir`; abandonOpenLogs() (afterEach) closes whatever a test left open. */
export function openLog(dir: string, overrides: Partial<LogConfig> = {}, opts: PartitionLogOptions = {}): PartitionLog {
  const log = PartitionLog.open(partitionSpec(dir, overrides), opts);
  openLogs.push(log);
  return log;
}

export function abandonOpenLogs(): void {
  for (const log of openLogs.splice(0)) if (!log.isClosed) log.abandon();
}
