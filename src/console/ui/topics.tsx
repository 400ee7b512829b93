// Thread: browser. The topics list — filtered and paginated by the server, so 1,000 topics
// cost one page of rows — and the create-topic form.
import { useEffect, useState } from 'preact/hooks';
import { api, enc, formatBytes } from './api.ts';
import { ErrorLine, Loading } from './common.tsx';
import { useApi } from './hooks.ts';

const PAGE = 100;

interface TopicPage {
  total: number;
  offset: number;
  topics: Array<{ name: string; partitions: number; internal: boolean; localBytes: number; remoteBytes: number | null }>;
}

function parseConfigs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq <= 0) throw new Error(`config line "${t}" is not name=value`);
    out[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
  }
  return out;
}

function CreateTopic({ onCreated }: { onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState('1');
  const [configs, setConfigs] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await api<{ name: string }>('/topics', { method: 'POST', body: { name: name.trim(), partitions: Number(partitions), configs: parseConfigs(configs) } });
      onCreated(created.name);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={submit} data-testid="create-topic">
      <label>
        Name
        <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Partitions
        <input name="partitions" type="number" min="1" max="10000" value={partitions} onInput={(e) => setPartitions(e.currentTarget.value)} />
      </label>
      <label>
        Configs (name=value per line)
        <textarea name="configs" rows={2} cols={36} value={configs} onInput={(e) => setConfigs(e.currentTarget.value)} placeholder="retention.ms=86400000" />
      </label>
      <button class="primary" type="submit" disabled={busy || name.trim() === ''}>
        Create topic
      </button>
      <ErrorLine error={error} />
    </form>
  );
}

export function TopicsView() {
  const [filter, setFilter] = useState('');
  const [debounced, setDebounced] = useState('');
  const [offset, setOffset] = useState(0);
  const [creating, setCreating] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => {
      setDebounced(filter);
      setOffset(0);
    }, 200);
    return () => clearTimeout(t);
  }, [filter]);
  const { data, error, loading } = useApi<TopicPage>(`/topics?filter=${enc(debounced)}&offset=${offset}&limit=${PAGE}`);
  return (
    <section>
      <h1>Topics</h1>
      <div class="toolbar">
        <input type="search" placeholder="Filter topics" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} data-testid="topic-filter" />
        <span class="muted" data-testid="topic-count">
          {data ? `${data.total} topics` : ''}
        </span>
        <button onClick={() => setOffset(Math.max(0, offset - PAGE))} disabled={offset === 0}>
          ‹ Prev
        </button>
        <span class="muted">{data && data.total > 0 ? `${offset + 1}–${Math.min(offset + PAGE, data.total)}` : ''}</span>
        <button onClick={() => setOffset(offset + PAGE)} disabled={!data || offset + PAGE >= data.total} data-testid="next-page">
          Next ›
        </button>
        <button class="primary" onClick={() => setCreating(!creating)} data-testid="new-topic">
          New topic
        </button>
      </div>
      {creating && <CreateTopic onCreated={(name) => (window.location.hash = `#/topics/${enc(name)}`)} />}
      <ErrorLine error={error} />
      <Loading when={loading && data === undefined} />
      {data && (
        <table data-testid="topics">
          <thead>
            <tr>
              <th>Name</th>
              <th class="num">Partitions</th>
              <th class="num">Local</th>
              <th class="num">Remote</th>
            </tr>
          </thead>
          <tbody>
            {data.topics.map((t) => (
              <tr data-topic={t.name}>
                <td>
                  <a href={`#/topics/${enc(t.name)}`}>{t.name}</a> {t.internal && <span class="tag">internal</span>}
                </td>
                <td class="num">{t.partitions}</td>
                <td class="num">{formatBytes(t.localBytes)}</td>
                <td class="num">{formatBytes(t.remoteBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
