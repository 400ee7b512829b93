// Thread: vitest test worker. Clients that keep running while a test changes the cluster under
// them: an idempotent acks=all librdkafka producer (kcat -P) fed through stdin, and a kcat
// consumer of every partition printing JSON lines. Both are real processes; the test decides
// when to feed, and waits for what the consumer printed (never for time).
import { spawn, type ChildProcess } from 'node:child_process';
import { kcatBinary } from './kcat.js';

export interface StreamingProducer {
  /** Writes records `k<i % keys>:v<i>` for the next n values of i (from, from + 1, …). */
  write(n: number): Promise<void>;
  /**
   * Writes n more records every everyMs until finish(). kcat serves delivery reports only between
   * input lines (it polls librdkafka after each one), so a test that watches `deliveries` keeps
   * feeding it: a steady trickle of load, not a wait.
   */
  keepFeeding(n: number, everyMs: number): void;
  /** Records written so far (the next value is from + sent). */
  readonly sent: number;
  /** Closes stdin and resolves with kcat's exit code (null on timeout) and its stderr. */
  finish(timeoutMs: number): Promise<{ code: number | null | 'timeout'; stderr: string }>;
  /** With `report`: every delivery report, in the order kcat printed them, with when this process read it. */
  readonly deliveries: ReadonlyArray<{ partition: number; offset: number; atMs: number }>;
  /** With `report`: produce errors librdkafka met (and retried or failed on), by its error text. */
  readonly produceErrors: ReadonlyMap<string, number>;
}

/**
 * kcat -P with enable.idempotence and acks=all, keyed so every partition gets records.
 * `report`: also collect delivery reports (kcat -v -v) and the produce errors librdkafka met
 * (debug=msg: "MessageSet … encountered error: <text> (actions …)"); those lines are not kept
 * in stderr.
 */
export function streamingProducer(bootstrap: string, topic: string, { keys = 30, from = 0, extra = [] as string[], report = false } = {}): StreamingProducer {
  const child = spawn(
    kcatBinary(),
    [
      '-P', '-b', bootstrap, '-t', topic, '-K', ':', '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'message.timeout.ms=90000', '-X', 'linger.ms=5',
      ...(report ? ['-v', '-v', '-X', 'debug=msg'] : []),
      ...extra,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const deliveries: Array<{ partition: number; offset: number; atMs: number }> = [];
  const produceErrors = new Map<string, number>();
  let partial = '';
  child.stderr!.on('data', (c: Buffer) => {
    if (!report) {
      stderr += c.toString();
      return;
    }
    const lines = (partial + c.toString()).split('\n');
    partial = lines.pop()!;
    const atMs = Date.now();
    for (const line of lines) {
      const delivered = /^% Message delivered to partition (\d+) \(offset (-?\d+)\)/.exec(line);
      if (delivered) {
        deliveries.push({ partition: Number(delivered[1]), offset: Number(delivered[2]), atMs });
        continue;
      }
      const failed = /encountered error: (.*?) \(actions/.exec(line);
      if (failed) produceErrors.set(failed[1]!, (produceErrors.get(failed[1]!) ?? 0) + 1);
      if (line.startsWith('%7|')) continue; // librdkafka debug
      stderr += line + '\n';
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let sent = 0;
  let feeder: NodeJS.Timeout | undefined;
  return {
    get sent() {
      return sent;
    },
    deliveries,
    produceErrors,
    async write(n: number) {
      for (const end = sent + n; sent < end; sent++) child.stdin!.write(`k${(from + sent) % keys}:v${from + sent}\n`);
      await new Promise((resolve) => setImmediate(resolve));
    },
    keepFeeding(n: number, everyMs: number) {
      clearInterval(feeder);
      feeder = setInterval(() => void this.write(n), everyMs);
    },
    async finish(timeoutMs: number) {
      clearInterval(feeder);
      child.stdin!.end();
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, timeoutMs, 'timeout')))]);
      clearTimeout(timer);
      if (code === 'timeout') child.kill('SIGKILL');
      if (partial) stderr += partial;
      return { code, stderr };
    },
  };
}

export interface StreamingConsumer {
  /** Values (the number after `v`) seen so far, in arrival order, per partition. */
  readonly seen: Map<number, number[]>;
  readonly total: number;
  stop(): void;
}

/** kcat -C of every partition from the beginning, following leaders as they move. */
export function streamingConsumer(bootstrap: string, topic: string): StreamingConsumer {
  const child: ChildProcess = spawn(kcatBinary(), ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-J', '-u', '-q', '-X', 'topic.metadata.refresh.interval.ms=1000'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const seen = new Map<number, number[]>();
  let total = 0;
  let buffered = '';
  child.stdout!.on('data', (c: Buffer) => {
    buffered += c.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const r = JSON.parse(line) as { partition: number; payload: string };
      let list = seen.get(r.partition);
      if (list === undefined) seen.set(r.partition, (list = []));
      list.push(Number(r.payload.slice(1)));
      total++;
    }
  });
  return {
    seen,
    get total() {
      return total;
    },
    stop: () => void child.kill('SIGTERM'),
  };
}
