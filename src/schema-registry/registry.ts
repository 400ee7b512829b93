// Thread: main. The schema registry: subjects, versions and global ids over a RegistryStore,
// with Confluent Schema Registry's semantics (the HTTP routes are in http-app.ts):
//   - a schema is parsed by its format (formats/*) before anything is stored: invalid → 42201;
//   - identical schemas (type + normalised text + references) share one global id, whichever
//     subject they are registered under; registering a schema a subject already holds returns
//     the existing id (and adds no version);
//   - a new version must pass the subject's compatibility level (or the global one, BACKWARD by
//     default) against the live versions: 409 otherwise;
//   - versions are numbered 1, 2, … per subject, never reused while the subject exists (soft-
//     deleted ones count); soft delete hides, permanent delete (only after a soft delete) removes;
//   - references name other subjects' versions; they are resolved (transitively, bounded) when a
//     schema is parsed, and a referenced version cannot be deleted.
// Writes to a subject are compare-and-set on its revision (retried a few times), so two brokers
// sharing Redis cannot both add "version 3".
import { createHash } from 'node:crypto';
import { compatibilityErrors, DEFAULT_COMPATIBILITY, type CompatibilityLevel } from './compatibility.js';
import {
  invalidSchema,
  invalidVersion,
  RegistryError,
  RegistryErrorCode,
  schemaNotFound,
  subjectNotFound,
  versionNotFound,
} from './errors.js';
import { formatOf, type ParsedSchema, type ResolvedReference, type SchemaReference, type SchemaType } from './formats/index.js';
import type { RegistryStore, SchemaRecord, SubjectRecord, SubjectVersion } from './registry-store.js';

export interface SchemaInput {
  schema: string;
  schemaType?: SchemaType;
  references?: SchemaReference[];
}

export interface SchemaView {
  subject: string;
  version: number;
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

/** Bounds on reference graphs (depth and total count). */
const MAX_REFERENCE_DEPTH = 16;
const MAX_REFERENCES = 1_000;
/** Compare-and-set attempts of one subject write before 50001. */
const MAX_WRITE_ATTEMPTS = 10;
const MAX_SUBJECT_CHARS = 1_000;

export type VersionSpec = number | 'latest';

/** `1`…`2^31-1` or `latest` (also -1, as Confluent accepts); anything else → 42202. */
export function parseVersion(text: string): VersionSpec {
  if (text === 'latest' || text === '-1') return 'latest';
  if (!/^[0-9]{1,10}$/.test(text)) throw invalidVersion(text);
  const n = Number(text);
  if (n < 1 || n > 2 ** 31 - 1) throw invalidVersion(text);
  return n;
}

export function checkSubjectName(subject: string): void {
  // eslint-disable-next-line no-control-regex
  if (subject === '' || subject.length > MAX_SUBJECT_CHARS || /[\u0000-\u001f]/.test(subject)) {
    throw new RegistryError(RegistryErrorCode.BAD_REQUEST, `Invalid subject name: it must be 1 to ${MAX_SUBJECT_CHARS} characters without control characters`);
  }
}

export class SchemaRegistry {
  /** Parsed schemas by id (bounded), for compatibility checks against stored versions. */
  private readonly parsedById = new Map<number, ParsedSchema>();
  private refreshingForValidation: Promise<void> | undefined;

  constructor(readonly store: RegistryStore) {}

  // ------------------------------------------------------------------ ids and lookups

  /** The schema with this global id; 40403 when there is none. */
  async getById(id: number): Promise<SchemaRecord & { id: number }> {
    const record = Number.isSafeInteger(id) && id > 0 ? await this.store.schema(id) : undefined;
    if (record === undefined) throw schemaNotFound();
    return { id, ...record };
  }

  /** The version of `subject` holding this schema (normalised comparison); 40401 / 40403 otherwise. */
  async lookup(subject: string, input: SchemaInput, includeDeleted = false): Promise<SchemaView> {
    await this.store.refresh();
    const record = this.store.subjects().get(subject);
    const versions = record?.versions.filter((v) => includeDeleted || !v.deleted) ?? [];
    if (versions.length === 0) throw subjectNotFound(subject);
    const { fingerprint } = await this.prepare(input);
    const id = await this.store.findSchemaId(fingerprint);
    const match = id === undefined ? undefined : [...versions].reverse().find((v) => v.id === id);
    if (match === undefined) throw schemaNotFound();
    return this.view(subject, match);
  }

