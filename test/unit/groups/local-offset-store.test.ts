import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalOffsetStore, LOCAL_OFFSETS_FILE } from '../../../src/groups/local-offset-store.js';
import type { OffsetStore } from '../../../src/groups/offset-store.js';
import { offsetStoreContract } from '../../helpers/offset-store-contract.js';

const dirs: string[] = [];
const dirOf = new WeakMap<OffsetStore, string>();

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-offsets-'));
  dirs.push(dir);
  return dir;
}

async function openAt(dir: string, compactMinBytes?: number): Promise<LocalOffsetStore> {
  const s = new LocalOffsetStore(dir, compactMinBytes === undefined ? {} : { compactMinBytes });
  await s.open();
  dirOf.set(s, dir);
  return s;
}

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

offsetStoreContract('local file', {
  create: () => openAt(tempDir()),
  reopen: (s) => openAt(dirOf.get(s)!),
});

describe('LocalOffsetStore', () => {
  const c = (offset: number) => ({ offset: BigInt(offset), leaderEpoch: -1, metadata: '', commitTimestampMs: 1 });

  it('cuts a torn last line at open and keeps every complete one', async () => {
    const dir = tempDir();
    const s = await openAt(dir);
    await s.commitOffsets('g', [{ topic: 't', partition: 0, committed: c(1) }]);
    await s.commitOffsets('g', [{ topic: 't', partition: 1, committed: c(2) }]);
    await s.close();
    const file = path.join(dir, LOCAL_OFFSETS_FILE);
    fs.appendFileSync(file, '{"k":"c","g":"g","o":[["t",0,{"o":"99"');
    const r = await openAt(dir);
    expect((await r.fetchOffsets('g', null)).map((p) => Number(p.committed.offset)).sort()).toEqual([1, 2]);
    await r.commitOffsets('g', [{ topic: 't', partition: 2, committed: c(3) }]);
    await r.close();
    const again = await openAt(dir);
    expect(await again.fetchOffsets('g', null)).toHaveLength(3);
    await again.close();
  });

  it('compacts the log once it outgrows the live data, without losing anything', async () => {
    const dir = tempDir();
    const s = await openAt(dir, 4096);
    for (let i = 0; i < 400; i++) await s.commitOffsets('g', [{ topic: 't', partition: i % 4, committed: c(i) }]);
    expect(s.sizeBytes()).toBeLessThan(4 * 4096);
    await s.close();
    const r = await openAt(dir);
    const all = await r.fetchOffsets('g', null);
    expect(all.map((p) => `${p.partition}=${p.committed.offset}`).sort()).toEqual(['0=396', '1=397', '2=398', '3=399']);
    await r.close();
  });
});
