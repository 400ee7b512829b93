// Thread: vitest worker. Enforcement over a store: Kafka's precedence of entities, per-user and
// per-client sensors under default entities, throttle capping, quotas changing at run time.
import { describe, expect, it } from 'vitest';
import { ClientQuotas } from '../../../src/quotas/client-quotas.js';
import { entityKey, type QuotaEntity, type QuotaValues } from '../../../src/quotas/quota-entity.js';
import { applyChanges, type QuotaChange, type QuotaStore } from '../../../src/quotas/quota-store.js';

class MemoryStore implements QuotaStore {
  readonly kind = 'local';
  map = new Map<string, QuotaValues>();
  private listeners: Array<() => void> = [];
  async start() {}
  async close() {}
  async refresh() {}
  entries() {
    return this.map;
  }
  onChange(l: () => void) {
    this.listeners.push(l);
  }
  async alter(changes: QuotaChange[]) {
    this.map = applyChanges(this.map, changes);
    for (const l of this.listeners) l();
  }
  set(e: QuotaEntity, values: QuotaValues) {
    return this.alter([{ entity: entityKey(e), set: Object.entries(values) as QuotaChange['set'], remove: [] }]);
  }
}

const cfg = { windowNum: 11, windowMs: 1000, maxThrottleMs: 5_000 };

describe('ClientQuotas', () => {
  it('applies nothing (and resolves nothing) without quotas', () => {
    const q = new ClientQuotas(new MemoryStore(), cfg);
    expect(q.forClient('User:alice', 'c')).toBeUndefined();
  });

  it("follows Kafka's precedence per quota type", async () => {
    const store = new MemoryStore();
    const q = new ClientQuotas(store, cfg);
    await store.set({ clientId: null }, { producer_byte_rate: 8 });
    await store.set({ clientId: 'c' }, { producer_byte_rate: 7 });
    await store.set({ user: null }, { producer_byte_rate: 6 });
    await store.set({ user: null, clientId: null }, { producer_byte_rate: 5 });
    await store.set({ user: null, clientId: 'c' }, { producer_byte_rate: 4 });
    await store.set({ user: 'alice' }, { producer_byte_rate: 3, consumer_byte_rate: 33 });
    await store.set({ user: 'alice', clientId: null }, { producer_byte_rate: 2 });
    await store.set({ user: 'alice', clientId: 'c' }, { producer_byte_rate: 1 });
    const order = [
      { user: 'alice', clientId: 'c' },
      { user: 'alice', clientId: null },
      { user: 'alice' },
      { user: null, clientId: 'c' },
      { user: null, clientId: null },
      { user: null },
      { clientId: 'c' },
      { clientId: null },
    ];
    for (let i = 0; i < order.length; i++) {
      expect(q.forClient('User:alice', 'c')?.produce?.bound).toBe(i + 1);
      await store.alter([{ entity: entityKey(order[i]!), set: [], remove: ['producer_byte_rate'] }]);
    }
    expect(q.forClient('User:alice', 'c')?.produce).toBeUndefined();
    // each type resolves on its own: consumer_byte_rate still comes from /users/alice
    expect(q.forClient('User:alice', 'c')?.fetch?.bound).toBe(33);
  });

  it('meters each client on its own under a default entity, and users under a user quota together', async () => {
    const store = new MemoryStore();
    const q = new ClientQuotas(store, cfg);
    await store.set({ clientId: null }, { producer_byte_rate: 1000 });
    await store.set({ user: 'bob' }, { producer_byte_rate: 1000 });
    const a = q.forClient('User:ANONYMOUS', 'a')!;
    const b = q.forClient('User:ANONYMOUS', 'b')!;
    expect(a.produce!.sensorKey).not.toBe(b.produce!.sensorKey);
    const b1 = q.forClient('User:bob', 'x')!;
    const b2 = q.forClient('User:bob', 'y')!;
    expect(b1.produce!.sensorKey).toBe(b2.produce!.sensorKey);
    // 10 s minimum window: 20 000 bytes is 2× the bound → 10 s throttle, capped at 5 s
    expect(q.recordProduce(a, 20_000, 0)).toBe(5_000);
    expect(q.recordProduce(b, 5_000, 0)).toBe(0);
  });

  it('sees a quota changed at run time and forgets a removed one', async () => {
    const store = new MemoryStore();
    const q = new ClientQuotas(store, cfg);
    await store.set({ clientId: 'slow' }, { consumer_byte_rate: 100 });
    expect(q.fetchMaxBytes(q.forClient('User:ANONYMOUS', 'slow')!)).toBe(100);
    await store.set({ clientId: 'slow' }, { consumer_byte_rate: 5000 });
    expect(q.fetchMaxBytes(q.forClient('User:ANONYMOUS', 'slow')!)).toBe(5000);
    await store.alter([{ entity: entityKey({ clientId: 'slow' }), set: [], remove: ['consumer_byte_rate'] }]);
    expect(q.forClient('User:ANONYMOUS', 'slow')).toBeUndefined();
  });

  it('meters request time as a percentage of one thread', async () => {
    const store = new MemoryStore();
    const q = new ClientQuotas(store, { windowNum: 2, windowMs: 1000, maxThrottleMs: 60_000 });
    await store.set({ clientId: 'busy' }, { request_percentage: 10 });
    const c = q.forClient('User:ANONYMOUS', 'busy')!;
    // 50 ms in a 1 s minimum window = 5 %: fine; another 150 ms → 20 % → (20 − 10) / 10 × 1 s
    expect(q.recordRequestTime(c, 50e6, 0)).toBe(0);
    expect(q.recordRequestTime(c, 150e6, 0)).toBe(1000);
  });
});
