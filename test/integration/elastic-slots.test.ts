// Integration: real load makes an elastic broker (worker.threads.min=1, max=2) grow from one
// worker slot to two, moving partitions onto the new slot, and it shrinks back to one after
// the load stops; the log stays whole throughout (offsets dense, every record readable). The
// thresholds are low and the window short so two kcat producers on this 2-core machine are
// "load"; the decisions are the same as with the defaults (0.75 for 10 s).
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { createTopicOn } from '../helpers/kafkajs.js';
import { kcatConsumeFormat, kcatQueryOffset } from '../helpers/kcat.js';
import { getPlacement } from '../helpers/placement.js';
import { uniqueTopic } from '../helpers/topics.js';

const PARTITIONS = 4;
let broker: BrokerHandle;
const loaders: ChildProcess[] = [];

beforeAll(async () => {
  broker = await startBroker({
    args: [
      '--worker.threads.min=1',
      '--worker.threads.max=2',
      '--worker.scale.interval.ms=200',
      '--worker.scale.window.ms=1000',
      '--worker.scale.up.utilization=0.2',
      '--worker.scale.down.utilization=0.05',
    ],
  });
});

/** Ends a load's process group (bash, yes, kcat) and waits for bash to be gone. */
async function stopLoad(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
}

afterAll(async () => {
  for (const p of loaders) await stopLoad(p);
  await broker?.stop();
});

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${broker.logs().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An endless stream of 100-byte records into the topic (kcat, unkeyed: spread over partitions). */
function startLoad(topic: string): ChildProcess {
  const record = 'x'.repeat(100);
  // Its own process group (yes and kcat), so stopLoad ends both.
  const child = spawn('bash', ['-c', `yes ${record} | kcat -P -b ${broker.bootstrap} -t ${topic} -X linger.ms=5 -X batch.num.messages=10000 -X acks=1`], { stdio: 'ignore', detached: true });
  loaders.push(child);
  return child;
}

describe('elastic worker slots', () => {
  it('grows from 1 slot under load, moving partitions to the new slot, and shrinks back after the load stops', async () => {
    const topic = uniqueTopic('elastic');
    await createTopicOn(broker.bootstrap, topic, PARTITIONS);
    expect((await getPlacement(broker)).slots).toHaveLength(1);
    const load = [startLoad(topic), startLoad(topic)];
    try {
      await until('a second slot holding partitions', async () => {
        const view = await getPlacement(broker);
        return view.slots.length === 2 && view.slots[1]!.partitions.length > 0;
      }, 60_000);
      // The decision is logged once its moves are done.
      await until('the grow decision in the log', async () => broker.logLines().some((l) => l.msg === 'elastic slots: grow'), 30_000);
    } finally {
      for (const child of load) await stopLoad(child);
    }
    const grow = broker.logLines().find((l) => l.msg === 'elastic slots: grow');
    expect(grow?.reason).toMatch(/slot 0/);
    expect((grow?.moved as unknown[]).length).toBeGreaterThan(0);

    await until('the broker to shrink back to 1 slot', async () => (await getPlacement(broker)).slots.length === 1, 60_000);
    await until('the shrink decision in the log', async () => broker.logLines().some((l) => l.msg === 'elastic slots: shrink'), 30_000);
    const shrink = broker.logLines().find((l) => l.msg === 'elastic slots: shrink');
    expect(shrink).toBeDefined();

    // Every partition's log is whole: offsets dense from 0 up to its end offset.
    let total = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const end = await kcatQueryOffset(broker.bootstrap, topic, p, -1);
      const offsets = (await kcatConsumeFormat(broker.bootstrap, topic, '%o\n', { partition: p, timeoutMs: 60_000 })).stdout.split('\n').filter((l) => l !== '');
      expect(offsets.length).toBe(end);
      expect(offsets.every((o, i) => Number(o) === i)).toBe(true);
      total += end;
    }
    expect(total).toBeGreaterThan(0);
  }, 150_000);
});
