// Thread: main. Confluent's compatibility levels, built from one question each format answers
// (formats/*: can a reader of schema R read data written with W?):
//   BACKWARD: the new schema reads data written with the latest one; FORWARD: the latest reads
//   the new one's data; FULL: both. The _TRANSITIVE forms ask it of every live version, not
//   only the latest. NONE: no check.
import { z } from 'zod';
import type { ParsedSchema, SchemaFormat } from './formats/index.js';

export const COMPATIBILITY_LEVELS = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'] as const;
export const compatibilityLevelSchema = z.enum(COMPATIBILITY_LEVELS);
export type CompatibilityLevel = z.infer<typeof compatibilityLevelSchema>;
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

/**
 * Why `candidate` may not be registered after `previous` (oldest first, live versions only)
 * under `level`; empty when it may.
 */
export function compatibilityErrors(format: SchemaFormat, level: CompatibilityLevel, candidate: ParsedSchema, previous: Array<{ version: number; schema: ParsedSchema }>): string[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const transitive = level.endsWith('_TRANSITIVE');
  const against = transitive ? previous : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const errors: string[] = [];
  // Newest first, as Confluent reports them.
  for (let i = against.length - 1; i >= 0; i--) {
    const { version, schema: old } = against[i]!;
    if (old.schemaType !== candidate.schemaType) {
      errors.push(`schema type changed from ${old.schemaType} to ${candidate.schemaType}`);
      continue;
    }
    if (backward) for (const e of format.readErrors(candidate, old)) errors.push(`version ${version}: new schema cannot read data written with it: ${e}`);
    if (forward) for (const e of format.readErrors(old, candidate)) errors.push(`version ${version}: it cannot read data written with the new schema: ${e}`);
  }
  return errors;
}
