// Thread: main. An exclusive lock on a log directory (`<dir>/.lock`, the file Kafka uses), so
// a second broker refuses to start on a directory a running broker holds.
//
// Node has no flock(2), so the lock is the file's existence. Its content names the holder:
// pid, the process start time in clock ticks (Linux: /proc/<pid>/stat field 22), the kernel
// boot id, the host and a random nonce. It is written in full to a private temp file and
// published with link(2), which fails with EEXIST when `.lock` exists: readers never see a
// half-written lock. A lock is stale (its holder is gone) when it was written under another
// kernel boot, when its pid is dead (kill(pid, 0) → ESRCH), or when that pid now belongs to a
// process that started at another time (pid reuse, e.g. pid 1 in a restarted container).
// A broker killed with SIGKILL therefore never blocks the next start.
//
// Races: two brokers that start at once both try link(2); exactly one wins. Two brokers that
// both find the same stale lock must not delete each other's fresh lock: a stale lock is
// removed only under `.lock.break` (also taken with link(2), held for a few synchronous
// system calls), and only if `.lock` still has the inode and the exact content (nonce
// included) that was judged stale. The breaker itself counts as stale when its holder is
// dead or it is older than BREAKER_STALE_MS.
//
// Filesystems without hard links fall back to open(O_CREAT|O_EXCL) + one write; a reader that
// finds an empty or unparseable lock younger than PARTIAL_GRACE_MS waits for the writer.
import { StrataError } from '../errors.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currentBootId } from './boot-marker.js';

export const LOCK_FILE = '.lock';
const BREAKER_FILE = '.lock.break';
const BREAKER_STALE_MS = 10_000;
const PARTIAL_GRACE_MS = 2_000;
const ACQUIRE_DEADLINE_MS = 5_000;

/** Who holds a lock: what `.lock` contains (one JSON line). */
export interface LockOwner {
  pid: number;
  /** Process start time in clock ticks since boot (Linux), null where unknown. */
  startTicks: string | null;
  /** Kernel boot id, null where the platform has none. */
  bootId: string | null;
  host: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** Random: makes every lock's content unique, so a fresh lock is never mistaken for a stale one. */
  nonce: string;
}

export class LogDirLockedError extends StrataError {
  constructor(
    readonly dir: string,
    readonly holder: LockOwner,
  ) {
    super(
      'STRATA_ERR_LOG_DIR_LOCKED',
      `log directory ${dir} is in use by another broker (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}); ` +
        `stop that broker first, or give this one another log.dirs (lock file ${path.join(dir, LOCK_FILE)})`,
    );
  }
}

export interface LogDirLock {
  readonly dir: string;
  readonly owner: LockOwner;
  /** Removes `.lock` if it is still ours. Idempotent. */
  release(): void;
}

export interface AcquireOptions {
  /** Identity written into the lock (tests simulate other processes); default: this process. */
  owner?: LockOwner;
  /** Whether a lock's holder still runs; default: boot id, kill(pid, 0) and start time. */
  isAlive?: (owner: LockOwner) => boolean;
  /** Test hook: runs after a stale lock was read, before it is broken. */
  beforeBreak?: () => void;
}

const held = new Set<LogDirLock>();
let exitHookInstalled = false;

/** Takes `<dir>/.lock` (creating dir); throws LogDirLockedError when a live process holds it. */
export function acquireLogDirLock(dir: string, opts: AcquireOptions = {}): LogDirLock {
  const absDir = path.resolve(dir);
  fs.mkdirSync(absDir, { recursive: true });
  const owner = opts.owner ?? ownerForThisProcess();
  const isAlive = opts.isAlive ?? ownerIsAlive;
  const lockPath = path.join(absDir, LOCK_FILE);
  const content = JSON.stringify(owner) + '\n';
  const deadline = Date.now() + ACQUIRE_DEADLINE_MS;
  for (;;) {
    if (publish(lockPath, content)) return track(absDir, owner, lockPath, content);
    const seen = readLockFile(lockPath);
    if (seen) {
      if (seen.owner === null && Date.now() - seen.mtimeMs < PARTIAL_GRACE_MS) {
        sleepSync(20); // a writer without hard links is between create and write
      } else if (seen.owner !== null && isAlive(seen.owner)) {
        throw new LogDirLockedError(absDir, seen.owner);
      } else {
        opts.beforeBreak?.();
        breakStale(absDir, lockPath, seen, content, isAlive);
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`log directory ${absDir}: could not take ${LOCK_FILE} within ${ACQUIRE_DEADLINE_MS} ms (another broker keeps starting and stopping on it?)`);
    }
  }
}

