// Thread: main. The operator's JSON API on the HTTP listeners, under /admin:
//   GET  /admin/placement        which worker slot holds each partition, slot utilisation,
//                                partition load (bytes/s), moves so far
//   POST /admin/placement/moves  {"topic": T, "partition": P, "slot": S} moves a partition to
//                                slot S now and answers the move (pause included)
// Errors answer {"error": message, "code": catalogue code} with 400 (bad request), 404 (no such
// topic or partition), 409 (the move cannot be made now) or 500.
import { z } from 'zod';
import { EngineError } from '../partitions/engine-error.js';
import { ErrorCode } from '../protocol/generated/error-codes.js';

/** What the admin routes need from the broker. */
export interface AdminApi {
  placement(): unknown;
  movePartition(topic: string, partition: number, slot: number): Promise<unknown>;
}

export interface AdminResponse {
  status: number;
  body: unknown;
}

/** Largest request body the admin routes read. */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

const moveRequest = z.strictObject({
  topic: z.string().min(1),
  partition: z.number().int().min(0),
  slot: z.number().int().min(0),
});

/** Answers an /admin request, or undefined when the path is not an admin route. */
export async function handleAdmin(api: AdminApi, method: string, path: string, readBody: () => Promise<string>): Promise<AdminResponse | undefined> {
  if (path === '/admin/placement') {
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, body: { error: 'use GET' } };
    return { status: 200, body: api.placement() };
  }
  if (path === '/admin/placement/moves') {
    if (method !== 'POST') return { status: 405, body: { error: 'use POST with {"topic", "partition", "slot"}' } };
    let parsed: z.infer<typeof moveRequest>;
    try {
      parsed = moveRequest.parse(JSON.parse(await readBody()));
    } catch (err) {
      const message = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') : (err as Error).message;
      return { status: 400, body: { error: `expected {"topic": string, "partition": int, "slot": int}: ${message}` } };
    }
    try {
      return { status: 200, body: await api.movePartition(parsed.topic, parsed.partition, parsed.slot) };
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      const status = err.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? 404 : err.errorCode === ErrorCode.INVALID_REQUEST ? 409 : 503;
      return { status, body: { error: err.message, code: err.strataCode ?? null } };
    }
  }
  return undefined;
}
