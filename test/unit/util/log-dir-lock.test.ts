import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acquireLogDirLock,
  acquireLogDirLocks,
  LOCK_FILE,
  LogDirLockedError,
  ownerForThisProcess,
  ownerIsAlive,
  processStartTicks,
  type LockOwner,
} from '../../../src/util/log-dir-lock.js';
import { currentBootId } from '../../../src/util/boot-marker.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function writeLock(dir: string, owner: Partial<LockOwner>): void {
  const full: LockOwner = { ...ownerForThisProcess(), ...owner };
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(full) + '\n');
}

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  return child.pid!;
}

/** Simulated processes for race tests: a pid is alive while it is in `live`. */
function fakeOwner(pid: number): LockOwner {
  return { pid, startTicks: null, bootId: null, host: 'test', startedAt: new Date().toISOString(), nonce: `n${pid}-${Math.random()}` };
}

describe('acquireLogDirLock', () => {
  it('creates .lock naming this process and removes it on release', () => {
    const dir = path.join(tempDir(), 'nested', 'data');
    const lock = acquireLogDirLock(dir);
    const content = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockOwner;
    expect(content.pid).toBe(process.pid);
    expect(content.bootId).toBe(currentBootId());
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    lock.release(); // idempotent
    acquireLogDirLock(dir).release(); // free again
    expect(fs.readdirSync(dir)).toEqual([]); // no temp or breaker files left behind
  });

  it('refuses a directory a live process holds, naming the directory and the pid', () => {
    const dir = tempDir();
    const first = acquireLogDirLock(dir);
    let error: unknown;
    try {
      acquireLogDirLock(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LogDirLockedError);
    expect((error as Error).message).toContain(dir);
    expect((error as Error).message).toContain(`pid ${process.pid}`);
    expect((error as LogDirLockedError).code).toBe('STRATA_ERR_LOG_DIR_LOCKED');
    // The refused attempt left the holder's lock alone.
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).nonce).toBe(first.owner.nonce);
    first.release();
  });

  it('takes over a lock whose pid is dead (a broker killed with SIGKILL)', () => {
    const dir = tempDir();
    const pid = deadPid();
    writeLock(dir, { pid, startTicks: null });
    const lock = acquireLogDirLock(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock from another kernel boot, and one whose pid was reused', () => {
    const dir = tempDir();
    writeLock(dir, { bootId: '00000000-0000-0000-0000-000000000000' });
    if (currentBootId() !== null) acquireLogDirLock(dir).release();
    const ticks = processStartTicks(process.pid);
    if (ticks !== null) {
      // Same pid as a live process (this one) but another start time: the pid was reused.
      writeLock(dir, { startTicks: String(BigInt(ticks) + 1n) });
      acquireLogDirLock(dir).release();
    }
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('treats an old unparseable lock as stale (e.g. truncated by a crash)', () => {
    const dir = tempDir();
    const file = path.join(dir, LOCK_FILE);
    fs.writeFileSync(file, '');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    acquireLogDirLock(dir).release();
  });

  it('release leaves a lock alone that is no longer ours', () => {
    const dir = tempDir();
    const lock = acquireLogDirLock(dir);
    writeLock(dir, fakeOwner(12345));
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(true);
  });

  it('race: a starter that read a stale lock does not delete the lock another starter took meanwhile', () => {
    const dir = tempDir();
    const live = new Set<number>([101, 102]);
    const isAlive = (o: LockOwner) => live.has(o.pid);
    writeLock(dir, fakeOwner(999)); // stale: 999 is not alive
    let error: unknown;
    try {
      acquireLogDirLock(dir, {
        owner: fakeOwner(101),
        isAlive,
        // Between A reading the stale lock and breaking it, B breaks it and takes the directory.
        beforeBreak: () => void acquireLogDirLock(dir, { owner: fakeOwner(102), isAlive }),
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LogDirLockedError);
    expect((error as LogDirLockedError).holder.pid).toBe(102);
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(102);
  });

  it('race: both starters judged the same lock stale; the second does not break the first one\'s fresh lock', () => {
    const dir = tempDir();
    const live = new Set<number>([201, 202]);
    const isAlive = (o: LockOwner) => live.has(o.pid);
    writeLock(dir, fakeOwner(998));
    const outcomes: Array<number | string> = [];
    const attempt = (pid: number, beforeBreak?: () => void) => {
      try {
        acquireLogDirLock(dir, { owner: fakeOwner(pid), isAlive, beforeBreak });
        outcomes.push(pid);
      } catch (e) {
        outcomes.push(e instanceof LogDirLockedError ? `refused ${pid} (held by ${e.holder.pid})` : String(e));
      }
    };
    // A reads the stale lock; before A breaks it, B also reads it, and B's break comes second.
    let nested = false;
    attempt(201, () => {
      if (nested) return;
      nested = true;
      attempt(202, () => {
        // Now both hold the same stale snapshot. Let A run to completion first (break + take).
        attempt(201);
      });
    });
    // Exactly one owner, and everyone else was refused naming it.
    const winners = outcomes.filter((o) => typeof o === 'number');
    expect(winners).toHaveLength(1);
    const holder = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid as number;
    expect(winners[0]).toBe(holder);
    for (const o of outcomes.filter((x) => typeof x === 'string')) expect(o).toMatch(new RegExp(`held by ${holder}\\)`));
  });

  it('a breaker left by a crashed starter does not block forever', () => {
    const dir = tempDir();
    writeLock(dir, { pid: deadPid(), startTicks: null });
    fs.writeFileSync(path.join(dir, '.lock.break'), JSON.stringify({ ...ownerForThisProcess(), pid: deadPid() }) + '\n');
    acquireLogDirLock(dir).release();
  });

  it('acquireLogDirLocks locks each directory once and rolls back when one is held', () => {
    const a = tempDir();
    const b = tempDir();
    const locks = acquireLogDirLocks([a, `${a}/`, b]);
    expect(locks.map((l) => l.dir)).toEqual([a, b]);
    for (const l of locks) l.release();
    const holder = acquireLogDirLock(b);
    expect(() => acquireLogDirLocks([a, b])).toThrow(LogDirLockedError);
    expect(fs.existsSync(path.join(a, LOCK_FILE))).toBe(false); // a was released again
    holder.release();
  });
});

describe('ownerIsAlive', () => {
  it('this process is alive; a dead pid is not', () => {
    expect(ownerIsAlive(ownerForThisProcess())).toBe(true);
    expect(ownerIsAlive({ ...ownerForThisProcess(), pid: deadPid(), startTicks: null })).toBe(false);
  });
});
