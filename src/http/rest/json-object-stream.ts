// Thread: main. Splits a byte stream of concatenated JSON objects (`{...}{...}` or one per
// line) into the text of each complete object, as chunks arrive — the body of a streamed v3
// produce. Scans bytes: the structural characters are ASCII and never inside a multi-byte
// UTF-8 sequence, so a chunk may end anywhere. One object may not exceed maxObjectBytes.
import { RestError, RestErrors } from './rest-errors.js';

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export class JsonObjectSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly maxObjectBytes: number) {}

  /** The objects completed by this chunk, as JSON text; RestError 422 / 413 on bad input. */
  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.depth === 0) {
        if (isSpace(b)) continue;
        if (b !== OPEN) throw RestErrors.badBody(`Expected a JSON object, found ${JSON.stringify(String.fromCharCode(b))}`);
        start = i;
        this.depth = 1;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN || b === OPEN_ARRAY) this.depth++;
      else if (b === CLOSE || b === CLOSE_ARRAY) {
        this.depth--;
        if (this.depth === 0) {
          this.take(chunk.subarray(start, i + 1));
          out.push(Buffer.concat(this.parts, this.size).toString('utf8'));
          this.parts = [];
          this.size = 0;
          start = -1;
        }
      }
    }
    if (this.depth > 0 && start >= 0) this.take(chunk.subarray(start));
    return out;
  }

  /** Throws when the stream ended inside an object. */
  end(): void {
    if (this.depth > 0) throw RestErrors.badBody('Malformed JSON: the body ends inside an object');
  }

  private take(bytes: Buffer): void {
    this.size += bytes.length;
    if (this.size > this.maxObjectBytes) throw RestErrors.tooLarge(this.maxObjectBytes);
    this.parts.push(bytes);
  }
}

export function isRestError(err: unknown): err is RestError {
  return err instanceof RestError;
}
