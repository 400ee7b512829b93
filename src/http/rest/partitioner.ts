// Thread: main. Where a REST record goes when the request names no partition: a keyed record
// to toPositive(murmur2(key bytes)) % partitions, exactly as the Java client's default
// partitioner (and KafkaJS's DefaultPartitioner) place it, so REST and Kafka producers agree on
// a key's partition; unkeyed records of one request stick to one partition (one batch), the
// next request takes the next partition (round robin per topic).

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's Utils.murmur2: a signed 32-bit hash of the bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The Java client's partition of a keyed record. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/** Round robin over requests, per topic: each request's unkeyed records share one partition. */
export class StickyRoundRobin {
  private readonly next = new Map<string, number>();
  /** Bound on remembered topics; past it the map restarts (only the spread changes). */
  private static readonly MAX_TOPICS = 10_000;

  pick(topic: string, partitions: number): number {
    const n = this.next.get(topic) ?? Math.floor(Math.random() * partitions);
    if (this.next.size >= StickyRoundRobin.MAX_TOPICS && !this.next.has(topic)) this.next.clear();
    this.next.set(topic, (n + 1) % 1_000_000);
    return n % partitions;
  }
}
