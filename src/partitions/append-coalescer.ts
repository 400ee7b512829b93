// Thread: main. Produce work for one worker slot that arrives in the same event-loop turn crosses
// to the worker as ONE append task (issue 13: a task, a postMessage and Piscina's bookkeeping per
// single-record request cost more than the append itself). Every append submitted to a slot
// joins the slot's open batch; the batch is dispatched once per turn (setImmediate: after the
// poll phase has read every socket that had data, never a timer) — or at once when an append
// of the other durability class arrives (acks=all waits for fsync; acks=0 and acks=1 do not and
// share tasks), so tasks still reach the slot's FIFO gate in submission order and a partition's
// appends reach its file in request order. Results come back as one message and are split back
// per submission.
//
// Only small submissions are worth it: the cost of a task is per task, the cost of a big batch is
// per byte, and a coalesced task is a fresh copy of its submissions' bytes where a lone request
// is transferred without a copy. A submission of LONE_SUBMISSION_BYTES or more goes at once, on
// its own (after the open batch, keeping the order), and a batch is dispatched before it would
// exceed MAX_BATCH_BYTES.
import type { AppendItemResult } from '../ipc/tasks.js';
import type { AppendRequestItem } from './append-buffers.js';

/** Runs one append task over the items of every coalesced submission, in order. */
export type AppendDispatch = (acks: number, items: AppendRequestItem[], ownedBuffer: ArrayBuffer | undefined) => Promise<AppendItemResult[]>;

interface Submission {
  items: AppendRequestItem[];
  ownedBuffer: ArrayBuffer | undefined;
  resolve: (results: AppendItemResult[]) => void;
  reject: (err: unknown) => void;
}

interface OpenBatch {
  acks: number;
  submissions: Submission[];
  bytes: number;
}

/** A submission this large is dispatched at once, alone (transferred without a copy when it can be). */
export const LONE_SUBMISSION_BYTES = 64 * 1024;
/** An open batch is dispatched before it would hold more than this. */
export const MAX_BATCH_BYTES = 1024 * 1024;

export interface CoalescerStats {
  /** Append tasks dispatched. */
  tasks: number;
  /** Submissions (one per produce request and slot) they carried. */
  submissions: number;
}

export class AppendCoalescer {
  private open: OpenBatch | undefined;
  private scheduled = false;
  readonly stats: CoalescerStats = { tasks: 0, submissions: 0 };

  constructor(
    private readonly dispatch: AppendDispatch,
    /** How the batch waits for the end of the turn; tests pass a manual scheduler. */
    private readonly schedule: (run: () => void) => void = setImmediate,
  ) {}

  submit(acks: number, items: AppendRequestItem[], ownedBuffer: ArrayBuffer | undefined): Promise<AppendItemResult[]> {
    return new Promise((resolve, reject) => {
      // acks=0 and acks=1 are the same to the worker (answer after the write): one class.
      const taskAcks = acks === -1 ? -1 : 1;
      let bytes = 0;
      for (const item of items) bytes += item.records.length;
      const submission = { items, ownedBuffer, resolve, reject };
      if (this.open !== undefined && (this.open.acks !== taskAcks || bytes >= LONE_SUBMISSION_BYTES || this.open.bytes + bytes > MAX_BATCH_BYTES)) this.dispatchOpen();
      if (bytes >= LONE_SUBMISSION_BYTES) {
        this.dispatchBatch({ acks: taskAcks, submissions: [submission], bytes });
        return;
      }
      this.open ??= { acks: taskAcks, submissions: [], bytes: 0 };
      this.open.submissions.push(submission);
      this.open.bytes += bytes;
      if (!this.scheduled) {
        this.scheduled = true;
        this.schedule(() => {
          this.scheduled = false;
          this.dispatchOpen();
        });
      }
    });
  }

  private dispatchOpen(): void {
    const batch = this.open;
    if (batch === undefined) return;
    this.open = undefined;
    this.dispatchBatch(batch);
  }

  private dispatchBatch(batch: OpenBatch): void {
    const { submissions } = batch;
    this.stats.tasks++;
    this.stats.submissions += submissions.length;
    // One submission keeps its own frame buffer (transferred without a copy when it can be).
    const items = submissions.length === 1 ? submissions[0]!.items : submissions.flatMap((s) => s.items);
    const owned = submissions.length === 1 ? submissions[0]!.ownedBuffer : undefined;
    this.dispatch(batch.acks, items, owned).then(
      (results) => {
        let next = 0;
        for (const s of submissions) {
          s.resolve(results.slice(next, next + s.items.length));
          next += s.items.length;
        }
      },
      (err: unknown) => {
        for (const s of submissions) s.reject(err);
      },
    );
  }
}
