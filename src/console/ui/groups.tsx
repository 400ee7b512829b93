// Thread: browser. Consumer groups: the list, and one group's members, per-partition committed
// offset, end offset and lag, and its lag over time (sampled server-side while viewed).
import { enc } from './api.ts';
import { Chart } from './chart.tsx';
import { ErrorLine, Loading } from './common.tsx';
import { useApi } from './hooks.ts';

export function GroupsView() {
  const { data, error, loading } = useApi<{ groups: Array<{ groupId: string; state: string; protocolType: string }>; unreachable: number[] }>('/groups', 5_000);
  return (
    <section>
      <h1>Consumer groups</h1>
      <ErrorLine error={error} />
      <Loading when={loading && data === undefined} />
      {data && data.unreachable.length > 0 && <p class="error">Brokers {data.unreachable.join(', ')} did not answer: their groups are missing.</p>}
      {data && data.groups.length === 0 && <p class="muted">No consumer groups.</p>}
      {data && data.groups.length > 0 && (
        <table data-testid="groups">
          <thead>
            <tr>
              <th>Group</th>
              <th>State</th>
              <th>Protocol type</th>
            </tr>
          </thead>
          <tbody>
            {data.groups.map((g) => (
              <tr data-group={g.groupId}>
                <td>
                  <a href={`#/groups/${enc(g.groupId)}`}>{g.groupId}</a>
                </td>
                <td>{g.state}</td>
                <td>{g.protocolType || '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface GroupDetail {
  groupId: string;
  state: string;
  protocol: string;
  members: Array<{ memberId: string; clientId: string; clientHost: string; assignment: Array<{ topic: string; partitions: number[] }> }>;
  partitions: Array<{ topic: string; partition: number; committedOffset: number; endOffset: number | null; lag: number | null }>;
  totalLag: number;
  lagHistory: Array<{ t: number; lag: number }>;
}

export function GroupView({ group }: { group: string }) {
  const { data, error, loading } = useApi<GroupDetail>(`/groups/${enc(group)}`, 5_000);
  return (
    <section>
      <h1>
        <a href="#/groups">Consumer groups</a> / {group}
      </h1>
      <ErrorLine error={error} />
      <Loading when={loading && data === undefined} />
      {data && (
        <>
          <p class="summary">
            State <b>{data.state}</b> · {data.members.length} members · total lag <b data-testid="total-lag">{data.totalLag}</b>
          </p>
          <h2>Members</h2>
          {data.members.length === 0 ? (
            <p class="muted">No members.</p>
          ) : (
            <table data-testid="members">
              <thead>
                <tr>
                  <th>Member</th>
                  <th>Client</th>
                  <th>Host</th>
                  <th>Assigned</th>
                </tr>
              </thead>
              <tbody>
                {data.members.map((m) => (
                  <tr>
                    <td>
                      <code>{m.memberId}</code>
                    </td>
                    <td>{m.clientId}</td>
                    <td>{m.clientHost}</td>
                    <td>{m.assignment.map((a) => `${a.topic}[${a.partitions.join(',')}]`).join(' ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Offsets and lag</h2>
          <table data-testid="group-lag">
            <thead>
              <tr>
                <th>Topic</th>
                <th class="num">Partition</th>
                <th class="num">Committed</th>
                <th class="num">End</th>
                <th class="num">Lag</th>
              </tr>
            </thead>
            <tbody>
              {data.partitions.map((p) => (
                <tr data-tp={`${p.topic}:${p.partition}`}>
                  <td>{p.topic}</td>
                  <td class="num">{p.partition}</td>
                  <td class="num" data-col="committed">
                    {p.committedOffset}
                  </td>
                  <td class="num" data-col="end">
                    {p.endOffset ?? '–'}
                  </td>
                  <td class="num" data-col="lag">
                    {p.lag ?? '–'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Chart title="Lag over time" testId="lag-chart" series={[{ label: 'total lag', color: '#c62828', points: data.lagHistory.map((p) => [p.t, p.lag]) }]} />
        </>
      )}
    </section>
  );
}
