// Thread: main. A thin S3 client for tiered storage over @aws-sdk/client-s3, with the settings
// every non-AWS S3 server needs (path-style URLs, checksums only when required, Buffer bodies)
// and errors classified by HTTP status. Listings follow continuation tokens; large bodies go
// up as multipart uploads. Files are uploaded as streams (putFile): never read whole into memory.
import { StrataError, type StrataErrorCode } from '../errors.js';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

export interface ObjectStoreOptions {
  bucket: string;
  endpoint?: string;
  region?: string;
  forcePathStyle: boolean;
  /** Per-request bound; a hung server fails the request instead of stalling the uploader. */
  requestTimeoutMs?: number;
}

/** Short names of the catalogue's tier codes (meanings and Kafka codes: src/errors.ts, docs/errors.md). */
export const TierErrorCode = {
  /** A conditional write lost: another writer created that object first (HTTP 412 / 409). */
  CONFLICT: 'STRATA_ERR_TIER_CONFLICT',
  /** The object does not exist (404). */
  NOT_FOUND: 'STRATA_ERR_TIER_NOT_FOUND',
  /** Any other failure (network, 5xx, throttling): retried with backoff. */
  UNAVAILABLE: 'STRATA_ERR_TIER_UNAVAILABLE',
  /** The store ignores If-None-Match: manifests cannot be fenced. */
  NO_CONDITIONAL_WRITES: 'STRATA_ERR_TIER_NO_CONDITIONAL_WRITES',
  /**
   * An object read back does not match the CRC-32C recorded in the manifest when it was
   * uploaded (manifest v2): the bytes are never served; a fetch gets KAFKA_STORAGE_ERROR.
   */
  CORRUPT: 'STRATA_ERR_TIER_CORRUPT',
  /** A sealed segment's local files are not as the log describes them (missing, other size): the upload is retried. */
  SEGMENT_FILE: 'STRATA_ERR_TIER_SEGMENT_FILE',
} as const satisfies Record<string, StrataErrorCode>;

export class TierError extends StrataError {
  declare readonly code: (typeof TierErrorCode)[keyof typeof TierErrorCode];
  constructor(
    code: (typeof TierErrorCode)[keyof typeof TierErrorCode],
    message: string,
    /** The object concerned, when one is (logs name it). */
    readonly objectKey?: string,
  ) {
    super(code, message);
    this.name = 'TierError';
  }
}

/** Parts of this size; bodies larger than MULTIPART_THRESHOLD go up as multipart uploads. */
export const MULTIPART_PART_BYTES = 16 * 1024 * 1024;
export const MULTIPART_THRESHOLD = 32 * 1024 * 1024;

function classify(err: unknown, what: string): TierError {
  const e = err as { $metadata?: { httpStatusCode?: number }; name?: string; message?: string };
  const status = e.$metadata?.httpStatusCode;
  if (status === 412 || status === 409 || e.name === 'PreconditionFailed') return new TierError(TierErrorCode.CONFLICT, `${what}: precondition failed`);
  if (status === 404 || e.name === 'NoSuchKey' || e.name === 'NotFound') return new TierError(TierErrorCode.NOT_FOUND, `${what}: not found`);
  return new TierError(TierErrorCode.UNAVAILABLE, `${what}: ${status ? `HTTP ${status} ` : ''}${e.name ?? ''} ${e.message ?? String(err)}`.trim());
}

