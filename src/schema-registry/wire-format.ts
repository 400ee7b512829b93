// Thread: either (pure). Confluent's serialized-record framing, which every schema-registry
// serializer writes: magic byte 0, then the schema id as a 4-byte big-endian integer, then the
// encoded payload (protobuf adds message indexes after the id; they are the payload's business).

export const WIRE_HEADER_BYTES = 5;

/** The schema id of a framed value, or undefined when it is not framed (null, short, magic ≠ 0). */
export function readWireSchemaId(value: Uint8Array | null): number | undefined {
  if (value === null || value.length < WIRE_HEADER_BYTES || value[0] !== 0) return undefined;
  return ((value[1]! << 24) | (value[2]! << 16) | (value[3]! << 8) | value[4]!) >>> 0;
}

export function encodeWireHeader(schemaId: number): Buffer {
  const out = Buffer.alloc(WIRE_HEADER_BYTES);
  out.writeUInt32BE(schemaId, 1);
  return out;
}
