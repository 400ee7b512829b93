// Thread: main. The schema registry's storage contract, with one implementation per engine:
// local-registry-store.ts (one JSON file in the first log dir, embedded mode) and
// redis-registry-store.ts (shared by every broker on the same Redis and redis.key.prefix).
// Schemas are immutable and keyed by a global id; identical schemas (same type, normalised
// text and references: the fingerprint) share one id. A subject is a list of versions pointing
// at schema ids, plus its compatibility level; subjects change by compare-and-set on a revision
// counter, so two brokers registering under one subject at once cannot both win.
import { z } from 'zod';
import { compatibilityLevelSchema, type CompatibilityLevel } from './compatibility.js';
import { SCHEMA_TYPES } from './formats/index.js';

export const schemaReferenceSchema = z.object({
  name: z.string().min(1).max(1_000),
  subject: z.string().min(1).max(1_000),
  version: z.number().int().min(1),
});

export const schemaRecordSchema = z.object({
  schemaType: z.enum(SCHEMA_TYPES),
  schema: z.string(),
  references: z.array(schemaReferenceSchema),
});
export type SchemaRecord = z.infer<typeof schemaRecordSchema>;

export const subjectVersionSchema = z.object({
  version: z.number().int().min(1),
  id: z.number().int().min(1),
  /** Soft-deleted: hidden unless asked for with ?deleted=true; permanent delete removes the entry. */
  deleted: z.boolean(),
});
export type SubjectVersion = z.infer<typeof subjectVersionSchema>;

export const subjectRecordSchema = z.object({
  /** Grows by one with every write of this subject (compare-and-set). */
  rev: z.number().int().min(1),
  versions: z.array(subjectVersionSchema),
  /** Subject-level compatibility; absent: the global level applies. */
  compatibility: compatibilityLevelSchema.optional(),
});
export type SubjectRecord = z.infer<typeof subjectRecordSchema>;

export interface RegistryStore {
  readonly kind: 'local' | 'redis';
  start(): Promise<void>;
  close(): Promise<void>;
  /** Subjects as last loaded: synchronous, may lag another broker's writes until refresh(). */
  subjects(): ReadonlyMap<string, SubjectRecord>;
  /** The global compatibility level set by PUT /config; undefined: the built-in default. */
  globalCompatibility(): CompatibilityLevel | undefined;
  /** Makes subjects() and globalCompatibility() current (one round trip when nothing changed). */
  refresh(): Promise<void>;
  /** A schema by id (cached: schemas never change). */
  schema(id: number): Promise<SchemaRecord | undefined>;
  /** The id of the schema with this fingerprint, if registered. */
  findSchemaId(fingerprint: string): Promise<number | undefined>;
  /** The id of the schema with this fingerprint, allocated atomically when new (ids are never reused). */
  schemaId(fingerprint: string, record: SchemaRecord): Promise<number>;
  /**
   * Writes a subject when its stored revision is still `expectedRev` (0: absent); `next` null
   * deletes it. False: another writer came first (the caller refreshes and retries).
   */
  putSubject(subject: string, expectedRev: number, next: SubjectRecord | null): Promise<boolean>;
  /** Sets (undefined: removes) the global compatibility level. */
  setGlobalCompatibility(level: CompatibilityLevel | undefined): Promise<void>;
}

/** Bounded map of immutable schemas by id (the oldest entry goes first). */
export class SchemaCache {
  private readonly map = new Map<number, SchemaRecord>();
  constructor(private readonly maxEntries = 10_000) {}

  get(id: number): SchemaRecord | undefined {
    return this.map.get(id);
  }

  set(id: number, record: SchemaRecord): void {
    if (this.map.size >= this.maxEntries && !this.map.has(id)) this.map.delete(this.map.keys().next().value!);
    this.map.set(id, record);
  }
}
