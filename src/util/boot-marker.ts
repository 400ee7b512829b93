// Thread: main. Which kernel boot last wrote this log directory. After a broker crash (SIGKILL,
// OOM kill, fatal bug) the kernel keeps running and its page cache holds every completed write,
// flushed or not, so recovery need not CRC-check the whole unflushed tail; after a kernel
// crash or power loss it must. The file `boot-id` in the log directory holds the kernel boot id
// (Linux: /proc/sys/kernel/random/boot_id) of the broker run that last used the directory; it
// is replaced (temp file, fsync, rename) after start-up recovery, before any append. A missing,
// unreadable or different id, or no boot id at all (other platforms), means "not intact".
import fs from 'node:fs';
import path from 'node:path';

export const BOOT_MARKER_FILE = 'boot-id';
const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

/** The running kernel's boot id, or null where there is none. */
export function currentBootId(bootIdPath = BOOT_ID_PATH): string | null {
  try {
    const id = fs.readFileSync(bootIdPath, 'utf8').trim();
    return /^[0-9a-f-]{16,64}$/i.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** The boot id recorded by the previous broker run in logDir, or null. */
export function readBootMarker(logDir: string): string | null {
  try {
    const id = fs.readFileSync(path.join(logDir, BOOT_MARKER_FILE), 'utf8').trim();
    return id.length > 0 ? id : null;
  } catch {
    return null;
  }
}

/** True when the page cache still holds everything the previous run wrote (same kernel boot). */
export function pageCacheIntact(logDir: string, bootId: string | null = currentBootId()): boolean {
  if (bootId === null) return false;
  return readBootMarker(logDir) === bootId;
}

/** Records bootId as the boot that uses logDir now (durably: temp file, fsync, rename). */
export function writeBootMarker(logDir: string, bootId: string | null = currentBootId()): void {
  const final = path.join(logDir, BOOT_MARKER_FILE);
  if (bootId === null) {
    fs.rmSync(final, { force: true });
    return;
  }
  const tmp = `${final}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, `${bootId}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, final);
}
