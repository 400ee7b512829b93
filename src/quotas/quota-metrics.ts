// Thread: main. Prometheus instruments of client quotas, in the broker's registry
// (src/http/metrics.ts): throttle times per quota type (produce, fetch, request) and the number
// of live sensors. Labels are the quota type only — never users or client ids.
import client from 'prom-client';
import { registry } from '../http/metrics.js';

export type QuotaType = 'produce' | 'fetch' | 'request';

const throttleSeconds = new client.Histogram({
  name: 'strata_quota_throttle_seconds',
  help: 'Throttle time answered to clients over their quota (throttle_time_ms; the connection is muted that long), per quota type',
  labelNames: ['quota_type'],
  buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});
const bytesRecorded = new client.Counter({
  name: 'strata_quota_recorded_bytes_total',
  help: 'Produce request and fetch response bytes metered against a byte-rate quota, per quota type',
  labelNames: ['quota_type'],
  registers: [registry],
});
const children = {
  produce: throttleSeconds.labels('produce'),
  fetch: throttleSeconds.labels('fetch'),
  request: throttleSeconds.labels('request'),
};
const bytesChildren = { produce: bytesRecorded.labels('produce'), fetch: bytesRecorded.labels('fetch') };

let sensorCount: () => number = () => 0;
new client.Gauge({
  name: 'strata_quota_sensors',
  help: 'Live quota sensors (one per metered user/client-id and quota type)',
  registers: [registry],
  collect() {
    this.set(sensorCount());
  },
});

export function observeThrottle(type: QuotaType, throttleMs: number): void {
  children[type].observe(throttleMs / 1000);
}

export function countQuotaBytes(type: 'produce' | 'fetch', bytes: number): void {
  bytesChildren[type].inc(bytes);
}

export function attachSensorCount(count: () => number): void {
  sensorCount = count;
}
