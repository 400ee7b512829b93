// Thread: either. Small shared constants/helpers used by the generated codecs.
import { ProtocolEncodeError } from './errors.js';

/** An unknown tagged field preserved verbatim by the generated codecs. */
export interface UnknownTaggedField {
  tag: number;
  data: Buffer;
}

/**
 * Shared all-zero UUID used as the default for uuid fields. Do not mutate it:
 * decoders hand out this same instance for every absent uuid field.
 */
export const ZERO_UUID: Buffer = Buffer.alloc(16);

/** Shared empty buffer used as the default for bytes fields. */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

export function isZeroUuid(b: Buffer): boolean {
  for (let i = 0; i < 16; i++) if (b[i] !== 0) return false;
  return true;
}

/** Called by generated encoders when a field that is non-nullable in the target version is null. */
export function nonNullable(field: string, version: number): never {
  throw new ProtocolEncodeError(`${field} is null but non-nullable in version ${version}`);
}
