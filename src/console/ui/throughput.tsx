// Thread: browser. Live throughput from the broker's own counters, sampled server-side once a
// second (last 5 minutes), polled every 2 s.
import { Chart } from './chart.tsx';
import { ErrorLine, Loading } from './common.tsx';
import { useApi } from './hooks.ts';

interface Throughput {
  totals: { bytesIn: number; recordsIn: number; bytesOut: number; recordsOut: number };
  points: Array<{ t: number; bytesInPerSec: number; bytesOutPerSec: number; recordsInPerSec: number; recordsOutPerSec: number }>;
}

export function ThroughputView() {
  const { data, error, loading } = useApi<Throughput>('/throughput', 2_000);
  const pts = data?.points ?? [];
  return (
    <section>
      <h1>Throughput</h1>
      <ErrorLine error={error} />
      <Loading when={loading && data === undefined} />
      {data && (
        <>
          <p class="muted" data-testid="totals">
            Since start: {data.totals.recordsIn} records in, {data.totals.recordsOut} records out
          </p>
          <div class="charts">
            <Chart
              title="Records per second"
              testId="records-chart"
              series={[
                { label: 'in', color: '#2f6fd6', points: pts.map((p) => [p.t, p.recordsInPerSec]) },
                { label: 'out', color: '#e07b00', points: pts.map((p) => [p.t, p.recordsOutPerSec]) },
              ]}
            />
            <Chart
              title="Bytes per second"
              testId="bytes-chart"
              series={[
                { label: 'in', color: '#2f6fd6', points: pts.map((p) => [p.t, p.bytesInPerSec]) },
                { label: 'out', color: '#e07b00', points: pts.map((p) => [p.t, p.bytesOutPerSec]) },
              ]}
            />
          </div>
        </>
      )}
    </section>
  );
}