/** Locks every directory (duplicates once); on failure releases the ones already taken. */
export function acquireLogDirLocks(dirs: string[], opts: AcquireOptions = {}): LogDirLock[] {
  const unique = [...new Set(dirs.map((d) => path.resolve(d)))];
  const locks: LogDirLock[] = [];
  try {
    for (const dir of unique) locks.push(acquireLogDirLock(dir, opts));
  } catch (err) {
    for (const lock of locks) lock.release();
    throw err;
  }
  return locks;
}

export function ownerForThisProcess(): LockOwner {
  return {
    pid: process.pid,
    startTicks: processStartTicks(process.pid),
    bootId: currentBootId(),
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    nonce: crypto.randomBytes(8).toString('hex'),
  };
}

/** True unless the owner's kernel boot, pid or process start time shows it is gone. */
export function ownerIsAlive(owner: LockOwner): boolean {
  const bootId = currentBootId();
  if (owner.bootId !== null && bootId !== null && owner.bootId !== bootId) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: the pid exists but belongs to another user — alive.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (owner.startTicks !== null) {
    const ticks = processStartTicks(owner.pid);
    if (ticks !== null && ticks !== owner.startTicks) return false; // the pid was reused
  }
  return true;
}

/** Start time of pid in clock ticks since boot (field 22 of /proc/<pid>/stat), null where unknown. */
export function processStartTicks(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is parenthesised and may contain spaces or ')': fields 3… follow the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = rest[22 - 3];
    return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

interface SeenLock {
  ino: number;
  mtimeMs: number;
  text: string;
  owner: LockOwner | null;
}

function readLockFile(file: string): SeenLock | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    const text = fs.readFileSync(fd, 'utf8');
    return { ino: st.ino, mtimeMs: st.mtimeMs, text, owner: parseOwner(text) };
  } finally {
    fs.closeSync(fd);
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0) return null;
    return {
      pid: o.pid,
      startTicks: typeof o.startTicks === 'string' ? o.startTicks : null,
      bootId: typeof o.bootId === 'string' ? o.bootId : null,
      host: typeof o.host === 'string' ? o.host : 'unknown host',
      startedAt: typeof o.startedAt === 'string' ? o.startedAt : 'unknown time',
      nonce: typeof o.nonce === 'string' ? o.nonce : '',
    };
  } catch {
    return null;
  }
}

/** Atomically creates `file` with `content`; false when it already exists. */
function publish(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, content, { flag: 'wx', mode: 0o644 });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') return publishExclusive(file, content);
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Fallback without hard links: O_CREAT|O_EXCL, then one write (readers wait out the gap). */
function publishExclusive(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** Removes the stale lock `seen` under the breaker, unless `.lock` changed since it was read. */
function breakStale(dir: string, lockPath: string, seen: SeenLock, content: string, isAlive: (o: LockOwner) => boolean): void {
  const breakerPath = path.join(dir, BREAKER_FILE);
  if (!publish(breakerPath, content)) {
    const breaker = readLockFile(breakerPath);
    const abandoned =
      breaker !== null && (Date.now() - breaker.mtimeMs > BREAKER_STALE_MS || (breaker.owner !== null && !isAlive(breaker.owner)));
    if (abandoned) removeIfUnchanged(breakerPath, breaker);
    else sleepSync(10); // another starter is breaking the stale lock right now
    return;
  }
  try {
    removeIfUnchanged(lockPath, seen);
  } finally {
    fs.rmSync(breakerPath, { force: true });
  }
}

function removeIfUnchanged(file: string, seen: SeenLock): void {
  const now = readLockFile(file);
  if (now && now.ino === seen.ino && now.text === seen.text) fs.rmSync(file, { force: true });
}

function track(dir: string, owner: LockOwner, lockPath: string, content: string): LogDirLock {
  const lock: LogDirLock = {
    dir,
    owner,
    release() {
      if (!held.delete(lock)) return;
      try {
        if (fs.readFileSync(lockPath, 'utf8') === content) fs.rmSync(lockPath, { force: true });
      } catch {
        // already gone (or the directory was removed): nothing to release
      }
    },
  };
  held.add(lock);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // process.exit() after a failed start, or an uncaught error: leave no lock behind.
    process.once('exit', () => {
      for (const l of [...held]) l.release();
    });
  }
  return lock;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
