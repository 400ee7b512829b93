// Thread: browser. Data hooks for the views: load once (and again when deps change), or poll.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` now, whenever it changes, and every `pollMs` when given. */
export function useApi<T>(path: string | null, pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () => {
      setLoading(true);
      api<T>(path).then(
        (d) => {
          if (!live) return;
          setData(d);
          setError(undefined);
          setLoading(false);
          if (pollMs !== undefined) timer = setTimeout(load, pollMs);
        },
        (e: Error) => {
          if (!live) return;
          setError(e.message);
          setLoading(false);
          if (pollMs !== undefined) timer = setTimeout(load, pollMs);
        },
      );
    };
    load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [path, pollMs, tick]);
  return { data, error, loading, reload: () => setTick((t) => t + 1) };
}

/** The location hash as a path (`#/topics/x` → `/topics/x`), updated on navigation. */
export function useRoute(): string {
  const read = () => window.location.hash.replace(/^#/, '') || '/brokers';
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
