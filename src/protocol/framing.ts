// Thread: either. Splits a TCP byte stream into Kafka frames (int32 size + payload).
import { FrameTooLargeError } from './errors.js';

export interface FrameDecoderOptions {
  /** Largest accepted frame payload, in bytes (default 100 MiB, Kafka's socket.request.max.bytes). */
  maxFrameBytes?: number;
}

export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;

/**
 * Incremental frame decoder. `push(chunk)` returns the frames completed by the
 * chunk (payloads without the 4-byte size). A frame lying inside one chunk is
 * returned as a subarray of it (no copy); a frame spanning chunks is assembled
 * once, when complete, into a buffer of exactly its size. An invalid size prefix throws
 * FrameTooLargeError (a ProtocolDecodeError): the connection should be closed;
 * the decoder is unusable afterwards.
 */
export class FrameDecoder {
  /** May be raised later (a SASL connection once authenticated); applies from the next frame. */
  maxFrameBytes: number;
  /** Bytes of an incomplete size prefix (0..3 buffered). */
  private readonly sizeBuf = Buffer.alloc(4);
  private sizeHave = 0;
  /**
   * Pieces of a frame spanning chunks (size of the frame in partialSize, -1 when
   * none). Pieces are only concatenated once the frame is complete, so a peer
   * announcing a huge frame cannot make us allocate it up front.
   */
  private pieces: Buffer[] = [];
  private partialSize = -1;
  private partialHave = 0;
  private failed = false;

  constructor(opts: FrameDecoderOptions = {}) {
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes buffered towards the next frame (size prefix + partial payload). */
  get buffered(): number {
    return this.sizeHave + this.partialHave;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw new FrameTooLargeError(-1, this.maxFrameBytes);
    const frames: Buffer[] = [];
    let o = 0;
    const len = chunk.length;

    // Finish a frame in progress.
    if (this.partialSize >= 0) {
      const take = Math.min(this.partialSize - this.partialHave, len);
      this.pieces.push(take === len ? chunk : chunk.subarray(0, take));
      this.partialHave += take;
      o = take;
      if (this.partialHave < this.partialSize) return frames;
      frames.push(assemble(this.pieces, this.partialSize));
      this.pieces = [];
      this.partialSize = -1;
      this.partialHave = 0;
    }

    while (o < len) {
      let size: number;
      if (this.sizeHave > 0 || len - o < 4) {
        // Size prefix split across chunks.
        const take = Math.min(4 - this.sizeHave, len - o);
        chunk.copy(this.sizeBuf, this.sizeHave, o, o + take);
        this.sizeHave += take;
        o += take;
        if (this.sizeHave < 4) break;
        this.sizeHave = 0;
        size = this.sizeBuf.readInt32BE(0);
      } else {
        size = chunk.readInt32BE(o);
        o += 4;
      }
      if (size < 0 || size > this.maxFrameBytes) {
        this.failed = true;
        throw new FrameTooLargeError(size, this.maxFrameBytes);
      }
      if (len - o >= size) {
        frames.push(chunk.subarray(o, o + size));
        o += size;
      } else {
        this.pieces.push(chunk.subarray(o, len));
        this.partialSize = size;
        this.partialHave = len - o;
        o = len;
      }
    }
    return frames;
  }
}

/**
 * A frame that arrived in several chunks is copied into its own, unpooled ArrayBuffer
 * (allocUnsafeSlow), which the router may then hand to a worker thread without another copy.
 */
function assemble(pieces: Buffer[], size: number): Buffer {
  const frame = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const piece of pieces) {
    frame.set(piece, at);
    at += piece.length;
  }
  return frame;
}

/**
 * True when nothing but this frame lives in its ArrayBuffer, so transferring the buffer to
 * another thread takes nothing from anyone else. Holds exactly for frames assembled from
 * several chunks: a frame cut out of one chunk always sits behind its own size prefix.
 */
export function frameOwnsBuffer(frame: Buffer): boolean {
  return frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength && frame.buffer instanceof ArrayBuffer;
}