export class ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;

  constructor(opts: ObjectStoreOptions) {
    this.bucket = opts.bucket;
    this.client = new S3Client({
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: opts.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1, // the uploader retries with its own backoff
      requestHandler: { requestTimeout: opts.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
    });
    // Readiness: the last request's outcome says whether the store answers (4xx answers count
    // as reachable; network errors, timeouts and 5xx/throttling do not).
    this.client.middlewareStack.add(
      (next) => async (args) => {
        try {
          const out = await next(args);
          this.reachable = true;
          return out;
        } catch (err) {
          const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          this.reachable = status !== undefined && status < 500;
          throw err;
        }
      },
      { step: 'deserialize', name: 'strataReachability' },
    );
  }

  /** Whether the most recent request got an answer from the store (see the middleware above). */
  reachable = true;

  /** PUT; ifNoneMatch → fails with CONFLICT when the key exists. Returns the ETag. */
  async put(key: string, body: Buffer, opts: { ifNoneMatch?: boolean; contentType?: string } = {}): Promise<string> {
    if (body.length > MULTIPART_THRESHOLD && !opts.ifNoneMatch) return this.putMultipart(key, body.length, (start, end) => body.subarray(start, end));
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentType: opts.contentType ?? 'application/octet-stream',
          ...(opts.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
        }),
      );
      return out.ETag ?? '';
    } catch (err) {
      throw classify(err, `PUT ${key}`);
    }
  }

  /**
   * PUT of the first sizeBytes of a local file, streamed from disk (fs.createReadStream with a
   * ContentLength; multipart parts are ranges of the file): the file is never held in memory.
   */
  async putFile(key: string, file: string, sizeBytes: number): Promise<string> {
    if (sizeBytes === 0) return this.put(key, Buffer.alloc(0));
    // Checked first: a missing or short file fails here, before any request (not as a stream error).
    try {
      const { size } = await fs.promises.stat(file);
      if (size < sizeBytes) throw new Error(`${file} is ${size} bytes, ${sizeBytes} expected`);
    } catch (err) {
      throw new TierError(TierErrorCode.SEGMENT_FILE, `PUT ${key}: ${(err as Error).message}`, key);
    }
    let streamError: Error | null = null;
    const stream = (start: number, end: number) => {
      const body = fs.createReadStream(file, { start, end: end - 1 });
      // A read error mid-body fails the request; it must not become an uncaught 'error' event.
      body.on('error', (err) => (streamError = err));
      return body;
    };
    try {
      if (sizeBytes > MULTIPART_THRESHOLD) return await this.putMultipart(key, sizeBytes, stream);
      const body = stream(0, sizeBytes);
      try {
        const out = await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: sizeBytes, ContentType: 'application/octet-stream' }),
        );
        return out.ETag ?? '';
      } finally {
        body.destroy(); // a request that failed early leaves the stream (and its fd) open otherwise
      }
    } catch (err) {
      if (streamError !== null) throw new TierError(TierErrorCode.SEGMENT_FILE, `PUT ${key}: reading ${file}: ${(streamError as Error).message}`, key);
      throw err instanceof TierError ? err : classify(err, `PUT ${key} (from ${file})`);
    }
  }

  private async putMultipart(key: string, sizeBytes: number, part: (start: number, end: number) => Buffer | Readable): Promise<string> {
    let uploadId: string | undefined;
    try {
      const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }));
      uploadId = created.UploadId!;
      const parts: Array<{ ETag: string; PartNumber: number }> = [];
      for (let at = 0, n = 1; at < sizeBytes; at += MULTIPART_PART_BYTES, n++) {
        const end = Math.min(sizeBytes, at + MULTIPART_PART_BYTES);
        const body = part(at, end);
        const out = await this.client
          .send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body, ContentLength: end - at }))
          .finally(() => {
            if (!Buffer.isBuffer(body)) body.destroy();
          });
        parts.push({ ETag: out.ETag!, PartNumber: n });
      }
      const done = await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
      return done.ETag ?? '';
    } catch (err) {
      if (uploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw classify(err, `multipart PUT ${key}`);
    }
  }

  /** GET, optionally a byte range [start, endExclusive). */
  async get(key: string, range?: { start: number; endExclusive: number }): Promise<Buffer> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.endExclusive - 1}` } : {}) }),
      );
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (err) {
      throw classify(err, `GET ${key}`);
    }
  }

  /** Every key under prefix, following continuation tokens (never assumes full pages). */
  async list(prefix: string): Promise<Array<{ key: string; size: number }>> {
    const out: Array<{ key: string; size: number }> = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      } catch (err) {
        throw classify(err, `LIST ${prefix}`);
      }
      for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** DELETE of single keys (DeleteObjects needs Content-MD5 on older servers), a few at a time. */
  async deleteMany(keys: string[]): Promise<void> {
    const queue = [...keys];
    const worker = async (): Promise<void> => {
      for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
        try {
          await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
        } catch (err) {
          const e = classify(err, `DELETE ${key}`);
          if (e.code !== TierErrorCode.NOT_FOUND) throw e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
  }

  /**
   * Start-up check that the store honours `If-None-Match: *` on PutObject: the second of two
   * conditional creates of one key must fail. Manifest fencing depends on it.
   */
  async checkConditionalWrites(prefix: string): Promise<void> {
    const key = `${prefix}_probe/${Date.now()}-${Math.random().toString(16).slice(2)}`;
    await this.put(key, Buffer.from('probe'), { ifNoneMatch: true });
    try {
      await this.put(key, Buffer.from('probe-2'), { ifNoneMatch: true });
      throw new TierError(
        TierErrorCode.NO_CONDITIONAL_WRITES,
        `bucket ${this.bucket} accepted a second PutObject with If-None-Match: * on an existing key; this S3 server does not support conditional writes, so partition manifests cannot be fenced. Use a store that does (AWS S3, LocalStack, Ceph radosgw, MinIO).`,
      );
    } catch (err) {
      if (!(err instanceof TierError && err.code === TierErrorCode.CONFLICT)) throw err;
    } finally {
      await this.deleteMany([key]).catch(() => undefined);
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}
