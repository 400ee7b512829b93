// Thread: main. Broker-side schema validation (Confluent Server's topic configs
// `confluent.value.schema.validation` / `confluent.key.schema.validation`): every record's value
// (key) must carry the serializers' framing — magic byte 0 + a 4-byte schema id — with an id
// registered under the subject the topic's strategy names (any live version). The produce
// handler asks `topicValidation(configs)` first: two property reads on the topic's overrides;
// only topics that turned validation on get their batches decoded here (decompressed with
// src/protocol/compression.ts on this thread, bounded by maxDecompressedBytes). Positive answers
// come from the registry's in-memory snapshot; an id not found there makes one (coalesced)
// refresh from the store before the record is refused.
import { codecsReady } from '../protocol/compression.js';
import { decodeRecordBatches } from '../protocol/records.js';
import type { SchemaRegistry } from './registry.js';
import type { SchemaRecord } from './registry-store.js';
import { readWireSchemaId } from './wire-format.js';

export type SubjectNameStrategy = 'TopicNameStrategy' | 'RecordNameStrategy' | 'TopicRecordNameStrategy';

export interface TopicValidation {
  key: SubjectNameStrategy | undefined;
  value: SubjectNameStrategy | undefined;
}

export interface RecordError {
  batchIndex: number;
  message: string;
}

export type ValidationVerdict = { ok: true } | { ok: false; errorMessage: string; recordErrors: RecordError[] };

/** Most record errors reported for one partition (the error message gives the total). */
const MAX_RECORD_ERRORS = 1_000;
/** Most distinct (subject, id) pairs one batch may ask the store about. */
const MAX_STORE_LOOKUPS = 64;

function strategyOf(value: string | undefined): SubjectNameStrategy {
  const short = (value ?? '').split('.').pop();
  return short === 'RecordNameStrategy' || short === 'TopicRecordNameStrategy' ? short : 'TopicNameStrategy';
}

/** What a topic validates; undefined (the common case) when it validates nothing. */
export function topicValidation(configs: Record<string, string>): TopicValidation | undefined {
  const value = configs['confluent.value.schema.validation'] === 'true';
  const key = configs['confluent.key.schema.validation'] === 'true';
  if (!value && !key) return undefined;
  return {
    key: key ? strategyOf(configs['confluent.key.subject.name.strategy']) : undefined,
    value: value ? strategyOf(configs['confluent.value.subject.name.strategy']) : undefined,
  };
}

/** The fully-qualified record name a schema defines (RecordNameStrategy), or undefined. */
export function recordNameOf(record: SchemaRecord): string | undefined {
  if (record.schemaType === 'PROTOBUF') {
    const pkg = /(?:^|[;\s])package\s+([\w.]+)\s*;/.exec(record.schema)?.[1];
    const msg = /(?:^|[;}\s])message\s+(\w+)/.exec(record.schema)?.[1];
    return msg === undefined ? undefined : pkg ? `${pkg}.${msg}` : msg;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(record.schema);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const o = doc as { name?: unknown; namespace?: unknown; title?: unknown };
  if (record.schemaType === 'JSON') return typeof o.title === 'string' ? o.title : undefined;
  if (typeof o.name !== 'string') return undefined;
  return o.name.includes('.') || typeof o.namespace !== 'string' || o.namespace === '' ? o.name : `${o.namespace}.${o.name}`;
}

export class RecordValidator {
  private readonly recordNames = new Map<number, string | null>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly maxDecompressedBytes: number,
  ) {}

  /** Checks every record of `records` (one partition's batches) against the topic's validation. */
  async validate(topic: string, validation: TopicValidation, records: Buffer): Promise<ValidationVerdict> {
    await codecsReady();
    let batches;
    try {
      batches = decodeRecordBatches(records, this.maxDecompressedBytes);
    } catch (err) {
      return { ok: false, errorMessage: `Schema validation could not decode the record batch: ${(err as Error).message}`, recordErrors: [] };
    }
    const problems: RecordError[] = [];
    let total = 0;
    const pending: Array<{ index: number; part: 'key' | 'value'; subject: string; id: number }> = [];
    let index = 0;
    for (const batch of batches) {
      for (const rec of batch.records) {
        for (const part of ['key', 'value'] as const) {
          const strategy = validation[part];
          if (strategy === undefined) continue;
          const id = readWireSchemaId(rec[part]);
          if (id === undefined) {
            total++;
            if (problems.length < MAX_RECORD_ERRORS) problems.push({ batchIndex: index, message: `The ${part} of record ${index} carries no schema id (magic byte 0 and a 4-byte schema id expected)` });
            continue;
          }
          const subject = await this.subjectFor(topic, part, strategy, id);
          if (subject === undefined) {
            total++;
            if (problems.length < MAX_RECORD_ERRORS) problems.push({ batchIndex: index, message: `The ${part} of record ${index} names schema id ${id}, which does not exist or defines no record name (${strategy})` });
          } else if (!this.registry.isRegistered(subject, id)) {
            pending.push({ index, part, subject, id });
          }
        }
        index++;
      }
    }
    if (pending.length > 0) {
      const verdicts = new Map<string, boolean>();
      for (const p of pending) {
        const k = `${p.id}\u0000${p.subject}`;
        if (verdicts.has(k)) continue;
        verdicts.set(k, verdicts.size < MAX_STORE_LOOKUPS ? await this.registry.isRegisteredFresh(p.subject, p.id) : false);
      }
      for (const p of pending) {
        if (verdicts.get(`${p.id}\u0000${p.subject}`) === true) continue;
        total++;
        if (problems.length < MAX_RECORD_ERRORS) problems.push({ batchIndex: p.index, message: `The ${p.part} of record ${p.index} names schema id ${p.id}, which is not registered under subject ${p.subject}` });
      }
      problems.sort((a, b) => a.batchIndex - b.batchIndex);
    }
    if (total === 0) return { ok: true };
    return {
      ok: false,
      errorMessage: `${total} record${total === 1 ? '' : 's'} failed schema validation (confluent.${validation.value ? 'value' : 'key'}.schema.validation on topic ${topic}); nothing of the batch was appended: ${problems[0]!.message}`,
      recordErrors: problems,
    };
  }

  private async subjectFor(topic: string, part: 'key' | 'value', strategy: SubjectNameStrategy, id: number): Promise<string | undefined> {
    if (strategy === 'TopicNameStrategy') return `${topic}-${part}`;
    let name = this.recordNames.get(id);
    if (name === undefined) {
      const record = await this.registry.store.schema(id);
      if (record === undefined) return undefined;
      name = recordNameOf(record) ?? null;
      if (this.recordNames.size >= 10_000) this.recordNames.delete(this.recordNames.keys().next().value!);
      this.recordNames.set(id, name);
    }
    if (name === null) return undefined;
    return strategy === 'RecordNameStrategy' ? name : `${topic}-${name}`;
  }
}
