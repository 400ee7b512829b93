// Thread: browser. Brokers and controller (cluster mode: every live broker; single broker: itself).
import { ErrorLine, Loading } from './common.tsx';
import { useApi } from './hooks.ts';

interface Cluster {
  clusterId: string | null;
  mode: 'single' | 'cluster';
  controllerId: number;
  self: number;
  brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null; controller: boolean; self: boolean; partitionsLed: number }>;
  topics: number;
  partitions: number;
  partitionsWithoutLeader: number;
}

export function BrokersView() {
  const { data, error, loading } = useApi<Cluster>('/cluster', 5_000);
  return (
    <section>
      <h1>Brokers</h1>
      <ErrorLine error={error} />
      <Loading when={loading && data === undefined} />
      {data && (
        <>
          <p class="summary" data-testid="cluster-summary">
            Cluster <code>{data.clusterId ?? '–'}</code> · {data.mode === 'single' ? 'single broker' : `${data.brokers.length} live brokers`} · controller{' '}
            <b data-testid="controller">{data.controllerId}</b> · {data.topics} topics · {data.partitions} partitions
            {data.partitionsWithoutLeader > 0 && <span class="error"> · {data.partitionsWithoutLeader} without a leader</span>}
          </p>
          <table data-testid="brokers">
            <thead>
              <tr>
                <th>Node</th>
                <th>Endpoint</th>
                <th>Rack</th>
                <th class="num">Partitions led</th>
                <th>Role</th>
              </tr>
            </thead>
            <tbody>
              {data.brokers.map((b) => (
                <tr data-node={b.nodeId}>
                  <td>{b.nodeId}</td>
                  <td>
                    {b.host}:{b.port}
                  </td>
                  <td>{b.rack ?? '–'}</td>
                  <td class="num">{b.partitionsLed}</td>
                  <td>
                    {b.controller && <span class="tag">controller</span>} {b.self && <span class="tag muted">this console</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
