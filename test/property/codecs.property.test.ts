// Property tests for the generated Kafka codecs, driven by the structural schema:
// for every API in the registry, every version, request and response:
//   decode(encode(x)) deep-equals x, encode(decode(bytes)) === bytes, decoding
//   consumes every byte, and every strict prefix of valid bytes throws
//   ProtocolDecodeError. Random values include unknown tagged fields in flexible
//   versions. A seeded PRNG keeps runs reproducible (STRATA_PROP_SEED overrides).
import { describe, expect, it } from 'vitest';
import { ProtocolDecodeError } from '../../src/protocol/errors.js';
import * as data from '../../src/protocol/generated/data/index.js';
import * as headers from '../../src/protocol/generated/headers.js';
import { apiRegistry } from '../../src/protocol/generated/messages/index.js';
import { messageSchemas, type FieldSchema, type MessageSchema } from '../../src/protocol/generated/schemas.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

const SAMPLES = 20;
/** Samples per (api, version, direction) that also get the strict-prefix check. */
const PREFIX_SAMPLES = 4;
const BASE_SEED = Number(process.env.STRATA_PROP_SEED ?? 0x5eed);

type Rng = () => number;
function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

const inRange = (r: [number, number] | null | undefined, v: number): boolean => !!r && v >= r[0] && v <= r[1];

// ---- defaults (independent restatement of Kafka's rules) ---------------------

function parseIntDefault(d: string | number | boolean): bigint {
  if (typeof d === 'number') return BigInt(d);
  let s = String(d).trim();
  const neg = s.startsWith('-');
  if (neg) s = s.slice(1);
  const v = BigInt(s); // handles 0x..
  return neg ? -v : v;
}

function defaultOf(ms: MessageSchema, f: FieldSchema): unknown {
  if (f.default === 'null') return null;
  if (f.array) return [];
  switch (f.type) {
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
      return f.default === undefined ? 0 : Number(parseIntDefault(f.default));
    case 'int64':
      return f.default === undefined ? 0n : parseIntDefault(f.default);
    case 'float64':
      return f.default === undefined ? 0 : Number(f.default);
    case 'bool':
      return f.default === true || f.default === 'true';
    case 'string':
      return f.default === undefined ? '' : String(f.default);
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'uuid':
      return Buffer.alloc(16);
    case 'struct':
      return defaultStruct(ms, f.struct!);
  }
}

function defaultStruct(ms: MessageSchema, name: string): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of ms.structs[name]) o[f.prop] = defaultOf(ms, f);
  return o;
}

// ---- random values -------------------------------------------------------------

const CHARS = ['a', 'b', 'z', '0', '-', '_', '.', ' ', 'é', 'ß', '中', '文', '😀', '\u0000', 'Ω'];

function randString(rng: Rng): string {
  const n = int(rng, 0, 8);
  let s = '';
  for (let i = 0; i < n; i++) s += CHARS[int(rng, 0, CHARS.length - 1)];
  return s;
}

function randBytes(rng: Rng, big: boolean): Buffer {
  const n = big && rng() < 0.2 ? int(rng, 1024, 3000) : int(rng, 0, 12);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(rng, 0, 255);
  return b;
}

function randInt64(rng: Rng): bigint {
  const hi = BigInt(int(rng, 0, 0xffffffff));
  const lo = BigInt(int(rng, 0, 0xffffffff));
  return BigInt.asIntN(64, (hi << 32n) | lo);
}

function randScalar(rng: Rng, type: FieldSchema['type']): unknown {
  switch (type) {
    case 'int8':
      return int(rng, -128, 127);
    case 'int16':
      return int(rng, -32768, 32767);
    case 'uint16':
      return int(rng, 0, 65535);
    case 'int32':
      return rng() < 0.2 ? [0, -1, 2147483647, -2147483648][int(rng, 0, 3)] : int(rng, -2147483648, 2147483647);
    case 'uint32':
      return int(rng, 0, 4294967295);
    case 'int64':
      return rng() < 0.2 ? [0n, -1n, 9223372036854775807n, -9223372036854775808n][int(rng, 0, 3)] : randInt64(rng);
    case 'float64':
      return rng() < 0.1 ? -0 : (rng() - 0.5) * 10 ** int(rng, -5, 12);
    case 'bool':
      return rng() < 0.5;
    case 'string':
      return randString(rng);
    case 'bytes':
      return randBytes(rng, false);
    case 'records':
      return randBytes(rng, true);
    case 'uuid':
      return rng() < 0.1 ? Buffer.alloc(16) : randBytes16(rng);
    case 'struct':
      throw new Error('struct');
  }
}

function randBytes16(rng: Rng): Buffer {
  const b = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) b[i] = int(rng, 0, 255);
  return b;
}

function isFlexible(ms: MessageSchema, f: FieldSchema | null, version: number): boolean {
  if (f && f.flexibleVersions !== undefined) return inRange(f.flexibleVersions, version);
  return inRange(ms.flexibleVersions, version);
}

function randValue(ms: MessageSchema, f: FieldSchema, version: number, rng: Rng): unknown {
  // Tagged fields: often leave them at their default so omission is exercised.
  if (inRange(f.tagged, version) && isFlexible(ms, null, version) && rng() < 0.3) return defaultOf(ms, f);
  if (inRange(f.nullable, version) && rng() < 0.15) return null;
  if (f.array) {
    const n = int(rng, 0, 3);
    const a: unknown[] = [];
    for (let i = 0; i < n; i++) a.push(f.type === 'struct' ? randStruct(ms, f.struct!, version, rng) : randScalar(rng, f.type));
    return a;
  }
  if (f.type === 'struct') return randStruct(ms, f.struct!, version, rng);
  return randScalar(rng, f.type);
}

