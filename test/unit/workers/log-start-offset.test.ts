import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOG_START_OFFSET_FILE, readLogStartOffset, serializeLogStartOffset, writeLogStartOffset } from '../../../workers/log-start-offset.js';
import { cleanupDirs, tempDir } from './log-fixtures.js';

afterEach(() => cleanupDirs());

describe('log-start-offset checkpoint', () => {
  it('is 0 when the file or the directory is missing', () => {
    const dir = tempDir();
    expect(readLogStartOffset(dir)).toBe(0);
    expect(readLogStartOffset(path.join(dir, 'absent'))).toBe(0);
  });

  it('round-trips through a durable write and leaves no temp file', async () => {
    const dir = tempDir();
    await writeLogStartOffset(dir, 12345);
    expect(readLogStartOffset(dir)).toBe(12345);
    await writeLogStartOffset(dir, 2 ** 52);
    expect(readLogStartOffset(dir)).toBe(2 ** 52);
    expect(fs.readdirSync(dir)).toEqual([LOG_START_OFFSET_FILE]);
  });

  it('ignores a file whose checksum or content is wrong', () => {
    const dir = tempDir();
    const file = path.join(dir, LOG_START_OFFSET_FILE);
    fs.writeFileSync(file, serializeLogStartOffset(77).replace('77', '78'));
    expect(readLogStartOffset(dir)).toBe(0);
    fs.writeFileSync(file, 'garbage');
    expect(readLogStartOffset(dir)).toBe(0);
    const negative = serializeLogStartOffset(-5);
    fs.writeFileSync(file, negative);
    expect(readLogStartOffset(dir)).toBe(0);
    fs.writeFileSync(file, serializeLogStartOffset(77));
    expect(readLogStartOffset(dir)).toBe(77);
  });
});
