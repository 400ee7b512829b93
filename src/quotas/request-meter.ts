// Thread: main. The dispatcher's per-request quota hook, created only for a client some quota
// applies to (ClientQuotas.forClient), so unquoted clients pay one Map lookup at most.
// Kafka's order: the handler's time is recorded against request_percentage and a Produce
// request's bytes against producer_byte_rate before the response is encoded, and the larger
// throttle goes into the response's throttleTimeMs; a Fetch response's bytes are recorded once
// it is encoded (its throttle_time_ms, the first field of Fetch v1+, is then patched in the
// encoded header). Fetch requests are capped at one quota window's worth of the consumer quota
// (Kafka's getMaxValueInQuotaWindow). Then, per KIP-219, the answer goes out at once and the
// connection is muted (not read) for the throttle time. Unlike Kafka, a throttled Fetch still
// carries its records (Kafka answers it empty and unrecords it): the mute that follows keeps
// the average at the quota, and the cap keeps each answer to one window's worth.
import type { ConnectionInfo, FrameOutcome } from '../router/connection.js';
import type { ClientQuota, ClientQuotas } from './client-quotas.js';

const PRODUCE = 0;
const FETCH = 1;
/** SASL handshake and authentication are not metered (Kafka exempts them as well). */
const EXEMPT = new Set([17, 36]);


export class RequestMeter {
  private readonly startNs = process.hrtime.bigint();
  private handlerNs = 0;
  private throttleMs = 0;
  private encodeStartNs = 0n;

  constructor(
    private readonly quotas: ClientQuotas,
    private readonly quota: ClientQuota,
    private readonly apiKey: number,
    private readonly apiVersion: number,
    private readonly requestBytes: number,
  ) {}

  /** Before the handler runs: a Fetch asks for at most one window of the consumer quota. */
  limitRequest(request: unknown): void {
    if (this.apiKey !== FETCH) return;
    const cap = this.quotas.fetchMaxBytes(this.quota);
    const req = request as { maxBytes?: number };
    if (cap !== undefined && typeof req.maxBytes === 'number' && req.maxBytes > cap) req.maxBytes = cap;
  }

  /** After the handler's synchronous part returned. */
  handled(): void {
    this.handlerNs = Number(process.hrtime.bigint() - this.startNs);
  }

  /** Before encoding: records handler time and produce bytes; puts the throttle in the response object. */
  beforeEncode(response: unknown): void {
    const now = Date.now();
    let t = EXEMPT.has(this.apiKey) ? 0 : this.quotas.recordRequestTime(this.quota, this.handlerNs, now);
    if (this.apiKey === PRODUCE) t = Math.max(t, this.quotas.recordProduce(this.quota, this.requestBytes, now));
    this.throttleMs = t;
    if (t > 0 && response !== null && typeof response === 'object' && typeof (response as { throttleTimeMs?: unknown }).throttleTimeMs === 'number') {
      const r = response as { throttleTimeMs: number };
      r.throttleTimeMs = Math.max(r.throttleTimeMs, t);
    }
    this.encodeStartNs = process.hrtime.bigint();
  }

  /** After encoding: records fetch bytes (patching their throttle in), then mutes the connection. */
  afterEncode(outcome: FrameOutcome, headerVersion: number, conn: ConnectionInfo): void {
    const encodeNs = Number(process.hrtime.bigint() - this.encodeStartNs);
    const now = Date.now();
    if (this.apiKey === FETCH && outcome.kind === 'respond') {
      let bytes = 0;
      for (const c of outcome.chunks) bytes += c.length;
      const t = this.quotas.recordFetch(this.quota, bytes, now);
      if (t > this.throttleMs) {
        this.throttleMs = t;
        // size (4) + correlation id (4) + empty tagged fields (1) in header v1, then throttle_time_ms.
        const at = 8 + (headerVersion >= 1 ? 1 : 0);
        const first = outcome.chunks[0];
        if (this.apiVersion >= 1 && first !== undefined && first.length >= at + 4) first.writeInt32BE(t, at);
      }
    }
    if (!EXEMPT.has(this.apiKey)) this.quotas.recordRequestTimeLater(this.quota, encodeNs, now);
    if (this.throttleMs > 0) conn.mute?.(this.throttleMs);
  }
}
