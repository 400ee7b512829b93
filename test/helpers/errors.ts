// Thread: vitest test worker. Pulls Kafka error types out of KafkaJS errors, which arrive
// wrapped (aggregate errors, retry-exhausted errors, causes).

interface ErrorLike {
  type?: unknown;
  errors?: unknown;
  originalError?: unknown;
  cause?: unknown;
}

/** Every KafkaJS error `type` (e.g. 'TOPIC_ALREADY_EXISTS') found in `err` and what it wraps. */
export function kafkaErrorTypes(err: unknown, seen = new Set<unknown>()): string[] {
  if (!err || typeof err !== 'object' || seen.has(err)) return [];
  seen.add(err);
  const e = err as ErrorLike;
  const out: string[] = [];
  if (typeof e.type === 'string') out.push(e.type);
  if (Array.isArray(e.errors)) for (const inner of e.errors) out.push(...kafkaErrorTypes(inner, seen));
  out.push(...kafkaErrorTypes(e.originalError, seen));
  out.push(...kafkaErrorTypes(e.cause, seen));
  return out;
}

/** Awaits `promise`, expecting it to reject with a KafkaJS error of `type`; returns the error. */
export async function expectKafkaError(promise: Promise<unknown>, type: string): Promise<unknown> {
  let result: unknown;
  try {
    result = await promise;
  } catch (err) {
    const types = kafkaErrorTypes(err);
    if (!types.includes(type)) {
      throw new Error(`expected a ${type} error, got [${types.join(', ')}]: ${(err as Error).message}`, { cause: err });
    }
    return err;
  }
  throw new Error(`expected a ${type} error, but the call resolved with ${JSON.stringify(result)}`);
}
