// Thread: main. The ACLs of a single broker (no Redis): in memory, saved as `acls.json` in the
// first log dir after every change, replaced atomically (temp file, fsync, rename, fsync of the
// directory) so a crash leaves the old or the new list. Writes are serialised.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { bindingKey, invalidBindingReason, type AclBinding } from './acl-model.js';
import type { AclStore } from './acl-store.js';

const bindingSchema = z.object({
  resourceType: z.number().int(),
  resourceName: z.string(),
  patternType: z.number().int(),
  principal: z.string(),
  host: z.string(),
  operation: z.number().int(),
  permissionType: z.number().int(),
});
const fileSchema = z.object({ version: z.literal(1), acls: z.array(bindingSchema) });

export const ACL_FILE = 'acls.json';

export class LocalAclStore implements AclStore {
  readonly kind = 'local';
  private readonly file: string;
  private byKey = new Map<string, AclBinding>();
  private snapshot: readonly AclBinding[] = [];
  private writing: Promise<void> = Promise.resolve();
  private readonly listeners: Array<() => void> = [];

  constructor(logDir: string) {
    this.file = path.join(logDir, ACL_FILE);
  }

  async start(): Promise<void> {
    let raw: string;
    try {
      raw = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let parsed;
    try {
      parsed = fileSchema.safeParse(JSON.parse(raw));
    } catch (err) {
      throw new Error(`ACL file ${this.file} is not valid JSON: ${(err as Error).message}`);
    }
    if (!parsed.success) throw new Error(`ACL file ${this.file} is invalid: ${z.prettifyError(parsed.error)}`);
    for (const b of parsed.data.acls) {
      const reason = invalidBindingReason(b);
      if (reason !== undefined) throw new Error(`ACL file ${this.file} holds an invalid ACL (${reason}): ${JSON.stringify(b)}`);
      this.byKey.set(bindingKey(b), b);
    }
    this.changed();
  }

  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
  }

  bindings(): readonly AclBinding[] {
    return this.snapshot;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  add(bindings: readonly AclBinding[]): Promise<void> {
    let changed = false;
    for (const b of bindings) {
      const key = bindingKey(b);
      if (!this.byKey.has(key)) {
        this.byKey.set(key, { ...b });
        changed = true;
      }
    }
    return this.persist(changed);
  }

  remove(bindings: readonly AclBinding[]): Promise<void> {
    let changed = false;
    for (const b of bindings) changed = this.byKey.delete(bindingKey(b)) || changed;
    return this.persist(changed);
  }

  private persist(changed: boolean): Promise<void> {
    if (!changed) return this.writing.catch(() => undefined);
    this.changed();
    const text = JSON.stringify({ version: 1, acls: this.snapshot });
    const done = this.writing.catch(() => undefined).then(() => this.save(text));
    this.writing = done;
    return done;
  }

  private changed(): void {
    this.snapshot = [...this.byKey.values()];
    for (const l of this.listeners) l();
  }

  private async save(text: string): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const handle = await fsp.open(tmp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, this.file);
    const dir = await fsp.open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
