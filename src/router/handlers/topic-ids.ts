// Thread: main. Topic ids travel as 16-byte uuids on the wire and as 32 hex characters inside.
export const ZERO_UUID: Buffer = Buffer.alloc(16);

export function topicIdToWire(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

export function topicIdFromWire(uuid: Buffer): string {
  return uuid.toString('hex');
}

/** Kafka prints topic ids in url-safe base64 without padding. */
export function topicIdToDisplay(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64url');
}