  /** Registers `input` under `subject` (or returns the id it already has there). */
  async register(subject: string, input: SchemaInput): Promise<{ id: number; version: number }> {
    checkSubjectName(subject);
    const prepared = await this.prepare(input);
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      await this.store.refresh();
      const current = this.store.subjects().get(subject);
      const live = current?.versions.filter((v) => !v.deleted) ?? [];
      const knownId = await this.store.findSchemaId(prepared.fingerprint);
      const existing = knownId === undefined ? undefined : live.find((v) => v.id === knownId);
      if (existing !== undefined) return { id: existing.id, version: existing.version };
      const level = this.levelOf(current);
      const previous = await Promise.all(live.map(async (v) => ({ version: v.version, schema: await this.parsedSchema(v.id) })));
      const errors = compatibilityErrors(formatOf(prepared.record.schemaType), level, prepared.parsed, previous);
      if (errors.length > 0) {
        throw new RegistryError(
          RegistryErrorCode.INCOMPATIBLE_SCHEMA,
          `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${errors.join('; ')}] (compatibility ${level})`,
        );
      }
      const id = await this.store.schemaId(prepared.fingerprint, prepared.record);
      this.rememberParsed(id, prepared.parsed);
      const version = Math.max(0, ...(current?.versions.map((v) => v.version) ?? [])) + 1;
      const next: SubjectRecord = { ...current, rev: (current?.rev ?? 0) + 1, versions: [...(current?.versions ?? []), { version, id, deleted: false }] };
      if (await this.store.putSubject(subject, current?.rev ?? 0, next)) return { id, version };
    }
    throw new RegistryError(RegistryErrorCode.STORE_ERROR, `Subject ${subject} kept changing under concurrent registrations; try again`);
  }

  // ------------------------------------------------------------------ subjects and versions

  async subjects(includeDeleted = false, prefix = ''): Promise<string[]> {
    await this.store.refresh();
    const out: string[] = [];
    for (const [name, rec] of this.store.subjects()) {
      if (name.startsWith(prefix) && rec.versions.some((v) => includeDeleted || !v.deleted)) out.push(name);
    }
    return out.sort();
  }

  async versions(subject: string, includeDeleted = false): Promise<number[]> {
    await this.store.refresh();
    const versions = this.store.subjects().get(subject)?.versions.filter((v) => includeDeleted || !v.deleted) ?? [];
    if (versions.length === 0) throw subjectNotFound(subject);
    return versions.map((v) => v.version);
  }

  async getVersion(subject: string, spec: VersionSpec, includeDeleted = false): Promise<SchemaView> {
    await this.store.refresh();
    return this.view(subject, this.findVersion(subject, spec, includeDeleted));
  }

  /** Ids of the live schemas that reference `subject` version `spec`. */
  async referencedBy(subject: string, spec: VersionSpec): Promise<number[]> {
    await this.store.refresh();
    const target = this.findVersion(subject, spec, false);
    return this.referencingIds(subject, target.version);
  }

