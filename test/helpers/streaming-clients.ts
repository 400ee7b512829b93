// Thread: vitest test worker. Clients that keep running while a test changes the cluster under
// them: an idempotent acks=all librdkafka producer (kcat -P) fed through stdin, and a kcat
// consumer of every partition printing JSON lines. Both are real processes; the test decides
// when to feed, and waits for what the consumer printed (never for time).
import { spawn, type ChildProcess } from 'node:child_process';
import { kcatBinary } from './kcat.js';

export interface StreamingProducer {
  /** Writes records `k<i % keys>:v<i>` for the next n values of i (from, from + 1, …). */
  write(n: number): Promise<void>;
  /** Records written so far (the next value is from + sent). */
  readonly sent: number;
  /** Closes stdin and resolves with kcat's exit code (null on timeout) and its stderr. */
  finish(timeoutMs: number): Promise<{ code: number | null | 'timeout'; stderr: string }>;
}

/** kcat -P with enable.idempotence and acks=all, keyed so every partition gets records. */
export function streamingProducer(bootstrap: string, topic: string, { keys = 30, from = 0, extra = [] as string[] } = {}): StreamingProducer {
  const child = spawn(
    kcatBinary(),
    ['-P', '-b', bootstrap, '-t', topic, '-K', ':', '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'message.timeout.ms=90000', '-X', 'linger.ms=5', ...extra],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let sent = 0;
  return {
    get sent() {
      return sent;
    },
    async write(n: number) {
      for (const end = sent + n; sent < end; sent++) child.stdin!.write(`k${(from + sent) % keys}:v${from + sent}\n`);
      await new Promise((resolve) => setImmediate(resolve));
    },
    async finish(timeoutMs: number) {
      child.stdin!.end();
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, timeoutMs, 'timeout')))]);
      clearTimeout(timer);
      if (code === 'timeout') child.kill('SIGKILL');
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
