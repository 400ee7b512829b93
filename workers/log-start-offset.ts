// Thread: worker. The per-partition log start offset checkpoint: where DeleteRecords moved a
// partition's log start offset, so that it survives a restart (Kafka keeps the same fact in
// `log-start-offset-checkpoint`, one file per log dir; here each partition directory holds its
// own, because one worker slot owns each partition and nothing then shares a file).
//
// File `log-start-offset` (text): line 1 is JSON {"v":1,"logStartOffset":N}, line 2 the
// CRC-32C of line 1 in decimal. Written durably (temp file, fdatasync, rename, directory
// fsync) before DeleteRecords answers. A missing file means 0 (never advanced); a corrupt one
// is ignored the same way — the log then starts at its first segment, as before the call.
import fs from 'node:fs';
import path from 'node:path';
import { crc32c } from '../src/protocol/crc32c.js';

export const LOG_START_OFFSET_FILE = 'log-start-offset';

/** The persisted log start offset of the partition in `dir`; 0 when none (or unreadable). */
export function readLogStartOffset(dir: string): number {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, LOG_START_OFFSET_FILE), 'utf8');
  } catch {
    return 0;
  }
  const [json, crcLine] = text.split('\n');
  if (json === undefined || crcLine === undefined) return 0;
  if (String(crc32c(Buffer.from(json, 'utf8'))) !== crcLine.trim()) return 0;
  try {
    const parsed = JSON.parse(json) as { v?: unknown; logStartOffset?: unknown };
    if (parsed.v !== 1 || !Number.isSafeInteger(parsed.logStartOffset) || (parsed.logStartOffset as number) < 0) return 0;
    return parsed.logStartOffset as number;
  } catch {
    return 0;
  }
}

export function serializeLogStartOffset(logStartOffset: number): string {
  const json = JSON.stringify({ v: 1, logStartOffset });
  return `${json}\n${crc32c(Buffer.from(json, 'utf8'))}\n`;
}

/** Durable replace: temp file, fdatasync, rename, fsync of the directory. */
export async function writeLogStartOffset(dir: string, logStartOffset: number): Promise<void> {
  const final = path.join(dir, LOG_START_OFFSET_FILE);
  const tmp = `${final}.tmp`;
  const handle = await fs.promises.open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(serializeLogStartOffset(logStartOffset));
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, final);
  const dirHandle = await fs.promises.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** Removes the file (the log was truncated fully and starts afresh at the recorded offset). */
export function removeLogStartOffset(dir: string): void {
  fs.rmSync(path.join(dir, LOG_START_OFFSET_FILE), { force: true });
}
