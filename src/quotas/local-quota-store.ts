// Thread: main. Client quotas of a single broker (no Redis): in memory, saved as one JSON
// document `client-quotas.json` in the first log dir after every write, replaced atomically
// (temp file, fsync, rename, fsync of the directory). Writes are serialised; each resolves
// once its document is on disk.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { QUOTA_KEYS, type QuotaValues } from './quota-entity.js';
import { applyChanges, type QuotaChange, type QuotaStore } from './quota-store.js';

const valuesSchema = z.partialRecord(z.enum(QUOTA_KEYS), z.number().positive());
const fileSchema = z.object({ version: z.literal(1), entities: z.record(z.string(), valuesSchema) });

export const QUOTAS_FILE = 'client-quotas.json';

export class LocalQuotaStore implements QuotaStore {
  readonly kind = 'local';
  private readonly file: string;
  private map = new Map<string, QuotaValues>();
  private writing: Promise<void> = Promise.resolve();
  private readonly listeners: Array<() => void> = [];

  constructor(logDir: string) {
    this.file = path.join(logDir, QUOTAS_FILE);
  }

  async start(): Promise<void> {
    let raw: string;
    try {
      raw = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new Error(`client quotas file ${this.file} is not valid JSON: ${(err as Error).message}`);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) throw new Error(`client quotas file ${this.file} is invalid: ${z.prettifyError(parsed.error)}`);
    this.map = new Map(Object.entries(parsed.data.entities) as Array<[string, QuotaValues]>);
    this.notify();
  }

  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
  }

  entries(): ReadonlyMap<string, QuotaValues> {
    return this.map;
  }

  async refresh(): Promise<void> {}

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  alter(changes: QuotaChange[]): Promise<void> {
    this.map = applyChanges(this.map, changes);
    this.notify();
    const text = JSON.stringify({ version: 1, entities: Object.fromEntries(this.map) });
    const done = this.writing.catch(() => undefined).then(() => this.save(text));
    this.writing = done;
    return done;
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  private async save(text: string): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const handle = await fsp.open(tmp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, this.file);
    const dir = await fsp.open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
