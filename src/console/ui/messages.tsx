// Thread: browser. The message browser: a partition, then the newest N records, N from an
// offset, or N from a time (the server resolves it with ListOffsets by timestamp).
import { useState } from 'preact/hooks';
import { api, enc } from './api.ts';
import { ErrorLine } from './common.tsx';
import { useApi } from './hooks.ts';
import { Value, type FormattedValue } from './value.tsx';

interface Browse {
  logStartOffset: number;
  highWatermark: number;
  startOffset: number;
  nextOffset: number;
  messages: Array<{ offset: number; timestamp: number; key: FormattedValue; headers: Array<{ key: string; value: FormattedValue }>; value: FormattedValue }>;
}

type Mode = 'newest' | 'offset' | 'timestamp';

export function MessagesView({ topic }: { topic: string }) {
  const meta = useApi<{ partitions: Array<{ partition: number }> }>(`/topics/${enc(topic)}`);
  const [partition, setPartition] = useState('0');
  const [mode, setMode] = useState<Mode>('newest');
  const [offset, setOffset] = useState('0');
  const [time, setTime] = useState('');
  const [limit, setLimit] = useState('50');
  const [result, setResult] = useState<Browse | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const load = async (from?: number) => {
    setBusy(true);
    setError(undefined);
    let q = `partition=${enc(partition)}&limit=${enc(limit)}`;
    if (from !== undefined) q += `&offset=${from}`;
    else if (mode === 'offset') q += `&offset=${enc(offset)}`;
    else if (mode === 'timestamp') {
      const ms = new Date(time).getTime();
      if (Number.isNaN(ms)) {
        setError('pick a date and time');
        setBusy(false);
        return;
      }
      q += `&timestamp=${ms}`;
    }
    try {
      setResult(await api<Browse>(`/topics/${enc(topic)}/messages?${q}`));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>
        <a href="#/topics">Topics</a> / <a href={`#/topics/${enc(topic)}`}>{topic}</a> / messages
      </h1>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <label>
          Partition{' '}
          <select value={partition} onChange={(e) => setPartition(e.currentTarget.value)} data-testid="partition">
            {(meta.data?.partitions ?? [{ partition: 0 }]).map((p) => (
              <option value={String(p.partition)}>{p.partition}</option>
            ))}
          </select>
        </label>
        <select value={mode} onChange={(e) => setMode(e.currentTarget.value as Mode)} data-testid="mode">
          <option value="newest">newest</option>
          <option value="offset">from offset</option>
          <option value="timestamp">from time</option>
        </select>
        {mode === 'offset' && <input type="number" min="0" value={offset} onInput={(e) => setOffset(e.currentTarget.value)} data-testid="offset" />}
        {mode === 'timestamp' && <input type="datetime-local" step="1" value={time} onInput={(e) => setTime(e.currentTarget.value)} data-testid="timestamp" />}
        <label>
          Count <input type="number" min="1" max="500" value={limit} onInput={(e) => setLimit(e.currentTarget.value)} style="width:5em" data-testid="limit" />
        </label>
        <button class="primary" type="submit" disabled={busy} data-testid="load-messages">
          Load
        </button>
        {result && result.nextOffset < result.highWatermark && (
          <button type="button" onClick={() => void load(result.nextOffset)} data-testid="more-messages">
            Next page
          </button>
        )}
      </form>
      <ErrorLine error={error ?? meta.error} />
      {result && (
        <>
          <p class="muted" data-testid="browse-summary">
            Offsets {result.logStartOffset}–{result.highWatermark} in the log; showing {result.messages.length} from {result.startOffset}
          </p>
          <table data-testid="messages">
            <thead>
              <tr>
                <th class="num">Offset</th>
                <th>Time</th>
                <th>Key</th>
                <th>Headers</th>
                <th>Value</th>
              </tr>
            </thead>
            <tbody>
              {result.messages.map((m) => (
                <tr data-offset={m.offset}>
                  <td class="num">{m.offset}</td>
                  <td class="muted">{new Date(m.timestamp).toISOString()}</td>
                  <td class="key">
                    <Value v={m.key} />
                  </td>
                  <td class="headers">
                    {m.headers.map((h) => (
                      <div>
                        <code>{h.key}</code>: <Value v={h.value} />
                      </div>
                    ))}
                  </td>
                  <td class="value">
                    <Value v={m.value} />
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
