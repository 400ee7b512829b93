// Thread: main (broker) or the CLI process. SCRAM credentials of an embedded broker: one JSON
// file, `scram-credentials.json` in the first log dir, replaced atomically (write a temp file,
// fsync, rename, fsync the dir). `strata users create … --data-dir DIR` writes the same file
// from the broker's host (the first user of a secured broker), so the broker re-reads it
// whenever its size or modification time changed; writes are serialised within a process.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { StrataError } from '../errors.js';
import { decodeUser, encodeUser, storedUserSchema, type CredentialStore, type StoredUser, type UserCredentials } from './credential-store.js';
import type { ScramCredential, ScramMechanism } from './scram.js';

export const CREDENTIALS_FILE = 'scram-credentials.json';

const fileSchema = z.object({ version: z.literal(1), users: z.record(z.string(), storedUserSchema) });
type CredentialsFile = z.infer<typeof fileSchema>;

export class LocalCredentialStore implements CredentialStore {
  readonly kind = 'local';
  private readonly file: string;
  private data: CredentialsFile = { version: 1, users: {} };
  private seen = '';
  private writing: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.file = path.join(dir, CREDENTIALS_FILE);
  }

  /** Re-reads the file when another process (the CLI) replaced it. */
  private async fresh(): Promise<CredentialsFile> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.data = { version: 1, users: {} };
        this.seen = '';
        return this.data;
      }
      throw err;
    }
    const mark = `${stat.ino}/${stat.size}/${stat.mtimeMs}`;
    if (mark === this.seen) return this.data;
    const text = await fs.promises.readFile(this.file, 'utf8');
    let parsed: CredentialsFile;
    try {
      parsed = fileSchema.parse(JSON.parse(text));
    } catch (err) {
      throw new StrataError('STRATA_ERR_CONFIG', `${this.file} is not a SCRAM credentials file: ${(err as Error).message}`, { cause: err });
    }
    this.data = parsed;
    this.seen = mark;
    return parsed;
  }

  async get(user: string): Promise<UserCredentials | undefined> {
    const stored = (await this.fresh()).users[user];
    return stored && Object.keys(stored).length > 0 ? decodeUser(stored) : undefined;
  }

  async list(): Promise<Map<string, UserCredentials>> {
    const data = await this.fresh();
    return new Map(Object.entries(data.users).filter(([, u]) => Object.keys(u).length > 0).map(([name, u]) => [name, decodeUser(u)]));
  }

  upsert(user: string, mechanism: ScramMechanism, credential: ScramCredential): Promise<void> {
    return this.change((users) => {
      users[user] = { ...(users[user] ?? {}), ...encodeUser({ [mechanism]: credential }) };
      return true;
    }).then(() => undefined);
  }

  delete(user: string, mechanism: ScramMechanism): Promise<boolean> {
    return this.change((users) => {
      const u = users[user];
      if (u?.[mechanism] === undefined) return false;
      delete u[mechanism];
      if (Object.keys(u).length === 0) delete users[user];
      return true;
    });
  }

  /** Read-modify-write, one at a time; `edit` returns whether anything changed. */
  private change(edit: (users: Record<string, StoredUser>) => boolean): Promise<boolean> {
    const next = this.writing.then(async () => {
      const data = structuredClone(await this.fresh());
      if (!edit(data.users)) return false;
      await this.write(data);
      return true;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async write(data: CredentialsFile): Promise<void> {
    const dir = path.dirname(this.file);
    await fs.promises.mkdir(dir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await fs.promises.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(data, null, 2) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, this.file);
    const dirFh = await fs.promises.open(dir, 'r');
    try {
      await dirFh.sync();
    } finally {
      await dirFh.close();
    }
    this.data = data;
    const stat = await fs.promises.stat(this.file);
    this.seen = `${stat.ino}/${stat.size}/${stat.mtimeMs}`;
  }

  async close(): Promise<void> {
    await this.writing;
  }
}