function randStruct(ms: MessageSchema, name: string, version: number, rng: Rng): Record<string, unknown> {
  const fields = ms.structs[name];
  const o: Record<string, unknown> = {};
  for (const f of fields) o[f.prop] = inRange(f.versions, version) ? randValue(ms, f, version, rng) : defaultOf(ms, f);
  if (isFlexible(ms, null, version) && rng() < 0.3) {
    // Unknown tags: anything not known to this struct in this version.
    const known = new Set(
      fields.filter((f) => inRange(f.versions, version) && inRange(f.tagged, version)).map((f) => f.tag!),
    );
    const pool = [0, 1, 2, 3, 4, 5, 7, 50, 127, 128, 300, 70000].filter((t) => !known.has(t));
    const tags = pool.filter(() => rng() < 0.3);
    if (tags.length > 0) o._unknownTaggedFields = tags.map((tag) => ({ tag, data: randBytes(rng, false) }));
  }
  return o;
}

// ---- harness -------------------------------------------------------------------

type Decode = (r: Reader, v: number) => unknown;
type Encode = (w: Writer, v: number, m: never) => void;

function prefixLengths(total: number, rng: Rng): number[] {
  if (total <= 160) return Array.from({ length: total }, (_, i) => i);
  const s = new Set<number>();
  for (let i = 0; i < 64; i++) {
    s.add(i);
    s.add(total - 1 - i);
  }
  for (let i = 0; i < 32; i++) s.add(int(rng, 0, total - 1));
  return [...s].sort((a, b) => a - b);
}

function checkMessage(ms: MessageSchema, decode: Decode, encode: Encode, version: number, seed: number): void {
  const rng = mulberry32(seed);
  for (let sample = 0; sample < SAMPLES; sample++) {
    const x = randStruct(ms, ms.name, version, rng);
    const w = new Writer(64 + int(rng, 0, 64)); // small start: exercises growth and chunking
    encode(w, version, x as never);
    const bytes = w.toBuffer();
    expect(w.length).toBe(bytes.length);
    expect(Buffer.concat(w.chunks()).equals(bytes)).toBe(true);

    const r = new Reader(bytes);
    const y = decode(r, version);
    if (r.remaining() !== 0) throw new Error(`${ms.name} v${version}: ${r.remaining()} byte(s) not consumed`);
    expect(y, `${ms.name} v${version} sample ${sample}`).toEqual(x);

    const w2 = new Writer();
    encode(w2, version, y as never);
    const again = w2.toBuffer();
    if (!again.equals(bytes)) throw new Error(`${ms.name} v${version}: re-encoding differs`);

    if (sample < PREFIX_SAMPLES) {
      const bad: string[] = [];
      for (const len of prefixLengths(bytes.length, rng)) {
        try {
          decode(new Reader(bytes, 0, len), version);
          bad.push(`${len}: decoded without error`);
        } catch (e) {
          if (!(e instanceof ProtocolDecodeError)) bad.push(`${len}: ${(e as Error).name}: ${(e as Error).message}`);
        }
      }
      if (bad.length) throw new Error(`${ms.name} v${version} (${bytes.length} bytes) prefixes: ${bad.slice(0, 5).join('; ')}`);
    }
  }
}

function seedFor(name: string, version: number): number {
  let h = BASE_SEED ^ (version * 0x9e3779b1);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

describe('generated codecs: round trip over every API version', () => {
  const apis = [...apiRegistry.values()].sort((a, b) => a.apiKey - b.apiKey);

  it('registry covers every request/response schema', () => {
    const schemaApis = Object.values(messageSchemas).filter((m) => m.type === 'request' || m.type === 'response');
    for (const m of schemaApis) {
      const api = apiRegistry.get(m.apiKey!);
      expect(api, m.name).toBeDefined();
      expect([api!.minVersion, api!.maxVersion]).toEqual(m.validVersions);
    }
    expect(apiRegistry.size * 2).toBe(schemaApis.length);
  });

  for (const api of apis) {
    it(`${api.apiKey} ${api.name} v${api.minVersion}-${api.maxVersion}`, () => {
      const req = messageSchemas[`${api.name}Request`];
      const res = messageSchemas[`${api.name}Response`];
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        checkMessage(req, api.decodeRequest, api.encodeRequest as Encode, v, seedFor(req.name, v));
        checkMessage(res, api.decodeResponse, api.encodeResponse as Encode, v, seedFor(res.name, v));
      }
    });
  }

  it('request and response headers', () => {
    const h = headers as unknown as Record<string, Decode & Encode>;
    for (const name of ['RequestHeader', 'ResponseHeader']) {
      const ms = messageSchemas[name];
      for (let v = ms.validVersions[0]; v <= ms.validVersions[1]; v++) {
        checkMessage(ms, h[`decode${name}`] as Decode, h[`encode${name}`] as Encode, v, seedFor(name, v));
      }
    }
  });

  it('data structures (ConsumerProtocol*, etc.)', () => {
    const d = data as unknown as Record<string, Decode & Encode>;
    const datas = Object.values(messageSchemas).filter((m) => m.type === 'data');
    expect(datas.length).toBeGreaterThan(0);
    for (const ms of datas) {
      for (let v = ms.validVersions[0]; v <= ms.validVersions[1]; v++) {
        checkMessage(ms, d[`decode${ms.name}`] as Decode, d[`encode${ms.name}`] as Encode, v, seedFor(ms.name, v));
      }
    }
  });
});