  /** Soft delete (hides every live version) or, after one, permanent delete. Returns the versions. */
  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      await this.store.refresh();
      const current = this.store.subjects().get(subject);
      if (current === undefined || current.versions.length === 0) throw subjectNotFound(subject);
      const live = current.versions.filter((v) => !v.deleted);
      for (const v of current.versions) await this.refuseIfReferenced(subject, v.version);
      let next: SubjectRecord | null;
      let answer: number[];
      if (permanent) {
        if (live.length > 0) throw new RegistryError(RegistryErrorCode.SUBJECT_NOT_SOFT_DELETED, `Subject '${subject}' was not deleted first before being permanently deleted`);
        answer = current.versions.map((v) => v.version);
        next = current.compatibility === undefined ? null : { rev: current.rev + 1, versions: [], compatibility: current.compatibility };
      } else {
        if (live.length === 0) throw new RegistryError(RegistryErrorCode.SUBJECT_SOFT_DELETED, `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`);
        answer = live.map((v) => v.version);
        next = { ...current, rev: current.rev + 1, versions: current.versions.map((v) => ({ ...v, deleted: true })) };
      }
      if (await this.store.putSubject(subject, current.rev, next)) return answer;
    }
    throw new RegistryError(RegistryErrorCode.STORE_ERROR, `Subject ${subject} kept changing; try again`);
  }

  async deleteVersion(subject: string, spec: VersionSpec, permanent: boolean): Promise<number> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      await this.store.refresh();
      const current = this.store.subjects().get(subject);
      if (current === undefined || current.versions.length === 0) throw subjectNotFound(subject);
      const target = this.findVersion(subject, spec, permanent);
      await this.refuseIfReferenced(subject, target.version);
      let versions: SubjectVersion[];
      if (permanent) {
        if (!target.deleted) {
          throw new RegistryError(RegistryErrorCode.SCHEMA_VERSION_NOT_SOFT_DELETED, `Subject '${subject}' Version ${target.version} was not deleted first before being permanently deleted`);
        }
        versions = current.versions.filter((v) => v.version !== target.version);
      } else {
        versions = current.versions.map((v) => (v.version === target.version ? { ...v, deleted: true } : v));
      }
      if (await this.store.putSubject(subject, current.rev, { ...current, rev: current.rev + 1, versions })) return target.version;
    }
    throw new RegistryError(RegistryErrorCode.STORE_ERROR, `Subject ${subject} kept changing; try again`);
  }

  // ------------------------------------------------------------------ compatibility and config

  /** Is `input` compatible with `spec` (latest: every version the level looks at) of `subject`? */
  async testCompatibility(subject: string, spec: VersionSpec | 'all', input: SchemaInput): Promise<{ compatible: boolean; messages: string[] }> {
    await this.store.refresh();
    const current = this.store.subjects().get(subject);
    const live = current?.versions.filter((v) => !v.deleted) ?? [];
    const prepared = await this.prepare(input);
    if (live.length === 0) {
      if (spec === 'all') return { compatible: true, messages: [] };
      throw subjectNotFound(subject);
    }
    const against = spec === 'latest' || spec === 'all' ? live : [this.findVersion(subject, spec, false)];
    const level = this.levelOf(current);
    // A specific version is compared with alone, whatever the level's transitivity.
    const effective = spec === 'latest' || spec === 'all' ? level : (level.replace('_TRANSITIVE', '') as CompatibilityLevel);
    const previous = await Promise.all(against.map(async (v) => ({ version: v.version, schema: await this.parsedSchema(v.id) })));
    const messages = compatibilityErrors(formatOf(prepared.record.schemaType), effective, prepared.parsed, previous);
    return { compatible: messages.length === 0, messages };
  }

  async globalCompatibility(): Promise<CompatibilityLevel> {
    await this.store.refresh();
    return this.store.globalCompatibility() ?? DEFAULT_COMPATIBILITY;
  }

  async setGlobalCompatibility(level: CompatibilityLevel | undefined): Promise<void> {
    await this.store.setGlobalCompatibility(level);
  }

  /** The subject's own level; undefined when it has none. */
  async subjectCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    await this.store.refresh();
    return this.store.subjects().get(subject)?.compatibility;
  }

  /** Sets (undefined: removes) a subject's level; returns the previous one. */
  async setSubjectCompatibility(subject: string, level: CompatibilityLevel | undefined): Promise<CompatibilityLevel | undefined> {
    checkSubjectName(subject);
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      await this.store.refresh();
      const current = this.store.subjects().get(subject);
      const previous = current?.compatibility;
      const versions = current?.versions ?? [];
      const next: SubjectRecord | null = level === undefined && versions.length === 0 ? null : { rev: (current?.rev ?? 0) + 1, versions, ...(level === undefined ? {} : { compatibility: level }) };
      if (current === undefined && next === null) return undefined;
      if (await this.store.putSubject(subject, current?.rev ?? 0, next)) return previous;
    }
    throw new RegistryError(RegistryErrorCode.STORE_ERROR, `Subject ${subject} kept changing; try again`);
  }

  // ------------------------------------------------------------------ broker-side validation

  /**
   * Synchronous answer from the loaded snapshot: is `id` a live version of `subject`?
   * undefined when the snapshot says no (the caller may ask `isRegisteredFresh`).
   */
  isRegistered(subject: string, id: number): boolean {
    const rec = this.store.subjects().get(subject);
    return rec !== undefined && rec.versions.some((v) => v.id === id && !v.deleted);
  }

  /** As isRegistered, after bringing the snapshot up to date (coalesced: one refresh for many callers). */
  async isRegisteredFresh(subject: string, id: number): Promise<boolean> {
    if (this.isRegistered(subject, id)) return true;
    this.refreshingForValidation ??= this.store.refresh().finally(() => {
      this.refreshingForValidation = undefined;
    });
    await this.refreshingForValidation;
    return this.isRegistered(subject, id);
  }

  // ------------------------------------------------------------------ internals

  private levelOf(subject: SubjectRecord | undefined): CompatibilityLevel {
    return subject?.compatibility ?? this.store.globalCompatibility() ?? DEFAULT_COMPATIBILITY;
  }

  private findVersion(subject: string, spec: VersionSpec, includeDeleted: boolean): SubjectVersion {
    const rec = this.store.subjects().get(subject);
    if (rec === undefined || rec.versions.length === 0 || (!includeDeleted && rec.versions.every((v) => v.deleted))) throw subjectNotFound(subject);
    const candidates = rec.versions.filter((v) => includeDeleted || !v.deleted);
    const found = spec === 'latest' ? candidates[candidates.length - 1] : candidates.find((v) => v.version === spec);
    if (found === undefined) throw versionNotFound(subject, spec);
    return found;
  }

  private async view(subject: string, v: SubjectVersion): Promise<SchemaView> {
    const record = await this.store.schema(v.id);
    if (record === undefined) throw new RegistryError(RegistryErrorCode.STORE_ERROR, `Schema ${v.id} of ${subject} version ${v.version} is missing from the store`);
    return { subject, version: v.version, id: v.id, schemaType: record.schemaType, schema: record.schema, references: record.references };
  }

  private async prepare(input: SchemaInput): Promise<{ record: SchemaRecord; parsed: ParsedSchema; fingerprint: string }> {
    const schemaType = input.schemaType ?? 'AVRO';
    const references = input.references ?? [];
    if (references.length > 0) await this.store.refresh();
    const resolved = await this.resolveReferences(references, 0, new Set());
    const parsed = formatOf(schemaType).parse(input.schema, resolved);
    const record: SchemaRecord = { schemaType, schema: parsed.canonical, references };
    const fingerprint = createHash('sha256').update(JSON.stringify([schemaType, parsed.canonical, references])).digest('hex');
    return { record, parsed, fingerprint };
  }

  /** References with their texts, dependencies first (depth-first, each name once). */
  private async resolveReferences(refs: SchemaReference[], depth: number, seen: Set<string>, out: ResolvedReference[] = []): Promise<ResolvedReference[]> {
    if (depth > MAX_REFERENCE_DEPTH) throw invalidSchema(`references nested deeper than ${MAX_REFERENCE_DEPTH} levels`);
    for (const ref of refs) {
      if (seen.has(ref.name)) continue;
      seen.add(ref.name);
      if (seen.size > MAX_REFERENCES) throw invalidSchema(`more than ${MAX_REFERENCES} references`);
      const v = this.store.subjects().get(ref.subject)?.versions.find((x) => x.version === ref.version && !x.deleted);
      const record = v && (await this.store.schema(v.id));
      if (record === undefined) throw invalidSchema(`reference ${ref.name}: subject ${ref.subject} version ${ref.version} not found`);
      await this.resolveReferences(record.references, depth + 1, seen, out);
      out.push({ name: ref.name, schemaType: record.schemaType, schema: record.schema });
    }
    return out;
  }

  private async parsedSchema(id: number): Promise<ParsedSchema> {
    const cached = this.parsedById.get(id);
    if (cached !== undefined) return cached;
    const record = await this.store.schema(id);
    if (record === undefined) throw new RegistryError(RegistryErrorCode.STORE_ERROR, `Schema ${id} is missing from the store`);
    const parsed = formatOf(record.schemaType).parse(record.schema, await this.resolveReferences(record.references, 0, new Set()));
    this.rememberParsed(id, parsed);
    return parsed;
  }

  private rememberParsed(id: number, parsed: ParsedSchema): void {
    if (this.parsedById.size >= 1_000) this.parsedById.delete(this.parsedById.keys().next().value!);
    this.parsedById.set(id, parsed);
  }

  private async referencingIds(subject: string, version: number): Promise<number[]> {
    const ids = new Set<number>();
    for (const rec of this.store.subjects().values()) {
      for (const v of rec.versions) {
        if (v.deleted) continue;
        const schema = await this.store.schema(v.id);
        if (schema?.references.some((r) => r.subject === subject && r.version === version)) ids.add(v.id);
      }
    }
    return [...ids].sort((a, b) => a - b);
  }

  private async refuseIfReferenced(subject: string, version: number): Promise<void> {
    const ids = await this.referencingIds(subject, version);
    if (ids.length > 0) {
      throw new RegistryError(RegistryErrorCode.REFERENCE_EXISTS, `One or more references exist to the schema {subject=${subject}, version=${version}}: schema ids ${ids.join(', ')}`);
    }
  }

  /** Subjects (and versions) where schema `id` is registered. */
  async subjectVersionsOf(id: number, includeDeleted = false): Promise<Array<{ subject: string; version: number }>> {
    await this.getById(id);
    await this.store.refresh();
    const out: Array<{ subject: string; version: number }> = [];
    for (const [subject, rec] of [...this.store.subjects()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const v of rec.versions) if (v.id === id && (includeDeleted || !v.deleted)) out.push({ subject, version: v.version });
    }
    return out;
  }
}
