// Thread: main. The embedded offset store (no Redis configured): an append-only JSON-lines
// log under the first log dir, one line per store call, fsynced before the call resolves
// (group commit: calls that arrive while an fsync runs share the next one). The whole state
// is also held in memory; the log is replayed at open (a torn last line is cut off) and
// rewritten as a snapshot once it has grown well past the live data (compaction).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  offsetFromJson,
  offsetToJson,
  partitionField,
  parsePartitionField,
  type CommittedOffset,
  type OffsetJson,
  type OffsetStore,
  type PartitionOffset,
  type PartitionRef,
  type StoredGroup,
} from './offset-store.js';

type LogRecord =
  /** commit: [topic, partition, offset] */
  | { k: 'c'; g: string; o: Array<[string, number, OffsetJson]> }
  /** delete offsets */
  | { k: 'd'; g: string; p: Array<[string, number]> }
  /** delete group */
  | { k: 'x'; g: string }
  /** group metadata */
  | { k: 'm'; g: string; m: StoredGroup }
  /** generation floor */
  | { k: 'n'; g: string; n: number };

interface GroupData {
  offsets: Map<string, CommittedOffset>;
  meta: StoredGroup | null;
  /** The highest generation recorded (recordGeneration), 0 when none. */
  generation: number;
}

interface PendingWrite {
  line: string;
  apply: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export interface LocalOffsetStoreOptions {
  /** Compact once the log exceeds this many bytes and four times its size after the last compaction. */
  compactMinBytes?: number;
}

export const LOCAL_OFFSETS_FILE = 'strata-groups.jsonl';

export class LocalOffsetStore implements OffsetStore {
  readonly kind = 'local';
  readonly file: string;
  private readonly groups = new Map<string, GroupData>();
  private fh: fsp.FileHandle | undefined;
  private fileBytes = 0;
  private compactedBytes = 0;
  private pending: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private readonly compactMinBytes: number;

  constructor(dir: string, opts: LocalOffsetStoreOptions = {}) {
    this.file = path.join(dir, LOCAL_OFFSETS_FILE);
    this.compactMinBytes = opts.compactMinBytes ?? 4 * 1024 * 1024;
  }

  async open(): Promise<void> {
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    let text = '';
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let good = 0;
    let pos = 0;
    while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break; // torn last line: never acknowledged
      const line = text.slice(pos, nl);
      let record: LogRecord;
      try {
        record = JSON.parse(line) as LogRecord;
      } catch {
        break; // corrupt tail: cut here
      }
      this.apply(record);
      pos = nl + 1;
      good = pos;
    }
    const goodBytes = Buffer.byteLength(text.slice(0, good));
    if (goodBytes < Buffer.byteLength(text)) await fsp.truncate(this.file, goodBytes);
    this.fh = await fsp.open(this.file, 'a');
    this.fileBytes = goodBytes;
    this.compactedBytes = goodBytes;
  }

  available(): boolean {
    return !this.closed && this.fh !== undefined;
  }

  onAvailabilityChange(): void {
    // Always available while open.
  }

  commitOffsets(groupId: string, offsets: PartitionOffset[]): Promise<void> {
    const record: LogRecord = { k: 'c', g: groupId, o: offsets.map((p) => [p.topic, p.partition, offsetToJson(p.committed)]) };
    return this.write(record) as Promise<void>;
  }

  async fetchOffsets(groupId: string, partitions: PartitionRef[] | null): Promise<PartitionOffset[]> {
    const g = this.groups.get(groupId);
    if (!g) return [];
    const out: PartitionOffset[] = [];
    if (partitions === null) {
      for (const [field, committed] of g.offsets) out.push({ ...parsePartitionField(field), committed: { ...committed } });
    } else {
      for (const p of partitions) {
        const committed = g.offsets.get(partitionField(p.topic, p.partition));
        if (committed) out.push({ topic: p.topic, partition: p.partition, committed: { ...committed } });
      }
    }
    return out;
  }

  deleteOffsets(groupId: string, partitions: PartitionRef[]): Promise<number> {
    return this.write({ k: 'd', g: groupId, p: partitions.map((p) => [p.topic, p.partition]) }) as Promise<number>;
  }

  deleteGroup(groupId: string): Promise<void> {
    return this.write({ k: 'x', g: groupId }) as Promise<void>;
  }

  async listGroups(): Promise<string[]> {
    return [...this.groups.keys()];
  }

  saveGroup(groupId: string, group: StoredGroup): Promise<void> {
    return this.write({ k: 'm', g: groupId, m: group }) as Promise<void>;
  }

