// Thread: test process. Which S3-compatible server the tier tests run against:
//   1. AWS_ENDPOINT_URL_S3 set (LocalStack, MinIO, AWS…): that one, with the caller's
//      credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, default test/test);
//   2. STRATA_TEST_S3=fake: the in-memory fault-injecting server (quick local runs only);
//   3. otherwise a throwaway Ceph radosgw (start-radosgw.sh) — the real server CI uses. If
//      radosgw is not installed the tests fail with a message saying how to install it.
// Each target gets a fresh bucket so test files never see each other's objects.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ObjectStore } from '../../../src/tier/object-store.js';
import { afterAll, beforeAll } from 'vitest';
import { FakeS3 } from './fake-s3.js';

export interface S3Target {
  kind: 'env' | 'fake' | 'radosgw';
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Present for kind 'fake'. */
  fake?: FakeS3;
  /** Present for kind 'radosgw': the directory of its throwaway cluster (its *.pid files). */
  dir?: string;
  /** Env for a broker process using this target. */
  brokerEnv(): Record<string, string>;
  /** Broker flags for this target. */
  brokerArgs(prefix?: string): string[];
  /** A client of the bucket (same settings the broker uses). */
  store(): ObjectStore;
  stop(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    if (port >= 65535) continue;
    const secondFree = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port + 1, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (secondFree) return port;
  }
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function hasBinary(name: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, name)));
}

async function createBucket(endpoint: string, bucket: string, accessKeyId: string, secretAccessKey: string): Promise<void> {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  } finally {
    client.destroy();
  }
}

function makeTarget(kind: S3Target['kind'], endpoint: string, bucket: string, accessKeyId: string, secretAccessKey: string, stop: () => Promise<void>, fake?: FakeS3, dir?: string): S3Target {
  const env = { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_REGION: 'us-east-1' };
  return {
    kind,
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    fake,
    dir,
    brokerEnv: () => env,
    brokerArgs: (prefix = 'strata/') => [
      `--remote.storage.s3.bucket=${bucket}`,
      `--remote.storage.s3.endpoint=${endpoint}`,
      '--remote.storage.s3.path.style.access=true',
      `--remote.storage.s3.prefix=${prefix}`,
    ],
    store: () => {
      Object.assign(process.env, env);
      return new ObjectStore({ bucket, endpoint, region: 'us-east-1', forcePathStyle: true, requestTimeoutMs: 10_000 });
    },
    stop,
  };
}

/** The in-memory fault-injecting server (outage tests always use it). */
export async function startFakeS3(bucket = 'strata-test'): Promise<S3Target> {
  const fake = await new FakeS3().start();
  fake.buckets.set(bucket, new Map());
  return makeTarget('fake', fake.endpoint, bucket, 'test', 'test', () => fake.stop(), fake);
}

/** The S3 server for real-server tests (see the header for the order of choice). */
export async function startS3Target(): Promise<S3Target> {
  const bucket = `strata-${process.pid}-${Date.now().toString(36)}`;
  const envEndpoint = process.env.AWS_ENDPOINT_URL_S3;
  if (envEndpoint) {
    const accessKeyId = process.env.AWS_ACCESS_KEY_ID ?? 'test';
    const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY ?? 'test';
    await createBucket(envEndpoint, bucket, accessKeyId, secretAccessKey);
    return makeTarget('env', envEndpoint, bucket, accessKeyId, secretAccessKey, async () => undefined);
  }
  if (process.env.STRATA_TEST_S3 === 'fake') return startFakeS3(bucket);
  if (!hasBinary('radosgw')) {
    throw new Error(
      'tiered-storage tests need a real S3-compatible server: install Ceph radosgw (apt-get install -y radosgw ceph-mon ceph-osd; .ci/run does), ' +
        'or set AWS_ENDPOINT_URL_S3 (e.g. LocalStack: npm run test:tier), or STRATA_TEST_S3=fake for a quick run against the in-memory test server',
    );
  }
  // A throwaway cluster can fail to come up for reasons outside the test (a port taken between
  // the check and the bind): try a fresh directory and ports up to three times.
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-rgw-'));
    const port = await freePortPair();
    const stop = async () => {
      await run('bash', [path.join(here, 'stop-radosgw.sh'), dir], 30_000).catch(() => undefined);
    };
    try {
      const out = await run('bash', [path.join(here, 'start-radosgw.sh'), dir, String(port), bucket], 90_000);
      const m = /ENDPOINT=(\S+) ACCESS_KEY=(\S+) SECRET_KEY=(\S+)/.exec(out);
      if (!m) throw new Error(`start-radosgw.sh printed no endpoint: ${out}`);
      await createBucket(m[1]!, bucket, m[2]!, m[3]!);
      return makeTarget('radosgw', m[1]!, bucket, m[2]!, m[3]!, stop, undefined, dir);
    } catch (err) {
      lastError = err;
      await stop();
    }
  }
  throw lastError;
}

/**
 * Starts an S3 target (and an ObjectStore on its bucket) before the tests of the file or describe
 * block it is called in, hands both to `use`, and stops them after those tests.
 */
export function useS3Target(start: () => Promise<S3Target>, use: (target: S3Target, store: ObjectStore) => void): void {
  let target: S3Target | undefined;
  let store: ObjectStore | undefined;
  beforeAll(async () => {
    target = await start();
    store = target.store();
    use(target, store);
  }, 120_000);
  afterAll(async () => {
    store?.destroy();
    await target?.stop();
  });
}
