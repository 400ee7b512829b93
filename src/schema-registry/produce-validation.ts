// Thread: main. What the Produce handler calls for a partition of a topic with schema
// validation on (record-validation.ts decides what a record must carry). The validation is
// asynchronous (decompression codecs, a store refresh on a miss), yet appends to a partition
// must reach its worker in request order (pipelined idempotent producers rely on it), so
// validated appends to one partition are issued through PartitionOrder: each request's check
// runs at once, and its append is issued only after every earlier request's append on that
// partition was issued. Partitions of topics without validation never come here.
import type { PartitionId } from '../ipc/partition-id.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from '../protocol/records.js';
import { RecordValidator, type TopicValidation, type ValidationVerdict } from './record-validation.js';
import type { SchemaRegistry } from './registry.js';

export { topicValidation, type TopicValidation } from './record-validation.js';

export type CheckOutcome = { ok: true; verdict: ValidationVerdict } | { ok: false; error: unknown };

/** Issues per-key work in call order, while the checks that precede it run concurrently. */
export class PartitionOrder {
  private readonly tails = new Map<PartitionId, Promise<void>>();

  get size(): number {
    return this.tails.size;
  }

  run(key: PartitionId, check: () => Promise<ValidationVerdict>, issue: (outcome: CheckOutcome) => Promise<void>): Promise<void> {
    const previous = this.tails.get(key);
    const checked: Promise<CheckOutcome> = check().then(
      (verdict) => ({ ok: true, verdict }),
      (error: unknown) => ({ ok: false, error }),
    );
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.tails.set(key, mine);
    return (async () => {
      const outcome = await checked;
      if (previous !== undefined) await previous;
      let issued: Promise<void>;
      try {
        issued = issue(outcome);
      } finally {
        release();
        if (this.tails.get(key) === mine) this.tails.delete(key);
      }
      await issued;
    })();
  }
}

const order = new PartitionOrder();
const validators = new WeakMap<SchemaRegistry, RecordValidator>();

/**
 * Validates one partition's records and then, in request order for that partition, calls
 * `issue` with the outcome (which appends, or answers INVALID_RECORD).
 */
export function validateThenIssue(
  registry: SchemaRegistry | undefined,
  key: PartitionId,
  topic: string,
  validation: TopicValidation,
  records: Buffer,
  issue: (outcome: CheckOutcome) => Promise<void>,
): Promise<void> {
  return order.run(
    key,
    async () => {
      if (registry === undefined) {
        return { ok: false, errorMessage: `Topic ${topic} asks for schema validation but the schema registry is off (schema.registry.enable=false)`, recordErrors: [] };
      }
      let validator = validators.get(registry);
      if (validator === undefined) validators.set(registry, (validator = new RecordValidator(registry, DEFAULT_MAX_DECOMPRESSED_BYTES)));
      return validator.validate(topic, validation, records);
    },
    issue,
  );
}
