import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../workers/group-commit.js';

function deferredPasses() {
  const releases: Array<() => void> = [];
  const pass = () => new Promise<void>((resolve) => releases.push(resolve));
  return { pass, releases };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('one pass covers every write made before it started; later writes wait for the next', async () => {
    const { pass, releases } = deferredPasses();
    const gc = new GroupCommit(pass);
    const t1 = gc.markWritten(1, 0);
    const w1 = gc.waitDurable(t1);
    const t2 = gc.markWritten(1, 0);
    const t3 = gc.markWritten(1, 0);
    const w2 = gc.waitDurable(t2);
    const w3 = gc.waitDurable(t3);
    expect(releases).toHaveLength(1);
    releases[0]();
    await w1;
    await tick();
    expect(releases).toHaveLength(2); // one pass for both t2 and t3
    releases[1]();
    await Promise.all([w2, w3]);
    expect(gc.syncCount).toBe(2);
    await gc.waitDurable(t3); // already durable: no pass
    expect(releases).toHaveLength(2);
  });

  it('propagates a failed pass to its waiters and retries on the next wait', async () => {
    let fail = true;
    const gc = new GroupCommit(async () => {
      if (fail) throw Object.assign(new Error('EIO'), { code: 'EIO' });
    });
    const t = gc.markWritten(1, 0);
    await expect(gc.waitDurable(t)).rejects.toThrow('EIO');
    fail = false;
    await gc.waitDurable(t);
    expect(gc.syncCount).toBe(1);
  });
});
