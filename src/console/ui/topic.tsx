// Thread: browser. One topic: partitions (leader, worker slot, offsets, local and remote
// bytes), configs, and delete with a typed confirmation.
import { useState } from 'preact/hooks';
import { api, enc, formatBytes } from './api.ts';
import { ErrorLine, Loading } from './common.tsx';
import { useApi } from './hooks.ts';

interface TopicDetail {
  name: string;
  topicId: string;
  partitions: Array<{
    partition: number;
    leader: number;
    leaderEpoch: number;
    slot: number | null;
    logStartOffset: number | null;
    highWatermark: number | null;
    localBytes: number | null;
    remoteBytes: number | null;
  }>;
  configs: Array<{ name: string; value: string | null; isDefault: boolean; isSensitive: boolean }>;
}

function DeleteTopic({ topic }: { topic: string }) {
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api(`/topics/${enc(topic)}`, { method: 'DELETE' });
      window.location.hash = '#/topics';
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  if (!confirming)
    return (
      <button class="danger" onClick={() => setConfirming(true)} data-testid="delete-topic">
        Delete topic…
      </button>
    );
  return (
    <div class="card" data-testid="delete-confirm">
      <p>
        Delete <b>{topic}</b> and all its records? This cannot be undone. Type the topic name to confirm.
      </p>
      <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} data-testid="delete-confirm-name" />{' '}
      <button class="danger" disabled={typed !== topic || busy} onClick={remove} data-testid="delete-confirm-button">
        Delete
      </button>{' '}
      <button onClick={() => setConfirming(false)}>Cancel</button>
      <ErrorLine error={error} />
    </div>
  );
}

export function TopicView({ topic }: { topic: string }) {
  const { data, error, loading } = useApi<TopicDetail>(`/topics/${enc(topic)}`);
  const [showDefaults, setShowDefaults] = useState(false);
  return (
    <section>
      <h1>
        <a href="#/topics">Topics</a> / {topic}
      </h1>
      <div class="toolbar">
        <a href={`#/topics/${enc(topic)}/messages`} data-testid="browse-messages">
          Browse messages
        </a>
        <DeleteTopic topic={topic} />
      </div>
      <ErrorLine error={error} />
      <Loading when={loading && data === undefined} />
      {data && (
        <>
          <p class="muted">
            Topic id <code>{data.topicId}</code>
          </p>
          <h2>Partitions</h2>
          <table data-testid="partitions">
            <thead>
              <tr>
                <th class="num">Partition</th>
                <th class="num">Leader</th>
                <th class="num">Epoch</th>
                <th class="num">Worker slot</th>
                <th class="num">Start offset</th>
                <th class="num">End offset</th>
                <th class="num">Local</th>
                <th class="num">Remote</th>
              </tr>
            </thead>
            <tbody>
              {data.partitions.map((p) => (
                <tr data-partition={p.partition}>
                  <td class="num">{p.partition}</td>
                  <td class="num">{p.leader}</td>
                  <td class="num">{p.leaderEpoch}</td>
                  <td class="num">{p.slot ?? '–'}</td>
                  <td class="num">{p.logStartOffset ?? '–'}</td>
                  <td class="num" data-testid="end-offset">
                    {p.highWatermark ?? '–'}
                  </td>
                  <td class="num">{formatBytes(p.localBytes)}</td>
                  <td class="num">{formatBytes(p.remoteBytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>
            Configs{' '}
            <label class="muted">
              <input type="checkbox" checked={showDefaults} onChange={(e) => setShowDefaults(e.currentTarget.checked)} /> show defaults
            </label>
          </h2>
          {!showDefaults && data.configs.every((c) => c.isDefault) && <p class="muted">Every config has its default value.</p>}
          <table data-testid="configs">
            <tbody>
              {data.configs
                .filter((c) => showDefaults || !c.isDefault)
                .map((c) => (
                  <tr>
                    <td>
                      <code>{c.name}</code>
                    </td>
                    <td>
                      <code>{c.isSensitive ? '(hidden)' : (c.value ?? 'null')}</code>
                    </td>
                    <td class="muted">{c.isDefault ? 'default' : 'set'}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
