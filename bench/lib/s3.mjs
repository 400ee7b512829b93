// Thread: main (bench). The S3-compatible server for the object-storage workloads: the one
// AWS_ENDPOINT_URL_S3 names (LocalStack, MinIO, a real bucket; AWS_ACCESS_KEY_ID/SECRET default
// to test/test), else a throwaway Ceph radosgw started from the test harness's script
// (test/helpers/s3/start-radosgw.sh; Debian packages radosgw ceph-mon ceph-osd) and stopped
// by that script's stop counterpart. Also a client and a listing helper.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { MiB } from './cli.mjs';
import { REPO_DIR, round } from './results.mjs';

const RANGE = 4 * MiB;

/**
 * Start (or name) the server: { kind: 'env'|'radosgw', endpoint, version, stop(), pids(), rgwPid(), counters() }
 * (pids: the radosgw, ceph-osd and ceph-mon processes started here, for CPU accounting; rgwPid:
 * the radosgw process alone, radosgw only; counters(): the radosgw's request counters
 * { puts, putBytes, gets, requests }, null elsewhere).
 */
export async function startS3() {
  if (process.env.AWS_ENDPOINT_URL_S3) {
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    return { kind: 'env', endpoint: process.env.AWS_ENDPOINT_URL_S3, version: null, stop() {}, pids: () => [], counters: () => null };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-rgw-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const scripts = path.join(REPO_DIR, 'test/helpers/s3');
  const stop = () => {
    execFileSync('bash', [path.join(scripts, 'stop-radosgw.sh'), dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let out;
  try {
    out = execFileSync('bash', [path.join(scripts, 'start-radosgw.sh'), dir, String(port)], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    stop();
    throw new Error(`could not start radosgw: ${String(err.stderr ?? err.message).trim().split('\n').slice(-3).join(' ')}`);
  }
  const m = /ENDPOINT=(\S+) ACCESS_KEY=(\S+) SECRET_KEY=(\S+)/.exec(out);
  process.env.AWS_ACCESS_KEY_ID = m[2];
  process.env.AWS_SECRET_ACCESS_KEY = m[3];
  let version = null;
  try {
    version = execFileSync('radosgw', ['--version'], { encoding: 'utf8' }).trim().split('\n')[0];
  } catch {
    // unknown
  }
  const pids = () => {
    try {
      return fs.readdirSync(dir).filter((f) => f.endsWith('.pid')).map((f) => Number(fs.readFileSync(path.join(dir, f), 'utf8').trim())).filter((n) => n > 0);
    } catch {
      return [];
    }
  };
  // The radosgw process alone (the S3 endpoint), for outage scripts that SIGSTOP it.
  const rgwPid = () => Number(fs.readFileSync(path.join(dir, 'rgw.pid'), 'utf8').trim());
  // The radosgw's own request counters (perf dump through its admin socket): PUTs, bytes.
  const counters = () => {
    try {
      const rgw = JSON.parse(execFileSync('ceph', ['--admin-daemon', path.join(dir, 'run', 'ceph-client.rgw.a.asok'), 'perf', 'dump'], { encoding: 'utf8', timeout: 10_000 })).rgw ?? {};
      return { puts: rgw.put ?? null, putBytes: rgw.put_b ?? null, gets: rgw.get ?? null, requests: rgw.req ?? null };
    } catch {
      return null;
    }
  };
  return { kind: 'radosgw', endpoint: m[1], version, stop, pids, rgwPid, counters };
}

/**
 * A fresh bucket on `server` and the broker settings that offload every sealed segment to it
 * (segment.bytes `segmentBytes`, nothing kept locally once uploaded, 100 ms tier passes):
 * { bucket, prefix, config }.
 */
export async function tierBucket(s3, server, segmentBytes) {
  const bucket = `strata-bench-${Date.now().toString(36)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const prefix = 'bench/';
  const config = {
    'remote.storage.s3.bucket': bucket,
    'remote.storage.s3.endpoint': server.endpoint,
    'remote.storage.s3.path.style.access': 'true',
    'remote.storage.s3.prefix': prefix,
    'log.remote.storage.enable': 'true',
    'log.local.retention.bytes': 0,
    'log.segment.bytes': segmentBytes,
    'remote.log.manager.task.interval.ms': 100,
    'log.retention.check.interval.ms': 100,
  };
  return { bucket, prefix, config };
}

export function s3Client(endpoint) {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
}

/** Every object under `prefix`: [{ key, size }]. */
export async function listAll(s3, bucket, prefix) {
  const out = [];
  let token;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.push({ key: o.Key, size: o.Size });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/**
 * The raw baseline for remote reads: ranged GETs of RANGE (4 MiB, the broker's chunk size)
 * over objects, one sequential loop per list in `objectLists`, all lists concurrently.
 */
export async function rawRangedGets(s3, bucket, objectLists) {
  const t0 = performance.now();
  const sizes = await Promise.all(
    objectLists.map(async (objects) => {
      let bytes = 0;
      for (const obj of objects) {
        for (let at = 0; at < obj.size; at += RANGE) {
          const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: obj.key, Range: `bytes=${at}-${Math.min(obj.size, at + RANGE) - 1}` }));
          bytes += (await out.Body.transformToByteArray()).length;
        }
      }
      return bytes;
    }),
  );
  const bytes = sizes.reduce((a, b) => a + b, 0);
  const seconds = (performance.now() - t0) / 1000;
  return { bytes, seconds: round(seconds, 3), MBps: round(bytes / MiB / seconds, 1) };
}