  async loadGroup(groupId: string): Promise<StoredGroup | null> {
    const meta = this.groups.get(groupId)?.meta;
    return meta ? (JSON.parse(JSON.stringify(meta)) as StoredGroup) : null;
  }

  async recordGeneration(groupId: string, generationId: number): Promise<void> {
    if (generationId <= (this.groups.get(groupId)?.generation ?? 0)) return;
    await this.write({ k: 'n', g: groupId, n: generationId });
  }

  async generationFloor(groupId: string): Promise<number> {
    const g = this.groups.get(groupId);
    return Math.max(g?.generation ?? 0, g?.meta?.generationId ?? 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.fh?.close();
    this.fh = undefined;
  }

  /** Applies one record to the in-memory state; returns what the store call resolves with. */
  private apply(record: LogRecord): unknown {
    switch (record.k) {
      case 'c': {
        const g = this.group(record.g);
        for (const [topic, partition, j] of record.o) g.offsets.set(partitionField(topic, partition), offsetFromJson(j));
        return undefined;
      }
      case 'd': {
        const g = this.groups.get(record.g);
        if (!g) return 0;
        let n = 0;
        for (const [topic, partition] of record.p) if (g.offsets.delete(partitionField(topic, partition))) n++;
        if (g.offsets.size === 0 && g.meta === null && g.generation === 0) this.groups.delete(record.g);
        return n;
      }
      case 'x':
        this.groups.delete(record.g);
        return undefined;
      case 'm':
        this.group(record.g).meta = record.m;
        return undefined;
      case 'n': {
        const g = this.group(record.g);
        g.generation = Math.max(g.generation, record.n);
        return undefined;
      }
    }
  }

  private group(groupId: string): GroupData {
    let g = this.groups.get(groupId);
    if (!g) {
      g = { offsets: new Map(), meta: null, generation: 0 };
      this.groups.set(groupId, g);
    }
    return g;
  }

  private write(record: LogRecord): Promise<unknown> {
    if (this.closed || !this.fh) return Promise.reject(new Error('local offset store is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ line: JSON.stringify(record) + '\n', apply: () => this.apply(record), resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  /** Writes and fsyncs every pending line in one go, then applies and acknowledges them in order. */
  private async flushLoop(): Promise<void> {
    for (;;) {
      if (this.pending.length === 0) {
        // Cleared synchronously with the emptiness check: a write() after this starts a new loop.
        this.flushing = undefined;
        return;
      }
      const batch = this.pending.splice(0);
      const bytes = Buffer.from(batch.map((b) => b.line).join(''));
      try {
        await this.fh!.write(bytes, 0, bytes.length);
        await this.fh!.datasync();
      } catch (err) {
        // Cut a possibly half-written batch so the next append starts on a line boundary.
        await this.fh!.truncate(this.fileBytes).catch(() => undefined);
        for (const b of batch) b.reject(err);
        continue;
      }
      this.fileBytes += bytes.length;
      for (const b of batch) b.resolve(b.apply());
      if (this.fileBytes > this.compactMinBytes && this.fileBytes > 4 * this.compactedBytes) {
        await this.compact().catch(() => undefined); // the uncompacted log stays valid
      }
    }
  }

  /** Rewrites the log as a snapshot of the live state: temp file, fsync, rename, fsync dir. */
  private async compact(): Promise<void> {
    const lines: string[] = [];
    for (const [g, data] of this.groups) {
      if (data.meta) lines.push(JSON.stringify({ k: 'm', g, m: data.meta } satisfies LogRecord));
      if (data.generation > 0) lines.push(JSON.stringify({ k: 'n', g, n: data.generation } satisfies LogRecord));
      if (data.offsets.size > 0) {
        const o: Array<[string, number, OffsetJson]> = [];
        for (const [field, c] of data.offsets) {
          const ref = parsePartitionField(field);
          o.push([ref.topic, ref.partition, offsetToJson(c)]);
        }
        lines.push(JSON.stringify({ k: 'c', g, o } satisfies LogRecord));
      }
    }
    const text = lines.length ? lines.join('\n') + '\n' : '';
    const tmp = this.file + '.compact';
    const out = await fsp.open(tmp, 'w');
    try {
      await out.writeFile(text);
      await out.sync();
    } finally {
      await out.close();
    }
    await fsp.rename(tmp, this.file);
    const dir = await fsp.open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    await this.fh!.close();
    this.fh = await fsp.open(this.file, 'a');
    this.fileBytes = Buffer.byteLength(text);
    this.compactedBytes = Math.max(this.fileBytes, 1024);
  }

  /** For tests: the log's current size in bytes. */
  sizeBytes(): number {
    return fs.statSync(this.file).size;
  }
}
