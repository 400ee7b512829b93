// Thread: main. The shape every per-partition admin handler shares: collect the partitions that
// passed the handler's own checks, make ONE engine call for all of them, copy each answer into
// its response entry (logging the unexpected ones, failure-log.ts), and, when the call itself
// fails, answer every collected partition with the one Kafka code it maps to (logged once).
import { toKafkaErrorCode } from '../../errors.js';
import type { TaskError } from '../../ipc/tasks.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { logPartitionFailure, logRequestFailure } from '../failure-log.js';
import type { RequestContext } from './types.js';

interface Collected<T> {
  topic: string;
  partition: number;
  target: T;
}

export class PartitionCalls<I, T extends { errorCode: number }> {
  private readonly items: I[] = [];
  private readonly collected: Array<Collected<T>> = [];

  /** `target` is the partition's response entry; `item` what the engine call gets for it. */
  add(topic: string, partition: number, target: T, item: I): void {
    this.items.push(item);
    this.collected.push({ topic, partition, target });
  }

  /** Runs `call` over every collected item (nothing when none) and applies its answers in order. */
  async run<O extends { errorCode: number; cause?: TaskError }>(
    ctx: RequestContext,
    call: (items: I[]) => Promise<O[]>,
    apply: (target: T, answer: O) => void,
  ): Promise<void> {
    if (this.items.length === 0) return;
    try {
      const answers = await call(this.items);
      answers.forEach((answer, i) => {
        const { topic, partition, target } = this.collected[i]!;
        target.errorCode = answer.errorCode;
        if (answer.errorCode !== ErrorCode.NONE) logPartitionFailure(ctx, topic, partition, answer.errorCode, answer.cause);
        apply(target, answer);
      });
    } catch (err) {
      const code = toKafkaErrorCode(err);
      logRequestFailure(ctx, err, code, { partitions: this.collected.length });
      for (const { target } of this.collected) target.errorCode = code;
    }
  }
}
