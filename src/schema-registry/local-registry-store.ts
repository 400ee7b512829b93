// Thread: main. The schema registry of a single broker (no Redis): everything in memory, saved
// as one JSON document `schema-registry.json` in the first log dir after every write, replaced
// atomically (write a temp file, fsync it, rename over the old one, fsync the directory), so a
// crash leaves the old or the new document, never a torn one. Writes are serialised; each
// resolves once its document is on disk.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { compatibilityLevelSchema, type CompatibilityLevel } from './compatibility.js';
import { schemaRecordSchema, subjectRecordSchema, type RegistryStore, type SchemaRecord, type SubjectRecord } from './registry-store.js';

const fileSchema = z.object({
  version: z.literal(1),
  /** The last id handed out; ids are never reused. */
  lastId: z.number().int().min(0),
  schemas: z.record(z.string().regex(/^[1-9][0-9]*$/), schemaRecordSchema),
  fingerprints: z.record(z.string(), z.number().int().min(1)),
  subjects: z.record(z.string(), subjectRecordSchema),
  compatibility: compatibilityLevelSchema.optional(),
});
type RegistryFile = z.infer<typeof fileSchema>;

export const REGISTRY_FILE = 'schema-registry.json';

export class LocalRegistryStore implements RegistryStore {
  readonly kind = 'local';
  private readonly file: string;
  private data: RegistryFile = { version: 1, lastId: 0, schemas: {}, fingerprints: {}, subjects: {} };
  private subjectMap = new Map<string, SubjectRecord>();
  private writing: Promise<void> = Promise.resolve();

  constructor(logDir: string) {
    this.file = path.join(logDir, REGISTRY_FILE);
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
      throw new Error(`schema registry file ${this.file} is not valid JSON: ${(err as Error).message}`);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) throw new Error(`schema registry file ${this.file} is invalid: ${z.prettifyError(parsed.error)}`);
    this.data = parsed.data;
    this.subjectMap = new Map(Object.entries(this.data.subjects));
  }

  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
  }

  subjects(): ReadonlyMap<string, SubjectRecord> {
    return this.subjectMap;
  }

  globalCompatibility(): CompatibilityLevel | undefined {
    return this.data.compatibility;
  }

  async refresh(): Promise<void> {}

  async schema(id: number): Promise<SchemaRecord | undefined> {
    return Object.hasOwn(this.data.schemas, String(id)) ? this.data.schemas[String(id)] : undefined;
  }

  async findSchemaId(fingerprint: string): Promise<number | undefined> {
    return Object.hasOwn(this.data.fingerprints, fingerprint) ? this.data.fingerprints[fingerprint] : undefined;
  }

  schemaId(fingerprint: string, record: SchemaRecord): Promise<number> {
    return this.write(() => {
      const existing = Object.hasOwn(this.data.fingerprints, fingerprint) ? this.data.fingerprints[fingerprint] : undefined;
      if (existing !== undefined) return { result: existing, changed: false };
      const id = ++this.data.lastId;
      this.data.schemas[String(id)] = record;
      this.data.fingerprints[fingerprint] = id;
      return { result: id, changed: true };
    });
  }

  putSubject(subject: string, expectedRev: number, next: SubjectRecord | null): Promise<boolean> {
    return this.write(() => {
      const current = this.subjectMap.get(subject);
      if ((current?.rev ?? 0) !== expectedRev) return { result: false, changed: false };
      if (next === null) {
        this.subjectMap.delete(subject);
        delete this.data.subjects[subject];
      } else {
        this.subjectMap.set(subject, next);
        this.data.subjects[subject] = next;
      }
      return { result: true, changed: true };
    });
  }

  setGlobalCompatibility(level: CompatibilityLevel | undefined): Promise<void> {
    return this.write(() => {
      if (level === undefined) delete this.data.compatibility;
      else this.data.compatibility = level;
      return { result: undefined, changed: true };
    });
  }

  /** Applies `change` to the in-memory document at once (call order), then saves it; resolves when saved. */
  private write<T>(change: () => { result: T; changed: boolean }): Promise<T> {
    const { result, changed } = change();
    if (!changed) return this.writing.then(() => result);
    const snapshot = JSON.stringify(this.data);
    const done = this.writing.catch(() => undefined).then(() => this.save(snapshot));
    this.writing = done;
    return done.then(() => result);
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

/** For tests and tools: the file's path under a log dir. */
export function registryFilePath(logDir: string): string {
  return path.join(logDir, REGISTRY_FILE);
}
