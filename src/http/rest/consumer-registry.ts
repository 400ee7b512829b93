// Thread: main. The live v2 consumer instances, by group and name: at most
// rest.consumer.max.instances of them; one idle for rest.consumer.instance.timeout.ms is
// closed (it leaves its group) and forgotten, so later calls answer 40403. A sweep timer
// (unref'd) looks for idle instances.
import type { Logger } from 'pino';
import type { ConsumerInstance } from './consumer-instance.js';
import { RestErrors } from './rest-errors.js';

export class ConsumerRegistry {
  private readonly instances = new Map<string, ConsumerInstance>();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(
    private readonly maxInstances: number,
    private readonly idleTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), Math.max(50, Math.min(5_000, Math.floor(idleTimeoutMs / 4))));
    this.sweepTimer.unref();
  }

  get size(): number {
    return this.instances.size;
  }

  add(instance: ConsumerInstance): void {
    const key = keyOf(instance.group, instance.name);
    if (this.instances.has(key)) throw RestErrors.instanceExists(instance.group, instance.name);
    if (this.instances.size >= this.maxInstances) throw RestErrors.tooManyInstances(this.maxInstances);
    this.instances.set(key, instance);
  }

  /** The instance, or RestError 40403 (unknown, deleted or expired). */
  get(group: string, name: string): ConsumerInstance {
    const instance = this.instances.get(keyOf(group, name));
    if (instance === undefined || Date.now() - instance.lastUsedMs > this.idleTimeoutMs) {
      if (instance !== undefined) this.expire(instance);
      throw RestErrors.instanceNotFound(group, name);
    }
    return instance;
  }

  has(group: string, name: string): boolean {
    return this.instances.has(keyOf(group, name));
  }

  async delete(group: string, name: string): Promise<void> {
    const instance = this.get(group, name);
    this.instances.delete(keyOf(group, name));
    await instance.close();
  }

  sweep(now: number): void {
    for (const instance of this.instances.values()) {
      if (now - instance.lastUsedMs > this.idleTimeoutMs) this.expire(instance);
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweepTimer);
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map((i) => i.close().catch(() => undefined)));
  }

  private expire(instance: ConsumerInstance): void {
    this.instances.delete(keyOf(instance.group, instance.name));
    this.logger.info({ group: instance.group, instance: instance.name, idleMs: Date.now() - instance.lastUsedMs }, 'REST consumer instance expired');
    instance.close().catch((err: unknown) => this.logger.warn({ err }, 'closing an expired REST consumer instance failed'));
  }
}

function keyOf(group: string, name: string): string {
  return `${group}\u0000${name}`;
}
